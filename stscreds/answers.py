"""The commands that run in every new shell, or before each SDK call in a refresh window
(`read`, `env`, `credential-process`, `status`, and `list`): their options, which profile they
are about, how fresh their credentials must be, and what they print.

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
# `env --shell`: stscreds' own lines (every value single-quoted, and the prompt hook's
# variables); bash and zsh take what sh takes.
SHELLS = ("sh", "bash", "zsh", "fish", "powershell")
SHELL_SYNTAX = {"bash": "sh", "zsh": "sh"}
SHELL = Option("shell", ("--shell", "-s"), True, "One of: sh, bash, zsh (the same lines), fish, powershell.")
# `env --format`: AWS CLI v2's `configure export-credentials` formats, and two more (exports.py).
FORMAT = Option(
    "format",
    ("--format",),
    True,
    "As `aws configure export-credentials --format` prints it: env, env-no-export, powershell, windows-cmd, "
    "process; or dotenv (docker run --env-file), fish.",
)
UNSET = Option("unset", ("--unset",), False, "Print the lines that remove every variable env sets, instead.")
JSON = Option("json", ("--json",), False, "Print JSON.")

# The options of each command the fast path may answer.
OPTIONS: dict[str, tuple[Option, ...]] = {
    "read": (PROFILE,),
    "env": (PROFILE, SHELL, FORMAT, UNSET),
    "credential-process": (PROFILE,),
    "status": (PROFILE, JSON),
    "list": (JSON,),
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
    """The shell whose syntax `env --shell SHELL` prints (sh for bash and zsh)."""
    if shell not in SHELLS:
        from stscreds.errors import UsageError  # see errors.py: not at the top

        raise UsageError(f"unknown shell {shell!r}; choose one of: {', '.join(SHELLS)}")
    return SHELL_SYNTAX.get(shell, shell)


def checked_output(shell: str | None, form: str | None, unset: bool = False) -> tuple[str, str]:
    """What `env` prints, checked before anything is read or asked: ("shell", its syntax), by
    default sh, or ("format", the format: exports.checked_format)."""
    if form is None:
        return ("shell", checked_shell("sh" if shell is None else shell))
    from stscreds import exports

    return ("format", exports.checked_format(form, unset, shell))


def region(profile: str, config: Config | None = None) -> str | None:
    """The region of that very profile, both files merged, as botocore reads it."""
    from stscreds.config import load_config

    return (config or load_config()).settings(profile).get("region") or None


def read(credentials: Credentials, key: str) -> str:
    return credentials.as_ini()[checked_key(key)] + "\n"


def env(credentials: Credentials, output: tuple[str, str], profile: str, config: Config | None = None) -> str:
    kind, name = output
    if kind == "format":
        from stscreds import exports  # only --format needs it

        return exports.export(credentials, name, region(profile, config))
    from stscreds import outputs  # what prints them: `read` needs none of it

    return outputs.shell_script(credentials, name, profile, region(profile, config))


def unset(output: tuple[str, str]) -> str:
    from stscreds import exports

    kind, name = output
    return exports.export_unset(name) if kind == "format" else exports.shell_unset(name)


def credential_process(credentials: Credentials) -> str:
    from stscreds import outputs

    return outputs.credential_process_json(credentials) + "\n"


def status(report: dict[str, object], as_json: bool) -> str:
    from stscreds.status import status_json, status_text

    return status_json(report) if as_json else status_text(report)


def list_output(rows: list[dict[str, object]], as_json: bool) -> str:
    from stscreds import listing

    return listing.list_json(rows) if as_json else listing.list_text(rows)


# --- a long-term key in the environment ------------------------------------------------------


def shadowing_warning(environ: Mapping[str, str] | None = None) -> str | None:
    """What `status`, `auth` and `env` say when the environment holds a long-term key, which
    every AWS SDK takes before any profile (outputs.shadowing_line); None otherwise."""
    import os

    environ = os.environ if environ is None else environ
    key = environ.get("AWS_ACCESS_KEY_ID") or ""
    if key.startswith("AKIA") and environ.get("AWS_SECRET_ACCESS_KEY"):
        from stscreds.outputs import shadowing_line

        return shadowing_line(key)
    return None


def warn_if_shadowed() -> None:
    line = shadowing_warning()
    if line is not None:
        write_stderr(line)


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


def write_stderr(line: str) -> None:
    """`stscreds: LINE` on stderr; nothing if there is no stderr to write to."""
    import sys

    try:
        sys.stderr.write(f"stscreds: {line}\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass


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
