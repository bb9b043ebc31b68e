"""Talking to the person at the keyboard, and where MFA codes come from.

Prompts and messages go to stderr (getpass uses the terminal itself), never stdout, so
`$(stscreds read KEY)` captures only the value. When stdin is not a terminal, answers are
read one line each from stdin and no prompt is shown.
"""

from __future__ import annotations

import getpass
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

from stscreds import keystore
from stscreds.errors import MfaCommandError, NoInputError, StscredsError, UsageError


class UI(Protocol):
    """What the commands need from a person. Tests pass a scripted one."""

    @property
    def interactive(self) -> bool: ...

    def say(self, message: str) -> None: ...

    def ask(self, prompt: str, *, secret: bool = False) -> str: ...


class TerminalUI:
    """The real UI: a terminal when there is one, else lines from stdin."""

    def __init__(self, stdin: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdin = stdin if stdin is not None else sys.stdin
        self.stderr = stderr if stderr is not None else sys.stderr

    @property
    def interactive(self) -> bool:
        try:
            return self.stdin is not None and self.stdin.isatty()
        except ValueError:  # stdin closed
            return False

    @property
    def can_ask(self) -> bool:
        """Whether an answer could come at all: a terminal, or a stdin that is open."""
        try:
            return self.stdin is not None and not self.stdin.closed and self.stdin.fileno() >= 0
        except (OSError, ValueError):
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
        except (EOFError, OSError, ValueError):  # no terminal after all: no answer either
            return self._no_answer(label)
        line = self.read_line()
        if not line:
            return self._no_answer(label)
        return line.strip()

    @staticmethod
    def _no_answer(label: str) -> str:
        raise NoInputError(f"no answer for {label!r}: stdin is closed and there is no terminal to ask on")

    def read_line(self) -> str:
        """The next line of stdin, shown no prompt; "" at its end or when it is closed."""
        try:
            return self.stdin.readline() if self.stdin is not None else ""
        except (EOFError, OSError, ValueError):  # stdin closed or gone
            return ""


class NoInputUI:
    """For when asking is impossible: messages go to stderr, questions fail."""

    interactive = False
    can_ask = False

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


def choose(ui: UI, title: str, options: list[str]) -> str:
    """Let the person pick one of `options` by number."""
    ui.say(title)
    for number, option in enumerate(options, start=1):
        ui.say(f"  {number}) {option}")
    while True:
        answer = ui.ask(f"Choose 1-{len(options)}: ")
        if answer.isascii() and answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1]
        ui.say(f"Please type a number from 1 to {len(options)}.")


# --- MFA codes -------------------------------------------------------------------------------

MFA_COMMAND_VARIABLE = "STSCREDS_MFA_COMMAND"
MFA_COMMAND_TIMEOUT_SECONDS = 120  # time to find a YubiKey and touch it
MFA_COMMAND_OUTPUT_LIMIT = 4096  # a code is 6 digits; `yes` must not fill our memory


class MfaPrompter:
    """serial of the MFA device -> the code it shows, like botocore's mfa_prompter. `can_ask`
    says beforehand whether a code can come at all, so that no call to AWS is made (and no
    request counted against the user) when none can."""

    def __init__(self, get_code: Callable[[str], str], can_ask: bool = True, why_not: str = "") -> None:
        self._get_code = get_code
        self.can_ask = can_ask
        self.why_not = why_not

    def __call__(self, serial: str) -> str:
        return self._get_code(serial)


def mfa_code(text: str) -> str | None:
    """The 6 digits in `text` ("123 456", as some apps show them, is fine), else None."""
    code = "".join(text.split())
    return code if len(code) == 6 and all(c in "0123456789" for c in code) else None


def checked_code(text: object, source: str, error: type[StscredsError]) -> str:
    """The 6 digits of `text`, else `error`: also for what is not text at all (a library
    caller's `mfa_code` returning None, or the int 123456, which cannot hold 012345)."""
    if not isinstance(text, str):
        raise error(f"{source} is not an MFA code: it must be a str of 6 digits, not {type(text).__name__}")
    code = mfa_code(text)
    if code is None:
        raise error(f"{source} is not an MFA code: it must be 6 digits")
    return code


def configured_mfa_command(profile: str, environ: Mapping[str, str] | None = None) -> str | None:
    """$STSCREDS_MFA_COMMAND, else the profile's mfa_command from init, else None."""
    environ = os.environ if environ is None else environ
    return environ.get(MFA_COMMAND_VARIABLE) or keystore.settings(profile).get(keystore.MFA_COMMAND)


