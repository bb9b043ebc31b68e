"""`stscreds read`, `env` and `credential-process`: the commands the fast path also answers
(__main__.py), from the same answers.py."""

from __future__ import annotations

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
    shell: str = typer.Option("sh", *answers.SHELL.flags, help=answers.SHELL.help),
) -> None:
    """Print lines that set the credentials' AWS_* variables: eval "$(stscreds env)".

    Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (and AWS_SECURITY_TOKEN, which
    botocore reads first) and AWS_CREDENTIAL_EXPIRATION, quoted for the shell, and STSCREDS_PROFILE
    and STSCREDS_RENEW_AT for a prompt hook that keeps them current. Renews them first when they
    are missing or expired.

    Examples:
        eval "$(stscreds env)"                      # bash, zsh: in ~/.bashrc, ~/.zshrc
        eval "$(stscreds env --profile prod)"
        stscreds env --shell fish | source          # fish
    """

    def script() -> str:
        answers.checked_shell(shell)  # before any prompt
        name = answers.profile_for("env", profile)
        return answers.env(broker().get(name, answers.MARGINS["env"]), shell, name)

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
