"""stscreds from Python: credentials that renew themselves, so that a job can run for days.

    import stscreds
    creds = stscreds.get_credentials("prod")               # a Credentials, renewed as the CLI would
    many = stscreds.get_credentials_many(["prod", "dev"])  # in parallel, at most one MFA prompt
    s3 = stscreds.boto3_session("prod").client("s3")       # renews itself before each end

Everything goes through the same broker, stores and locks as the CLI, so a script, a shell and
an SDK share one MFA session and one cache. The library never prints and never exits: what the
CLI would say goes to the `stscreds` logger, and failures are `StscredsError` subclasses. MFA
codes come from `mfa_code(serial) -> str` when given, else by the CLI's rules: the MFA command
(`$STSCREDS_MFA_COMMAND`, or the profile's from `stscreds init --mfa-command`), else a prompt on
the terminal (/dev/tty), else NoInputError.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from stscreds.broker import Broker
from stscreds.config import check_profile_name
from stscreds.credentials import RENEW_MARGIN_SECONDS, SDK_REFRESH_MARGIN_SECONDS, Credentials
from stscreds.errors import MfaCommandError, NoInputError, StscredsError
from stscreds.prompts import MfaPrompter, checked_code, controlling_terminal_ui, mfa_prompter
from stscreds.resolve import chosen_profile

if TYPE_CHECKING:
    import boto3

    from stscreds.sources import Clock

MfaCode = Callable[[str], str]  # serial of the MFA device -> the 6 digits it shows

log = logging.getLogger("stscreds")

# botocore refreshes credentials 15 minutes before they end (10 minutes: it must). What the
# library hands botocore has more than that left, so that it is not asked again at once.
_BOTO3_MIN_SECONDS = SDK_REFRESH_MARGIN_SECONDS + 60


class ProfilesFailedError(StscredsError):
    """`get_credentials_many`: some profiles failed. `errors` says why, per profile;
    `credentials` holds the ones that did not fail."""

    def __init__(self, errors: dict[str, StscredsError], credentials: dict[str, Credentials]) -> None:
        listed = "; ".join(f"{name}: {error}" for name, error in errors.items())
        super().__init__(f"{len(errors)} of {len(errors) + len(credentials)} profiles failed: {listed}")
        self.errors = errors
        self.credentials = credentials


class _QuietUI:
    """The library's side of the conversation: questions on the terminal itself, messages to
    the logger (a library does not print)."""

    def __init__(self) -> None:
        self._terminal = controlling_terminal_ui()

    @property
    def interactive(self) -> bool:
        return self._terminal.interactive

    @property
    def can_ask(self) -> bool:
        return bool(getattr(self._terminal, "can_ask", False))

    @property
    def reason(self) -> str:
        return str(getattr(self._terminal, "reason", "there is no terminal to ask on"))

    def say(self, message: str) -> None:
        log.info("%s", message)

    def show(self, message: str) -> None:
        """What the person must see to go on (an IAM Identity Center sign-in URL and code):
        on the terminal itself, like a prompt."""
        log.info("%s", message)
        self._terminal.say(message)

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        return self._terminal.ask(prompt, secret=secret)


def library_broker(mfa_code: MfaCode | None = None, clock: Clock = time.time) -> Broker:
    """The broker behind the functions below, with MFA codes from `mfa_code` or the CLI's rules."""
    if sys.platform == "win32":
        from stscreds import _UNSUPPORTED_PLATFORM

        raise StscredsError(_UNSUPPORTED_PLATFORM)
    ui = _QuietUI()

    def mfa_for(profile: str) -> MfaPrompter:
        if mfa_code is None:
            return mfa_prompter(ui, profile)
        # Whatever it returns (None, an int...) is checked: a StscredsError, never AttributeError.
        return MfaPrompter(lambda serial: checked_code(mfa_code(serial), "mfa_code's answer", MfaCommandError))

    return Broker(ui, mfa_for, clock=clock)


def get_credentials(
    profile: str | None = None, *, min_seconds: float = RENEW_MARGIN_SECONDS, mfa_code: MfaCode | None = None
) -> Credentials:
    """Credentials for `profile` (any profile stscreds serves: a stscreds profile, a role or IAM
    Identity Center profile...; None: AWS_DEFAULT_PROFILE, else AWS_PROFILE, else default, as
    botocore picks it) with more than `min_seconds` left, renewed first if need be, exactly as
    the CLI renews."""
    return library_broker(mfa_code).get(chosen_profile(profile), min_seconds)


def get_credentials_many(
    profiles: Iterable[str], *, max_workers: int = 16, mfa_code: MfaCode | None = None
) -> dict[str, Credentials]:
    """Credentials for each profile, fetched in parallel, with at most one MFA prompt per MFA
    session. Raises ProfilesFailedError, which holds the others, when any fails."""
    results = library_broker(mfa_code).get_many(list(profiles), RENEW_MARGIN_SECONDS, max_workers)
    errors = {name: result for name, result in results.items() if isinstance(result, StscredsError)}
    good = {name: result for name, result in results.items() if isinstance(result, Credentials)}
    if errors:
        raise ProfilesFailedError(errors, good)
    return good


def boto3_session(
    profile: str | None = None, *, region_name: str | None = None, mfa_code: MfaCode | None = None
) -> boto3.Session:
    """A boto3 Session whose credentials renew through stscreds before they end: a role every
    hour without a prompt, the MFA session when it ends (one prompt, or the MFA command, or
    `mfa_code`). Its region and other settings are the profile's in the AWS config file, as
    for `boto3.Session(profile_name=...)`, unless `region_name` is given."""
    return session_with(library_broker(mfa_code), chosen_profile(profile), region_name)


def session_with(broker: Broker, profile: str, region_name: str | None = None) -> boto3.Session:
    """`boto3_session` with a broker of one's own (another clock, say)."""
    from datetime import datetime, timezone

    import boto3
    import botocore.session
    from botocore.configprovider import ConstantProvider
    from botocore.credentials import CredentialProvider, RefreshableCredentials

    check_profile_name(profile)

    def fetch() -> dict[str, str]:
        credentials = broker.get(profile, _BOTO3_MIN_SECONDS)
        return {
            "access_key": credentials.access_key_id,
            "secret_key": credentials.secret_access_key,
            "token": credentials.session_token,
            "expiry_time": credentials.expiration_text,
        }

    first = broker.get(profile, _BOTO3_MIN_SECONDS)  # a prompt, if any, comes now, not mid-job
    refreshable = RefreshableCredentials(
        first.access_key_id,
        first.secret_access_key,
        first.session_token,
        first.expiration,
        refresh_using=fetch,
        method="stscreds",
        time_fetcher=lambda: datetime.fromtimestamp(broker.clock(), timezone.utc),
    )

    class StscredsProvider(CredentialProvider):  # type: ignore[misc]
        METHOD = CANONICAL_NAME = "stscreds"

        def load(self) -> RefreshableCredentials:
            return refreshable

    session = botocore.session.Session()
    # The profile's region, endpoint and retries, whatever AWS_PROFILE says; our provider
    # comes before every other, so botocore never looks for the profile's keys itself.
    known = profile if profile in session.available_profiles else None
    session.get_component("config_store").set_config_provider("profile", ConstantProvider(known))
    session.get_component("credential_provider").insert_before("env", StscredsProvider())
    return boto3.Session(botocore_session=session, region_name=region_name)


__all__ = [
    "MfaCode",
    "NoInputError",
    "ProfilesFailedError",
    "boto3_session",
    "get_credentials",
    "get_credentials_many",
    "library_broker",
    "session_with",
]