def mfa_prompter(
    ui: UI,
    profile: str,
    code: str | None = None,
    command: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> MfaPrompter:
    """Where the MFA code comes from, first found first: `code` (auth --mfa-code), `command`
    (auth --mfa-command), $STSCREDS_MFA_COMMAND, the profile's mfa_command (init
    --mfa-command), else the person at `ui`."""
    if code is not None:
        checked = checked_code(code, "--mfa-code", UsageError)
        return MfaPrompter(lambda serial: checked)
    command = command or configured_mfa_command(profile, environ)
    if command:

        def from_command(serial: str) -> str:
            ui.say(f"Getting the MFA code for {serial} from {program_name(command)}.")
            output = run_mfa_command(command, getattr(ui, "stdin", None), getattr(ui, "stderr", None))
            return checked_code(output, "the MFA command's output", MfaCommandError)

        return MfaPrompter(from_command)
    can_ask = getattr(ui, "can_ask", True)
    if can_ask and isinstance(ui, TerminalUI) and not ui.interactive:
        return CodeFromStdin(ui)
    why_not = getattr(ui, "reason", "there is no terminal to ask on")
    return MfaPrompter(lambda serial: ask_mfa_code(ui, serial), can_ask, f"{why_not} and no MFA command")


class CodeFromStdin(MfaPrompter):
    """No terminal, but a stdin that is open (a pipe, a file, /dev/null): the code is its next
    line. It is read when `can_ask` is first asked, which a source does before any call to AWS,
    so that a stdin with no code in it is known before a request is made (and counted against
    the user), and a code that is not one is refused before AWS sees anything."""

    why_not = "there is no terminal to ask on (stdin is not one, and has no code in it) and no MFA command"

    def __init__(self, ui: TerminalUI) -> None:
        self._ui = ui
        self._line: str | None = None

    @property
    def can_ask(self) -> bool:  # type: ignore[override]
        if self._line is None:
            self._line = self._ui.read_line().strip()
            if self._line and mfa_code(self._line) is None:
                raise UsageError("the MFA code must be the 6 digits your device shows")
        return bool(self._line)

    def __call__(self, serial: str) -> str:
        if not self.can_ask:
            raise NoInputError(f"no MFA code for {serial}: {self.why_not}")
        code = mfa_code(self._line or "")
        assert code is not None  # checked in can_ask
        return code


def ask_mfa_code(ui: UI, serial: str) -> str:
    """Six digits from the person. At a terminal they get another go; a script gets an error.
    Either way AWS never sees a malformed code, which would cost an attempt."""
    while True:
        code = mfa_code(ui.ask(f"MFA code for {serial}: "))
        if code is not None:
            return code
        if not ui.interactive:
            raise UsageError("the MFA code must be the 6 digits your device shows")
        ui.say("The MFA code is the 6 digits your device shows; try again.")


def _fileno(stream: TextIO | None) -> int | None:
    try:
        return stream.fileno() if stream is not None else None
    except (OSError, ValueError):
        return None


def program_name(command: str) -> str:
    """How a message names an MFA command: its program's name, never its arguments, which may
    hold a secret (`oathtool --totp -b SEED` holds the TOTP seed)."""
    try:
        argv = shlex.split(command)
    except ValueError:
        argv = command.split()
    return repr(argv[0].rpartition("/")[2]) if argv else "the MFA command"


def run_mfa_command(command: str, stdin: TextIO | None = None, stderr: TextIO | None = None) -> str:
    """Run `command` (split like a shell would, but run without one) and return what it
    prints, like aws-vault's mfa_process. Its stdin and stderr are the UI's (the terminal
    itself under `credential-process`), so "Touch your YubiKey" reaches the person and the
    command may ask for its own password. Nothing secret is passed to it, and messages name
    only its program (program_name)."""
    try:
        argv = shlex.split(command)
    except ValueError as error:  # "No closing quotation": nothing of the command itself
        raise MfaCommandError(
            f"the MFA command ({program_name(command)}) cannot be split as a shell would: {error}"
        ) from None
    if not argv:
        raise MfaCommandError("the MFA command is empty")
    name = program_name(command)
    if stderr is not None:
        stderr.flush()
    try:
        process = subprocess.Popen(argv, stdin=_fileno(stdin), stdout=subprocess.PIPE, stderr=_fileno(stderr))
    except FileNotFoundError:
        raise MfaCommandError(f"the MFA command {name} was not found") from None
    except OSError as error:
        raise MfaCommandError(f"could not run the MFA command {name}: {error.strerror or error}") from None
    try:
        output = _bounded_output(process, name)
        returncode = process.wait()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()
    if returncode != 0:
        raise MfaCommandError(f"the MFA command {name} failed with exit code {returncode}")
    return output.decode("utf-8", "replace").strip()


def _bounded_output(process: subprocess.Popen[bytes], name: str) -> bytes:
    """What the command prints until it closes stdout, within the time and size limits."""
    import selectors
    import time

    assert process.stdout is not None
    deadline = time.monotonic() + MFA_COMMAND_TIMEOUT_SECONDS
    output = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise MfaCommandError(f"the MFA command {name} gave no code within {MFA_COMMAND_TIMEOUT_SECONDS} s")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                return output
            output += chunk
            if len(output) > MFA_COMMAND_OUTPUT_LIMIT:
                raise MfaCommandError(f"the MFA command {name} printed more than a code (over 4 KiB)")
