"""The one error hierarchy. cli/common.py turns a StscredsError, in one place, into a
one-line message on stderr and the exit code the error carries.

Defining these classes is dear: an Exception subclass costs Python about as much as a small
module, and all of them about 8% of the interpreter's own start-up. So the modules the fast
path of `read`, `env`, `credential-process` and `status` loads import them only where
something fails (a raise in an error branch, an `except` that checks the class), and the
fast path, which fails nowhere when it answers, never loads this module
(tests/test_layers.py holds that).
"""

from __future__ import annotations

from stscreds.credentials import mask

# Named exit codes. 2 matches click's own code for usage errors.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 126  # `exec`: as shells report a command that cannot be executed
EXIT_NOT_FOUND = 127  # `exec`: as shells report a command that is not found
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C


class StscredsError(Exception):
    """A failure the user can act on. Its message must never contain a secret."""

    exit_code = EXIT_FAILURE


class UsageError(StscredsError):
    """A bad argument, found before any file or network access."""

    exit_code = EXIT_USAGE


class NotInitialisedError(StscredsError):
    """No long-term keys stored for the profile."""


class UnknownProfileError(NotInitialisedError):
    """A profile name that no file defines: nothing is set up under it."""


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


class BusyError(StscredsError):
    """Another stscreds kept the authentication lock longer than we would wait."""


class MfaCommandError(StscredsError):
    """The command that should print an MFA code did not."""


class MfaDeviceError(StscredsError):
    """No MFA device, or several and no way to pick one."""


class AwsError(StscredsError):
    """Base for failures talking to AWS. `code` is AWS's error code, when it sent one."""

    code: str | None = None


class KeysRejectedError(AwsError):
    """AWS did not accept the long-term key pair."""


class MfaCodeRejectedError(AwsError):
    """AWS answered AccessDenied to GetSessionToken: wrong or reused code."""


class AwsUnreachableError(AwsError):
    """No answer from AWS within the timeouts."""


class NotAwsAnswerError(AwsError):
    """Something answered, but not like AWS: a captive portal, a proxy, a cut-off body."""


def debug(logger: str, message: str, *args: object) -> None:
    """`logging.getLogger(logger).debug(...)`, for modules on the fast path: importing logging
    costs about as much as Python's start-up (it imports re and traceback). Only the full CLI
    turns debug logging on, and it has imported logging by then; before that, nothing is lost."""
    import sys

    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger(logger).debug(message, *args)


# What `redact` hides, wherever it appears in a log line: access key IDs (masked), and the
# values of the fields and headers that carry secrets in AWS's requests and answers
# (XML <SecretAccessKey>, JSON "SessionToken": "…", TokenCode=123456, X-Amz-Security-Token…).
_SECRET_FIELDS = (
    "SecretAccessKey|SessionToken|TokenCode|aws_secret_access_key|aws_session_token|X-Amz-Security-Token|Signature"
    # IAM Identity Center: role credentials, OAuth tokens, the client secret, the bearer header
    "|accessToken|refreshToken|clientSecret|deviceCode|x-amz-sso_bearer_token"
    # AWS Sign-In (stscreds login): the authorization code (a JSON "code", lower case only: AWS's
    # error "Code"s stay readable), the PKCE verifier that redeems it, the DPoP proof, the id token
    "|(?-i:['\"]code)|codeVerifier|DPoP|idToken"
    # The console's federation endpoint: the sign-in token (the link is a bearer secret for 15
    # minutes) and the Session JSON's secret key (sessionToken is matched above)
    "|SigninToken|sessionKey"
)


def redact(text: str) -> str:
    """`text` with every secret AWS might put in a log line masked or removed."""
    import re  # not at the top: read's fast path imports this module

    text = re.sub(r"\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA)[A-Z0-9]{12,124}\b", lambda m: mask(m.group()), text)
    # An XML element's text, closed or not (botocore logs bodies that were cut off, too).
    text = re.sub(rf"(<(?:{_SECRET_FIELDS})>)[^<]*", r"\1…", text, flags=re.IGNORECASE)
    # getSigninToken's Session parameter, form-encoded JSON holding a secret key and a token.
    text = re.sub(r"(\bSession=)[^&\s'\"]+", r"\1…", text)
    return re.sub(
        rf"""((?:{_SECRET_FIELDS})['"]?\s*[:=]\s*b?['"]?)[^'"&,;\s<>}}]+""", r"\1…", text, flags=re.IGNORECASE
    )
