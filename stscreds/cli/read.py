"""`stscreds read`, `env` and `credential-process`: the commands the fast path also answers
(__main__.py), from the same answers.py."""

from __future__ import annotations

from typing import Optional

import typer

from stscreds import answers
from stscreds.cli.common import OptionalProfile, ProfileOption, app, broker, complete_keys, print_out, run
from stscreds.credentials import INI_KEYS, RENEW_MARGIN_SECONDS
from stscreds.prompts import controlling_terminal_ui


@app.command()
def read(
    key: str = typer.Argument(..., help=f"One of: {', '.join(INI_KEYS)}.", autocompletion=complete_keys),
    profile: OptionalProfile = ProfileOption,
) -> None:
    """Print one value of the current credentials; renew them first if they have expired.

    Examples:
        stscreds read aws_session_token
        token=$(stscreds read aws_session_token --profile prod)
    """

    def value() -> str:
        answers.checked_key(key)  # before any prompt
        name = answers.profile_for("read", profile)
        return answers.read(broker().get(name, answers.MARGINS["read"]), key)

    print_out(run(value))


@app.command()
def env(
    profile: OptionalProfile = ProfileOption,
    shell: Optional[str] = typer.Option(None, *answers.SHELL.flags, help=answers.SHELL.help, show_default=False),
    format: Optional[str] = typer.Option(None, *answers.FORMAT.flags, help=answers.FORMAT.help, show_default=False),
    unset: bool = typer.Option(False, *answers.UNSET.flags, help=answers.UNSET.help),
) -> None:
    """Print lines that set the credentials' AWS_* variables: eval "$(stscreds env)".

    With --shell (sh by default, and what bash and zsh mean): AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (and AWS_SECURITY_TOKEN, which botocore reads first)
    and AWS_CREDENTIAL_EXPIRATION, quoted for the shell, the profile's region as AWS_REGION and
    AWS_DEFAULT_REGION, and STSCREDS_PROFILE and STSCREDS_RENEW_AT for a prompt hook that keeps
    them current. With --format, what `aws configure export-credentials --format` prints, then
    AWS_SECURITY_TOKEN and the region. --unset prints the lines that remove them all. Renews them
    first when they are missing or expired.

    Examples:
        eval "$(stscreds env)"                      # bash, zsh: in ~/.bashrc, ~/.zshrc
        eval "$(stscreds env --profile prod)"
        stscreds env --shell fish | source          # fish
        stscreds env --format dotenv > aws.env      # docker run --env-file aws.env
        eval "$(stscreds env --unset)"
    """

    def script() -> str:
        output = answers.checked_output(shell, format, unset)  # before any prompt
        if unset:
            return answers.unset(output)
        answers.warn_if_shadowed()
        name = answers.profile_for("env", profile)
        return answers.env(broker().get(name, answers.MARGINS["env"]), output, name)

    print_out(run(script))


@app.command("credential-process")
def credential_process(profile: OptionalProfile = ProfileOption) -> None:
    """Print credentials as JSON for an SDK's credential_process setting.

    With `credential_process = stscreds credential-process --profile P` in ~/.aws/config, every AWS
    SDK renews through stscreds. When it must renew, it asks for the MFA code on the terminal
    (/dev/tty). Renewed 15 minutes before the end (botocore's refresh window) when a code can be
    had; otherwise the current credentials while they have 5 minutes left.

    Example:
        # in ~/.aws/config; then `AWS_PROFILE=mfa aws s3 ls` renews through stscreds
        [profile mfa]
        credential_process = stscreds credential-process --profile default
    """

    def credentials() -> str:
        name = answers.profile_for("credential-process", profile)
        found = broker(controlling_terminal_ui()).get(
            name, answers.MARGINS["credential-process"], fallback_seconds=RENEW_MARGIN_SECONDS
        )
        return answers.credential_process(found)

    print_out(run(credentials))
