"""stscreds: MFA-authenticated AWS credentials instead of long-term keys, for the command
line and for Python (see the README's "Use it from Python").

`stscreds read` and friends import this package in every new shell, so it stays nearly empty:
the library's names are imported on first use.
"""

from __future__ import annotations

# First: when this process is the `stscreds` command (its script, or `python -m stscreds`), a
# Ctrl-C from here until __main__.main() takes over ends it with one line and 130 instead of a
# traceback from inside an import: only the interpreter's own start-up is left uncovered. Kept
# cheap, for `read` in every new shell: `_signal` is the builtin the interpreter loaded for its
# own SIGINT handler (`import signal` would import enum). A program that imports the library
# keeps its own handler, and a SIGINT ignored (nohup, `&`) stays ignored.
import sys as _sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    import signal as _signal
else:
    try:
        import _signal
    except ImportError:  # not CPython's: no quiet Ctrl-C before main()
        _signal = None


def _interrupted(number: int, frame: object) -> None:
    try:
        _sys.stderr.write("stscreds: interrupted\n")
    except (AttributeError, OSError, ValueError):
        pass  # no stderr: the exit code says it
    raise SystemExit(130)


_command = (getattr(_sys, "argv", None) or [""])[0]  # "-m" while `python -m` imports the package
if (
    _signal is not None
    and (
        _command.replace("\\", "/").rpartition("/")[2] in ("stscreds", "stscreds.exe")
        or (_command == "-m" and "stscreds" in " ".join(getattr(_sys, "orig_argv", ["stscreds"])))
    )
    and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler
):
    try:
        _signal.signal(_signal.SIGINT, _interrupted)
    except ValueError:  # not the main thread
        pass


# What the CLI (__main__) and the library say on native Windows, at once rather than deep inside
# a command: stscreds' lock is flock(2), and it asks on the terminal itself (/dev/tty).
_UNSUPPORTED_PLATFORM = (
    "native Windows lacks the file locks (flock) and the terminal (/dev/tty) that stscreds needs: "
    "run it inside WSL, or on Linux or macOS"
)


def _ctrl_c_as_usual() -> None:
    # __main__.main(), first: Ctrl-C raises KeyboardInterrupt again, for the CLI to say what an
    # interruption left (and for a write under way to remove its temp file).
    if _signal is not None and _signal.getsignal(_signal.SIGINT) is _interrupted:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)


if TYPE_CHECKING:
    from stscreds.credentials import Credentials
    from stscreds.errors import (
        AwsError,
        AwsUnreachableError,
        BusyError,
        FileAccessError,
        KeysRejectedError,
        MalformedFileError,
        MfaCodeRejectedError,
        MfaCommandError,
        MfaDeviceError,
        NoInputError,
        NotAwsAnswerError,
        NotInitialisedError,
        StscredsError,
        UnknownProfileError,
        UsageError,
    )
    from stscreds.library import ProfilesFailedError, boto3_session, get_credentials, get_credentials_many

_ERRORS = (
    "AwsError AwsUnreachableError BusyError FileAccessError KeysRejectedError MalformedFileError "
    "MfaCodeRejectedError MfaCommandError MfaDeviceError NoInputError NotAwsAnswerError "
    "NotInitialisedError StscredsError UnknownProfileError UsageError"
).split()
_WHERE = {
    "__version__": "stscreds.version",
    "Credentials": "stscreds.credentials",
    "get_credentials": "stscreds.library",
    "get_credentials_many": "stscreds.library",
    "boto3_session": "stscreds.library",
    "ProfilesFailedError": "stscreds.library",
    **dict.fromkeys(_ERRORS, "stscreds.errors"),
}
__all__ = [
    "AwsError",
    "AwsUnreachableError",
    "BusyError",
    "Credentials",
    "FileAccessError",
    "KeysRejectedError",
    "MalformedFileError",
    "MfaCodeRejectedError",
    "MfaCommandError",
    "MfaDeviceError",
    "NoInputError",
    "NotAwsAnswerError",
    "NotInitialisedError",
    "ProfilesFailedError",
    "StscredsError",
    "UnknownProfileError",
    "UsageError",
    "__version__",
    "boto3_session",
    "get_credentials",
    "get_credentials_many",
]


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'stscreds' has no attribute {name!r}")
    value = getattr(__import__(module, fromlist=[name]), "VERSION" if name == "__version__" else name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
