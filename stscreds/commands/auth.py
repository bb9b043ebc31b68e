"""`stscreds auth`: trade a stscreds profile's long-term keys and an MFA code for a session."""

from __future__ import annotations

from dataclasses import dataclass

from stscreds.broker import Broker
from stscreds.credentials import Credentials
from stscreds.errors import UsageError
from stscreds.sources.session import MAX_SESSION_SECONDS, MIN_SESSION_SECONDS, SessionTokenSource, session_root

DEFAULT_DURATION = "12h"


def parse_duration(text: str) -> int:
    """'12h', '90m', '3600s', '1h30m' or plain seconds -> seconds within AWS's range."""
    import re

    value = text.strip().lower()
    # ASCII digits only ('²' is a digit to str.isdigit), and few of them: int() refuses 4,300.
    match = re.fullmatch(r"(?:([0-9]{1,6})h)?(?:([0-9]{1,6})m)?(?:([0-9]{1,6})s)?|([0-9]{1,9})", value)
    if not value or match is None:
        raise UsageError(f"invalid duration {text[:40]!r}: use a form like 12h, 90m or 3600s")
    hours, minutes, secs, plain = match.groups()
    seconds = int(plain) if plain else int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
    if not MIN_SESSION_SECONDS <= seconds <= MAX_SESSION_SECONDS:
        raise UsageError(
            f"duration {text!r} is {seconds} s; AWS allows {MIN_SESSION_SECONDS} s (15m) to "
            f"{MAX_SESSION_SECONDS} s (36h)"
        )
    return seconds


@dataclass(frozen=True)
class AuthResult:
    path: str
    credentials: Credentials


def authenticate(profile: str, duration_seconds: int, mfa_serial: str | None, broker: Broker) -> AuthResult:
    """Trade the stored long-term keys and an MFA code for a new session in [profile]."""
    root = session_root(profile, "auth")
    source = SessionTokenSource(profile, duration_seconds, mfa_serial or root.mfa_serial)
    return AuthResult(source.store.path, broker.renew(source))
