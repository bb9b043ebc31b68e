"""Talking to the person at the keyboard.

Prompts and messages go to stderr (getpass uses the terminal itself), never stdout, so
`$(stscreds read KEY)` captures only the value. When stdin is not a terminal, answers are
read one line each from stdin and no prompt is shown.
"""

from __future__ import annotations

import getpass
import shlex
import subprocess
import sys
from typing import Protocol, TextIO

from stscreds.errors import MfaCommandError, NoInputError


class UI(Protocol):
    """What the commands need from a person. Tests pass a scripted one."""

    @property
    def interactive(self) -> bool: ...

    def say(self, message: str) -> None: ...

    def ask(self, prompt: str, *, secret: bool = False) -> str: ...


class TerminalUI:
    """The real UI: a terminal when there is one, else lines from stdin."""

    def __init__(self, stdin: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stderr = stderr or sys.stderr

    @property
    def interactive(self) -> bool:
        try:
            return self.stdin.isatty()
        except ValueError:  # stdin closed
            return False

    def say(self, message: str) -> None:
        print(message, file=self.stderr, flush=True)

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        label = prompt.rstrip(": ")
        try:
            if self.interactive:
                if secret:
                    return getpass.getpass(prompt, stream=self.stderr).strip()
                self.stderr.write(prompt)
                self.stderr.flush()
            line = self.stdin.readline()
        except EOFError:
            line = ""
        except (OSError, ValueError):  # stdin closed or gone
            line = ""
        if not line:
            raise NoInputError(f"no answer for {label!r}: stdin is closed and there is no terminal to ask on")
        return line.strip()


def choose(ui: UI, title: str, options: list[str]) -> str:
    """Let the person pick one of `options` by number."""
    ui.say(title)
    for number, option in enumerate(options, start=1):
        ui.say(f"  {number}) {option}")
    while True:
        answer = ui.ask(f"Choose 1-{len(options)}: ")
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        ui.say(f"Please type a number from 1 to {len(options)}.")


class NoInputUI:
    """For when asking is impossible: messages go to stderr, questions fail."""

    interactive = False

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def say(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        raise NoInputError(f"no answer for {prompt.rstrip(': ')!r}: {self.reason}")


def controlling_terminal_ui() -> UI:
    """A UI on /dev/tty itself, for when stdin, stdout and stderr all belong to someone else:
    an SDK running `credential-process` reads both its outputs and shows neither to a person."""
    try:
        tty_in = open("/dev/tty")
        tty_out = open("/dev/tty", "w")
    except OSError:
        return NoInputUI("there is no terminal to ask on")
    return TerminalUI(stdin=tty_in, stderr=tty_out)


MFA_COMMAND_TIMEOUT_SECONDS = 120  # time to find a YubiKey and touch it


def run_mfa_command(command: str) -> str:
    """Run `command` (split like a shell would, but run without one) and return what it
    prints, like aws-vault's mfa_process. Its stderr goes to ours, so "Touch your YubiKey"
    reaches the person. Nothing secret is passed to it: the keys never enter our environment."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise MfaCommandError(f"cannot split the MFA command {command!r}: {error}") from None
    if not argv:
        raise MfaCommandError("the MFA command is empty")
    try:
        # stdin and stderr stay ours: a command may need to ask for its own password.
        done = subprocess.run(argv, stdout=subprocess.PIPE, timeout=MFA_COMMAND_TIMEOUT_SECONDS)
    except FileNotFoundError:
        raise MfaCommandError(f"the MFA command {argv[0]!r} was not found") from None
    except subprocess.TimeoutExpired:
        raise MfaCommandError(
            f"the MFA command {argv[0]!r} gave no code within {MFA_COMMAND_TIMEOUT_SECONDS} s"
        ) from None
    except OSError as error:
        raise MfaCommandError(f"could not run the MFA command {argv[0]!r}: {error.strerror or error}") from None
    if done.returncode != 0:
        raise MfaCommandError(f"the MFA command {argv[0]!r} failed with exit code {done.returncode}")
    return done.stdout.decode("utf-8", "replace").strip()
