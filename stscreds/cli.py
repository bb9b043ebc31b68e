"""The command line: maps flags to the functions in commands.py, prints their results and
turns every failure into one line on stderr and a named exit code. Nothing else prints."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Optional, TypeVar

import typer

from stscreds import __version__, commands, files
from stscreds.errors import EXIT_FAILURE, EXIT_INTERRUPTED, StscredsError, mask, redact
from stscreds.prompts import TerminalUI

app = typer.Typer(
    name="stscreds",
    help=(
        "Use MFA-authenticated AWS session credentials instead of long-term keys.\n\n"
        "Run `stscreds init` once, `stscreds auth` each day, and read single values with "
        "`stscreds read KEY` (for example in .bashrc)."
    ),
    add_completion=False,
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


@app.command()
def init(profile: str = ProfileOption) -> None:
    """Store your long-term access key pair in ~/.stscreds/credentials (checked with iam:GetUser)."""
    result = _run(lambda: commands.init_profile(profile, TerminalUI(), _make_api))
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
) -> None:
    """Ask for an MFA code and write session credentials to ~/.aws/credentials."""
    seconds = _run(lambda: commands.parse_duration(duration))
    result = _run(lambda: commands.authenticate(profile, seconds, mfa_serial, TerminalUI(), _make_api))
    typer.echo(f"Session valid until {files.format_expiration(result.expiration)}.", err=True)
    typer.echo(f"Wrote credentials to {result.path}", err=True)


@app.command()
def read(
    key: str = typer.Argument(..., help=f"One of: {', '.join(files.READABLE_KEYS)}."),
    profile: str = ProfileOption,
) -> None:
    """Print one value of the current session; authenticate first if it has expired."""
    value = _run(lambda: commands.read_value(key, profile, TerminalUI(), _make_api))
    sys.stdout.write(value + "\n")


def main() -> None:
    try:
        app(prog_name="stscreds")
    except KeyboardInterrupt:  # outside a command: while typer parses, say
        typer.echo("stscreds: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
