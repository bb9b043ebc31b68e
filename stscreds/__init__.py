"""stscreds: MFA-authenticated AWS credentials instead of long-term keys, for the command
line and for Python (see the README's "Use it from Python").

`stscreds read` and friends import this package in every new shell, so it stays nearly empty:
the library's names are imported on first use.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
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
