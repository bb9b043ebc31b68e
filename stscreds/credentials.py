"""The one credentials value, its expiry arithmetic and the renewal margins; and the small
JSON encoder every JSON stscreds prints is written with (see there).

Every source (a session token, an assumed role, an IAM Identity Center role) gives a
`Credentials`; every store keeps one; every output (shell lines, `credential_process` JSON,
`status`, botocore's refresh metadata) is made from one.

Standard library only, and not even `re`, `datetime` or `dataclasses`: the fast path of `read`,
`env`, `credential-process` and `status` builds a `Credentials` in every new shell, and
importing `dataclasses` alone costs about 70% of Python's own start-up. Hence a small
hand-written immutable class, and expiry kept as seconds since the epoch.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime
    from typing import Protocol

    class Store(Protocol):
        """Where credentials are kept: the shared credentials file's section, the cache..."""

        path: str

        def load(self) -> Credentials | None: ...

        def prepare(self) -> None: ...

        def save(self, credentials: Credentials) -> None: ...


# Renewal margins, in one place.
# `read`, `env` and `exec`: a session this close to its end counts as expired; a shell opened
# with keys that die in two minutes is worse than one more MFA prompt.
RENEW_MARGIN_SECONDS = 5 * 60
# botocore re-runs a credential_process once its keys end within 15 minutes (its "advisory"
# refresh window) and fails once they end within 10, so what SDKs are given must outlive that.
SDK_REFRESH_MARGIN_SECONDS = 15 * 60

# How the shared credentials file, and stscreds' cache, name the four values.
ACCESS_KEY_ID = "aws_access_key_id"
SECRET_ACCESS_KEY = "aws_secret_access_key"
SESSION_TOKEN = "aws_session_token"
# Where the end of the session is written. botocore ignores unknown keys; saml2aws and
# gimme-aws-creds use this same name, so other tools may already understand it.
EXPIRATION = "x_security_token_expires"
INI_KEYS = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN, EXPIRATION)


class Credentials:
    """Temporary AWS credentials: key ID, secret, session token and when they end.

    Immutable, comparable and hashable. `expiration` is an aware UTC datetime (made on first
    use); `expires_at` is the same instant in seconds since the epoch. The repr masks the key
    ID and leaves the secret and token out, so a log line or traceback cannot leak them.
    """

    __slots__ = ("access_key_id", "expires_at", "secret_access_key", "session_token")

    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float

    def __init__(
        self, access_key_id: str, secret_access_key: str, session_token: str, expiration: datetime | float
    ) -> None:
        if isinstance(expiration, (int, float)):
            expires_at = float(expiration)
        else:
            if expiration.tzinfo is None:
                raise ValueError("expiration must be an aware datetime")
            expires_at = expiration.timestamp()
        # To the second, rounded down: what every store keeps and every output shows, so that
        # credentials just fetched equal the same ones read back.
        expires_at = float(expires_at // 1)
        for name, value in (
            ("access_key_id", access_key_id),
            ("secret_access_key", secret_access_key),
            ("session_token", session_token),
            ("expires_at", expires_at),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Credentials are immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Credentials are immutable")

    def _fields(self) -> tuple[str, str, str, float]:
        return (self.access_key_id, self.secret_access_key, self.session_token, self.expires_at)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Credentials) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Credentials(access_key_id={mask(self.access_key_id)!r}, expiration={format_timestamp(self.expires_at)!r})"
        )

    def __reduce__(self) -> tuple[type[Credentials], tuple[str, str, str, float]]:
        return (Credentials, self._fields())

    @property
    def expiration(self) -> datetime:
        from datetime import datetime, timezone

        return datetime.fromtimestamp(self.expires_at, timezone.utc)

    def seconds_left(self, now: float | None = None) -> float:
        return self.expires_at - (time.time() if now is None else now)

    def outlives(self, seconds: float, now: float | None = None) -> bool:
        """True while these credentials have more than `seconds` left."""
        return self.seconds_left(now) > seconds

    @property
    def expiration_text(self) -> str:
        """2026-11-23T19:41:57Z, as AWS and every output of stscreds show it."""
        return format_timestamp(self.expires_at)

    def as_ini(self) -> dict[str, str]:
        """The four values under the names the shared credentials file uses."""
        return {
            ACCESS_KEY_ID: self.access_key_id,
            SECRET_ACCESS_KEY: self.secret_access_key,
            SESSION_TOKEN: self.session_token,
            EXPIRATION: self.expiration_text,
        }

    @classmethod
    def from_ini(cls, section: Mapping[str, object] | None) -> Credentials | None:
        """The complete credentials in a section read as botocore reads it, else None (a key
        missing or empty, an expiry that is not a time: no session, as `read` sees it)."""
        if not section:
            return None
        values = [section.get(key) for key in INI_KEYS]
        if not all(isinstance(value, str) and value for value in values):
            return None
        end = parse_expiration(values[3])  # type: ignore[arg-type]
        if end is None:
            return None
        return cls(values[0], values[1], values[2], end)  # type: ignore[arg-type]


