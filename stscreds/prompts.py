"""Talking to the person at the keyboard.

Prompts and messages go to stderr (getpass uses the terminal itself), never stdout, so
`$(stscreds read KEY)` captures only the value. When stdin is not a terminal, answers are
read one line each from stdin and no prompt is shown.
"""

from __future__ import annotations

import getpass
import sys
from typing import Protocol, TextIO

from stscreds.errors import NoInputError


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
