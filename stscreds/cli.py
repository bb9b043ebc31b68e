"""The command line: maps flags to the functions in commands.py, prints their results and
turns every failure into one line on stderr and a named exit code. Nothing else prints."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Callable
from typing import Optional, TypeVar

import typer

from stscreds import __version__, commands, files, shells
from stscreds.errors import (
    EXIT_CANNOT_RUN,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    StscredsError,
    mask,
    redact,
)
from stscreds.prompts import TerminalUI, controlling_terminal_ui

app = typer.Typer(
    name="stscreds",
    help=(
        "Use MFA-authenticated AWS session credentials instead of long-term keys.\n\n"
        "Run `stscreds init` once, `stscreds auth` each day, and read single values with "
        "`stscreds read KEY` (for example in .bashrc)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

T = TypeVar("T")

ProfileOption = typer.Option(files.DEFAULT_PROFILE, "--profile", "-p", help="Section to use in both credentials files.")


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"stscreds {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    debug: bool = typer.Option(
        False, "--debug", help="Log what stscreds and botocore do to stderr, with every secret masked."
    ),
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    if debug:
        _log_to_stderr()


class _RedactingFormatter(logging.Formatter):
    """Formats, then masks: botocore's debug lines hold request headers and whole response
    bodies, GetSessionToken's secret and token among them."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def _log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(name)s [%(levelname)s] %(message)s"))
    for name in ("stscreds", "botocore", "boto3", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)


def _make_api(access_key_id: str, secret_access_key: str, profile: str):  # type: ignore[no-untyped-def]
    from stscreds.aws import AwsApi  # boto3 is slow to import; only calls to AWS need it

    return AwsApi(access_key_id, secret_access_key, profile)


def _run(action: Callable[[], T]) -> T:
    """Run a command's work; every failure becomes one line on stderr and an exit code.

    The only place errors are caught. Unexpected exceptions get their type and message but no
    traceback: tracebacks can carry argument values, and those may be secrets.
    """
    try:
        return action()
    except StscredsError as error:
        message, code = str(error), error.exit_code
    except KeyboardInterrupt:
        message, code = "interrupted; nothing was written", EXIT_INTERRUPTED
        if sys.stderr.isatty():  # the terminal echoed ^C where the cursor was: start a new line
            typer.echo("", err=True)
    except Exception as error:  # a bug: still no traceback
        message, code = f"unexpected error ({type(error).__name__}: {error})", EXIT_FAILURE
    typer.echo(f"stscreds: {message}", err=True)
    raise typer.Exit(code)


MfaCommandOption = typer.Option(
    None,
    "--mfa-command",
    help="Command that prints an MFA code, e.g. 'ykman oath accounts code --single aws' (run without a shell).",
)


@app.command()
def init(profile: str = ProfileOption, mfa_command: Optional[str] = MfaCommandOption) -> None:
    """Store your long-term access key pair in ~/.stscreds/credentials (checked with iam:GetUser)."""
    result = _run(lambda: commands.init_profile(profile, TerminalUI(), _make_api, mfa_command=mfa_command))
    for name in result.shadowing_variables:
        typer.echo(f"Warning: {name} is set in your environment and takes precedence over credentials files.", err=True)
    typer.echo(
        f"Saved {mask(result.access_key_id)} (IAM user {result.user_name}) as [{profile}] in {result.path}",
        err=True,
    )


@app.command()
def auth(
    profile: str = ProfileOption,
    duration: str = typer.Option(
        commands.DEFAULT_DURATION, "--duration", "-d", help="Session length: 12h, 90m, 3600s (15m to 36h)."
    ),
    mfa_serial: Optional[str] = typer.Option(
        None, "--mfa-serial", help="ARN of the MFA device to use when you have several."
    ),
    mfa_code: Optional[str] = typer.Option(None, "--mfa-code", help="The 6-digit code, for scripts."),
    mfa_command: Optional[str] = MfaCommandOption,
    output_env: bool = typer.Option(False, "--output-env", help="Also print `export` lines for sh, as `env` does."),
) -> None:
    """Ask for an MFA code and write session credentials to ~/.aws/credentials."""
    ui = TerminalUI()
    seconds = _run(lambda: commands.parse_duration(duration))
    mfa = _run(lambda: commands.mfa_prompter(ui, profile, mfa_code, mfa_command))
    result = _run(lambda: commands.authenticate(profile, seconds, mfa_serial, ui, _make_api, mfa))
    typer.echo(f"Session valid until {files.format_expiration(result.expiration)}.", err=True)
    typer.echo(f"Wrote credentials to {result.path}", err=True)
    if output_env:
        sys.stdout.write(shells.script(result.values, "sh"))


