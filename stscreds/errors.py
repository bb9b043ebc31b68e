"""The one error hierarchy. cli.py catches StscredsError once and turns it into a
one-line message on stderr and the exit code the error carries."""

from __future__ import annotations

# Named exit codes. 2 matches click's own code for usage errors.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class StscredsError(Exception):
    """A failure the user can act on. Its message must never contain a secret."""

    exit_code = EXIT_FAILURE


class UsageError(StscredsError):
    """A bad argument, found before any file or network access."""

    exit_code = EXIT_USAGE


class NotInitialisedError(StscredsError):
    """No long-term keys stored for the profile."""


class MalformedFileError(StscredsError):
    """A file we must read or edit does not parse."""

    def __init__(self, path: str, detail: str, line: int | None = None) -> None:
        where = f"{path}, line {line}" if line is not None else path
        super().__init__(f"{where}: {detail}")
        self.path = path
        self.line = line


class FileAccessError(StscredsError):
    """The operating system refused to read or write a file."""

    def __init__(self, verb: str, path: str, error: OSError) -> None:
        super().__init__(f"could not {verb} {path}: {error.strerror or error}")


class NoInputError(StscredsError):
    """We need an answer but stdin is closed."""


class MfaDeviceError(StscredsError):
    """No MFA device, or several and no way to pick one."""


class AwsError(StscredsError):
    """Base for failures talking to AWS."""


class KeysRejectedError(AwsError):
    """AWS did not accept the long-term key pair."""


class MfaCodeRejectedError(AwsError):
    """AWS answered AccessDenied to GetSessionToken: wrong or reused code."""


class AwsUnreachableError(AwsError):
    """No answer from AWS within the timeouts."""


def mask(access_key_id: str) -> str:
    """AKIA…WXYZ: enough to recognise a key in a message, not enough to use it."""
    return f"{access_key_id[:4]}…{access_key_id[-4:]}" if len(access_key_id) > 8 else "…"
