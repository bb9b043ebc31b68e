"""The commands that run in every new shell, or before each SDK call in a refresh window
(`read`, `env`, `credential-process`, `status`): their options, which profile they are about,
how fresh their credentials must be, and what they print.

The fast path (__main__.py) and the full CLI (cli/) both take all of this from here, and find
the credentials through the same `resolve`, so that they cannot disagree: the fast path only
answers while nothing must be renewed, and leaves everything else to the full CLI.

Standard library only (see __main__.py).
"""

from __future__ import annotations

from stscreds.credentials import INI_KEYS, RENEW_MARGIN_SECONDS, SDK_REFRESH_MARGIN_SECONDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from stscreds.config import Config
    from stscreds.credentials import Credentials


class Option:
    """One command-line option: the name it sets, its flags, whether it takes a value."""

    __slots__ = ("flags", "help", "name", "takes_value")

    def __init__(self, name: str, flags: tuple[str, ...], takes_value: bool, help: str) -> None:
        self.name = name
        self.flags = flags
        self.takes_value = takes_value
        self.help = help


PROFILE = Option(
    "profile",
    ("--profile", "-p"),
    True,
    "The profile to use [default: $AWS_DEFAULT_PROFILE, else $AWS_PROFILE, else default, as botocore reads them].",
)
SHELLS = ("sh", "fish", "powershell")
SHELL = Option("shell", ("--shell", "-s"), True, f"One of: {', '.join(SHELLS)} (sh: bash, zsh).")
JSON = Option("json", ("--json",), False, "Print JSON.")

# The options of each command the fast path may answer.
OPTIONS: dict[str, tuple[Option, ...]] = {
    "read": (PROFILE,),
    "env": (PROFILE, SHELL),
    "credential-process": (PROFILE,),
    "status": (PROFILE, JSON),
}

# How long the credentials must still last for each command to hand them out. `read`, `env`
# and `exec` renew 5 minutes early; an SDK runs `credential-process` again from 15 minutes
# before the end (botocore's advisory refresh window), so what it gets must outlive that.
MARGINS = {
    "read": RENEW_MARGIN_SECONDS,
    "env": RENEW_MARGIN_SECONDS,
    "exec": RENEW_MARGIN_SECONDS,
    "credential-process": SDK_REFRESH_MARGIN_SECONDS,
}


def profile_for(
    command: str, flag: str | None, environ: Mapping[str, str] | None = None, config: Config | None = None
) -> str:
    """Which profile `command` is about: as botocore picks it (resolve.chosen_profile), or for
    `credential-process`, which SDKs run, the one whose process it is (resolve.process_profile)."""
    from stscreds import resolve

    if command == "credential-process":
        return resolve.process_profile(flag, environ, config)
    return resolve.chosen_profile(flag, environ)


def cached(
    profile: str, min_seconds: float, now: float | None = None, config: Config | None = None
) -> Credentials | None:
    """The credentials `profile` stands for when its store has them with more than
    `min_seconds` left, else None: the lookup of the fast path, which renews nothing."""
    from stscreds.resolve import resolve

    resolved = resolve(profile, config)
    if resolved.renew_within is not None:  # a login's: see Source.renew_within
        min_seconds = min(min_seconds, resolved.renew_within)
    credentials = resolved.store.load()
    if credentials is None or not credentials.outlives(min_seconds, now):
        return None
    return credentials


def checked_key(key: str) -> str:
    if key not in INI_KEYS:
        from stscreds.errors import UsageError  # see errors.py: not at the top

        raise UsageError(f"unknown key {key!r}; choose one of: {', '.join(INI_KEYS)}")
    return key


def checked_shell(shell: str) -> str:
    if shell not in SHELLS:
        from stscreds.errors import UsageError  # see errors.py: not at the top

        raise UsageError(f"unknown shell {shell!r}; choose one of: {', '.join(SHELLS)}")
    return shell


def read(credentials: Credentials, key: str) -> str:
    return credentials.as_ini()[checked_key(key)] + "\n"


def env(credentials: Credentials, shell: str, profile: str) -> str:
    from stscreds import outputs  # what prints them: `read` needs none of it

    return outputs.shell_script(credentials, checked_shell(shell), profile)


def credential_process(credentials: Credentials) -> str:
    from stscreds import outputs

    return outputs.credential_process_json(credentials) + "\n"


def status(report: dict[str, object], as_json: bool) -> str:
    from stscreds import outputs

    return outputs.status_json(report) if as_json else outputs.status_text(report)


# --- printing it -----------------------------------------------------------------------------


def write_stdout(text: str) -> str | None:
    """Print `text`; on failure (stdout closed, a full disk, a reader that went away) return
    the one-line reason instead of raising, and point stdout at /dev/null so that the flush
    at exit cannot fail again with a traceback."""
    import sys

    stream = sys.stdout
    if stream is None:
        return "stdout is closed: nowhere to print the answer"
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError) as error:
        abandon_stdout()
        return f"could not write to stdout: {getattr(error, 'strerror', None) or 'it is closed'}"
    return None


def abandon_stdout() -> None:
    """After a failed write, point stdout at /dev/null: Python flushes it again at exit, and
    that second failure would print "Exception ignored" and a traceback."""
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        sys.stdout = None