def mask(access_key_id: str) -> str:
    """AKIA…WXYZ: enough to recognise a key in a message, not enough to use it."""
    return f"{access_key_id[:4]}…{access_key_id[-4:]}" if len(access_key_id) > 8 else "…"


# --- instants without datetime ---------------------------------------------------------------


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _ascii_digits(text: str) -> bool:
    """`str.isdigit` also accepts '²' and other scripts' digits, which int() refuses."""
    return text.isascii() and text.isdigit()


def parse_expiration(value: str) -> float | None:
    """Seconds since the epoch of `2026-11-23T19:41:57Z` (also `+01:00` offsets, fractions
    of a second, a space for the T, no zone meaning UTC), or None when it is not one."""
    text = value.strip()
    offset = 0
    if text.endswith(("Z", "z")):
        text = text[:-1]
    elif len(text) > 19 and text[-6] in "+-" and text[-3] == ":":
        sign = -1 if text[-6] == "-" else 1
        hours, minutes = text[-5:-3], text[-2:]
        if not (_ascii_digits(hours) and _ascii_digits(minutes)) or int(hours) > 23 or int(minutes) > 59:
            return None
        offset = sign * (int(hours) * 3600 + int(minutes) * 60)
        text = text[:-6]
    if len(text) < 19 or text[10] not in "Tt ":
        return None
    date, clock = text[:10], text[11:19]
    rest = text[19:]
    if rest and (rest[0] != "." or not _ascii_digits(rest[1:])):
        return None
    if date[4] != "-" or date[7] != "-" or clock[2] != ":" or clock[5] != ":":
        return None
    fields = (date[:4], date[5:7], date[8:], clock[:2], clock[3:5], clock[6:])
    if not all(_ascii_digits(field) for field in fields):
        return None
    year, month, day, hour, minute, second = (int(field) for field in fields)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (1 <= month <= 12 and 1 <= day <= month_days[month - 1] and hour < 24 and minute < 60 and second < 60):
        return None
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return seconds + (float("0" + rest) if rest else 0.0) - offset


def days_since(text: str | None, now: float) -> int | None:
    """Whole days from the instant `text` to `now`; None when it is not an instant."""
    when = parse_expiration(text) if text else None
    return None if when is None else int((now - when) // 86400)


def format_timestamp(seconds: float) -> str:
    """2026-11-23T19:41:57Z: UTC, to the second, as the AWS CLI shows expirations."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


# --- JSON, as json.dumps writes it -----------------------------------------------------------
# Every JSON stscreds prints (credential-process, status --json, list --json, env --format
# process) is written here, without `json`: its import pulls in `re`, as much again as Python's
# own start-up. It lives in this module, which every command of the fast path loads anyway,
# because each further module the fast path imports costs about 1% of that start-up. A test
# holds it to what `json.dumps` writes.

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def json_string(text: str) -> str:
    """`json.dumps(text)` (ensure_ascii, as its default is)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    pieces = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            pieces.append(_ESCAPES[char])
        elif 0x20 <= code <= 0x7E:
            pieces.append(char)
        elif code > 0xFFFF:  # as a UTF-16 surrogate pair
            code -= 0x10000
            pieces.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            pieces.append(f"\\u{code:04x}")
    return '"' + "".join(pieces) + '"'


def json_value(value: object) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json_string(value)
    raise TypeError(f"no JSON for {type(value).__name__}")


def json_object(values: dict[str, object], indent: int | None = None) -> str:
    """`json.dumps(values, indent=indent)` for a flat object of strings, numbers, booleans, None."""
    items = [f"{json_string(key)}: {json_value(value)}" for key, value in values.items()]
    if indent is None or not items:
        return "{" + ", ".join(items) + "}"
    pad = " " * indent
    return "{\n" + ",\n".join(pad + item for item in items) + "\n}"