@app.command()
def read(
    key: str = typer.Argument(..., help=f"One of: {', '.join(files.READABLE_KEYS)}."),
    profile: str = ProfileOption,
) -> None:
    """Print one value of the current session; authenticate first if it has expired."""
    value = _run(lambda: commands.read_value(key, profile, TerminalUI(), _make_api))
    sys.stdout.write(value + "\n")


@app.command()
def env(
    profile: str = ProfileOption,
    shell: str = typer.Option("sh", "--shell", "-s", help=f"One of: {', '.join(shells.SHELLS)} (sh: bash, zsh)."),
) -> None:
    """Print lines that set the session's AWS_* variables: eval "$(stscreds env)".

    Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION,
    quoted for the shell. Authenticates first when the session is missing or expired.
    """
    sys.stdout.write(_run(lambda: commands.env_script(profile, shell, TerminalUI(), _make_api)))


CommandArgument = typer.Argument(..., metavar="-- COMMAND [ARGS]...", help="What to run.")


@app.command(
    "exec",
    context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
)
def exec_(command: list[str] = CommandArgument, profile: str = ProfileOption) -> None:
    """Run a command with the session's keys in its environment.

    AWS_PROFILE and AWS_DEFAULT_PROFILE are removed from it. The command's exit code is stscreds'
    exit code. Authenticates first when the session is missing or expired.
    """
    path = shutil.which(command[0])  # before any prompt: a typo should not cost an MFA code
    if path is None:
        typer.echo(f"stscreds: {command[0]}: command not found", err=True)
        raise typer.Exit(EXIT_NOT_FOUND)
    environment = _run(lambda: commands.exec_environment(profile, TerminalUI(), _make_api, dict(os.environ)))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(path, command, environment)  # the command takes over this process: signals, exit code
    except OSError as error:
        typer.echo(f"stscreds: could not run {command[0]}: {error.strerror or error}", err=True)
        raise typer.Exit(EXIT_CANNOT_RUN) from None


@app.command("credential-process")
def credential_process(profile: str = ProfileOption) -> None:
    """Print credentials as JSON for an SDK's credential_process setting.

    With `credential_process = stscreds credential-process` in ~/.aws/config, every AWS SDK renews
    through stscreds. When it must renew, it asks for the MFA code on the terminal (/dev/tty).
    """
    sys.stdout.write(_run(lambda: commands.credential_process_output(profile, controlling_terminal_ui(), _make_api)))
    sys.stdout.write("\n")


@app.command()
def status(
    profile: str = ProfileOption,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show who the session is for, where it is and when it ends.

    Exit 0 while the session is valid, 1 when it has expired or is missing. No network, no prompt.
    """
    result = _run(lambda: commands.session_status(profile))
    if as_json:
        typer.echo(result.as_json())
    else:
        for label, value in _status_lines(result):
            typer.echo(f"{label + ':':<12} {value}")
    if not result.valid:
        raise typer.Exit(EXIT_FAILURE)


def _status_lines(result: commands.Status) -> list[tuple[str, str]]:
    if result.expiration is None or result.seconds_left is None:
        state = "no session: run `stscreds auth`"
    elif result.valid:
        state = f"valid until {result.expiration} (in {_duration(result.seconds_left)})"
    elif result.seconds_left > 0:
        state = f"ends at {result.expiration} (in {_duration(result.seconds_left)}); the next read renews it"
    else:
        state = f"expired at {result.expiration} ({_duration(-result.seconds_left)} ago)"
    lines = [("Profile", result.profile), ("Session", state), ("File", result.path)]
    if result.user_arn:
        lines.append(("User", result.user_arn))
    if result.access_key_id:
        lines.append(("Access key", f"{result.access_key_id} (session)"))
    if result.long_term_access_key_id:
        lines.append(("Long-term", f"{result.long_term_access_key_id} in {files.store_path()}"))
    return lines


def _duration(seconds: int) -> str:
    hours, minutes = divmod(max(seconds, 0) // 60, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds % 60:02d}s"


@app.command()
def whoami(profile: str = ProfileOption) -> None:
    """Show the IAM user and MFA devices of the stored long-term keys.

    Calls iam:GetUser and iam:ListMFADevices with them.
    """
    identity = _run(lambda: commands.whoami(profile, _make_api))
    typer.echo(f"User:       {identity.user_name or '(root)'}")
    typer.echo(f"ARN:        {identity.arn}")
    typer.echo(f"Access key: {identity.access_key_id} (long-term)")
    for serial in identity.mfa_serials or ["(none: assign one in the IAM console)"]:
        typer.echo(f"MFA device: {serial}")


def main() -> None:
    try:
        app(prog_name="stscreds")
    except KeyboardInterrupt:  # outside a command: while typer parses, say
        typer.echo("stscreds: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
