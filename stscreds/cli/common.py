"""What every command of the CLI shares: the typer app, the options several commands take,
printing an answer, and the one place where a failure becomes a line on stderr and an exit
code (`failure`). Nothing else in cli/ prints an error."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from typing import Any, NoReturn, Optional, TypeVar

import typer

from stscreds import answers, atomic
from stscreds.broker import Broker
from stscreds.commands import cli_broker
from stscreds.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, StscredsError, redact
from stscreds.prompts import UI, TerminalUI

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


def complete_profiles(incomplete: str) -> list[str]:
    """Shell completion of --profile: every profile name the files define (resolve's list, so
    roles, IAM Identity Center profiles and aliases too). Nothing when they cannot be read: a
    completion must never print an error into the person's command line."""
    try:
        from stscreds.config import load_config
        from stscreds.resolve import known_profiles

        return [name for name in known_profiles(load_config()) if name.startswith(incomplete)]
    except Exception:
        return []


def complete_keys(incomplete: str) -> list[str]:
    """Shell completion of `read`'s KEY."""
    from stscreds.credentials import INI_KEYS

    return [key for key in INI_KEYS if key.startswith(incomplete)]


def profile_option() -> Any:
    """--profile/-p as answers.PROFILE describes it, completing profile names; absent, the
    command picks the profile as botocore does (answers.profile_for)."""
    return typer.Option(
        None,
        *answers.PROFILE.flags,
        help=answers.PROFILE.help,
        show_default=False,
        autocompletion=complete_profiles,
    )


ProfileOption = profile_option()
OptionalProfile = Optional[str]

MfaCommandOption = typer.Option(
    None,
    "--mfa-command",
    help="Command that prints an MFA code, e.g. 'ykman oath accounts code --single aws' (run without a shell).",
)


def make_api(*args: Any, **kwargs: Any) -> Any:
    from stscreds.aws import AwsApi  # botocore is slow to import; only calls to AWS need it

    return AwsApi(*args, **kwargs)


def broker(ui: UI | None = None, code: str | None = None, command: str | None = None) -> Broker:
    return cli_broker(ui or TerminalUI(), make_api, code, command)


# --- failures: one line and an exit code ------------------------------------------------------


class Terminated(BaseException):
    """SIGTERM or SIGHUP (a closed terminal), raised where the program is, so that a write
    under way removes its temp file, as for Ctrl-C."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number
        self.name = signal.Signals(number).name


# click's exceptions, from the click typer uses: since typer 0.22, a copy of its own.
click = sys.modules[typer.BadParameter.__module__]


def _nothing_written() -> str:
    """What an interruption left: said only when true (atomic.changed)."""
    if not atomic.changed:
        return "; nothing was written"
    return f"; {', '.join(dict.fromkeys(atomic.changed))} had already been written"


def failure(error: BaseException) -> tuple[str, int]:
    """The one line (without "stscreds: ") and the exit code that `error` ends the program
    with. The only place that decides them, for errors inside a command and around it.
    Unexpected exceptions get their type and message but no traceback: tracebacks can carry
    argument values, and those may be secrets."""
    if isinstance(error, StscredsError):
        return str(error), error.exit_code
    if isinstance(error, (KeyboardInterrupt, typer.Abort)):
        return "interrupted" + _nothing_written(), EXIT_INTERRUPTED
    if isinstance(error, Terminated):
        return f"stopped by {error.name}" + _nothing_written(), 128 + error.number
    if isinstance(error, click.UsageError):
        message = " ".join(error.format_message().split())
        command = error.ctx.command_path if error.ctx is not None else "stscreds"
        return f"{message} (see `{command} --help`)", EXIT_USAGE  # click's "Did you mean" kept
    if isinstance(error, click.ClickException):
        return " ".join(error.format_message().split()), error.exit_code
    if isinstance(error, OSError):  # only printing is left outside a command: --help to a full disk
        answers.abandon_stdout()
        return f"could not write to stdout: {error.strerror or error}", EXIT_FAILURE
    return f"unexpected error ({type(error).__name__}: {redact(str(error))})", EXIT_FAILURE


reported = False  # whether a command has said why it failed


def say_failure(message: str) -> None:
    global reported
    reported = True
    try:
        sys.stderr.write(f"stscreds: {message}\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass  # stderr is gone too: the exit code says it


def fail(message: str, code: int) -> NoReturn:
    say_failure(message)
    raise typer.Exit(code)


def run(action: Callable[[], T]) -> T:
    """Run a command's work; every failure becomes one line on stderr and an exit code."""
    try:
        return action()
    except (Exception, KeyboardInterrupt, Terminated) as error:
        if isinstance(error, KeyboardInterrupt) and sys.stderr is not None and sys.stderr.isatty():
            typer.echo("", err=True)  # ^C was echoed where the cursor was
        fail(*failure(error))


def say(message: str) -> None:
    """A message for the person: stderr, never stdout."""
    typer.echo(message, err=True)


def print_out(text: str) -> None:
    """Print a command's answer on stdout, or fail in one line if it cannot be."""
    problem = answers.write_stdout(text)
    if problem is not None:
        fail(problem, EXIT_FAILURE)


# --- --debug ---------------------------------------------------------------------------------


class _RedactingFormatter(logging.Formatter):
    """Formats, then masks: botocore's debug lines hold request headers and whole response
    bodies, GetSessionToken's secret and token among them."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def log_to_stderr() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(name)s [%(levelname)s] %(message)s"))
    for name in ("stscreds", "botocore", "boto3", "urllib3"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
