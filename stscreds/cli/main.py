"""The command line's edge: the app with every command registered, global options, signals,
usage errors and exit codes. Nothing outside cli/ prints, and every failure ends as one line on
stderr and a named exit code (common.failure)."""

from __future__ import annotations

import signal
import sys
from typing import Optional

import typer

# The commands register themselves, in the order `stscreds --help` lists them.
# isort: off
from stscreds.cli import assume, auth, clear, common, console, init, login, read  # noqa: F401
from stscreds.cli import retire_keys, rotate, sso, status, whoami  # noqa: F401

# isort: on
from stscreds.cli import exec as exec_command  # noqa: F401
from stscreds.cli import list as list_command  # noqa: F401
from stscreds.cli.common import Terminated, app, log_to_stderr, print_out
from stscreds.errors import EXIT_INTERRUPTED
from stscreds.version import VERSION


def _show_version(value: bool) -> None:
    if value:
        print_out(f"stscreds {VERSION}\n")
        raise typer.Exit()


@app.callback()
def options(
    debug: bool = typer.Option(
        False, "--debug", help="Log stscreds' steps and each call to AWS to stderr, with every secret masked."
    ),
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    if debug:
        log_to_stderr()


def _raise_terminated(number: int, frame: object) -> None:
    raise Terminated(number)


def main() -> None:
    for number in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(number) != signal.SIG_IGN:  # nohup's choice stays: it ignores SIGHUP
            signal.signal(number, _raise_terminated)
    try:
        code = app(prog_name="stscreds", standalone_mode=False)
    except (Exception, KeyboardInterrupt, Terminated) as error:  # outside a command: while typer parses, say
        message, code = common.failure(error)
        common.say_failure(message)
        sys.exit(code)
    if code == EXIT_INTERRUPTED and not common.reported:  # typer turned a Ctrl-C into a silent 130
        common.say_failure(common.failure(KeyboardInterrupt())[0])
    sys.exit(code if isinstance(code, int) else 0)
