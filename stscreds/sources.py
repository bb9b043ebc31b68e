"""Sources of credentials, behind one interface.

A source knows how to get a profile's credentials and where they are kept (its store); the
broker (broker.py) decides when. Each source has a lock name: renewals of one source take
turns, across processes.

- `SessionTokenSource`: sts:GetSessionToken with the stored long-term keys and an MFA code;
  kept in the profile's section of the shared credentials file.

Importing this module is cheap (the fast path resolves profiles to sources to find their
stores); what fetching needs is imported when it fetches.
"""

from __future__ import annotations

from stscreds import credentials_file, keystore
from stscreds.credentials import Credentials
from stscreds.errors import MfaDeviceError, NoInputError, StscredsError, mask

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import User
    from stscreds.broker import Broker, Store
    from stscreds.prompts import UI

# GetSessionToken's limits for IAM users, and what `auth` asks for by default.
MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 129_600
DEFAULT_SESSION_SECONDS = 12 * 3600


class Source:
    """One way of getting credentials for one profile."""

    profile: str
    lock_name: str  # renewals of one source take turns under this lock
    store: Store
    # Said before a renewal the person did not ask for (an expired session, not `auth`);
    # None for sources that renew silently.
    renewal_notice: str | None = None

    def prepare(self, broker: Broker) -> None:
        """Everything that can be checked before a lock, a prompt or a call to AWS."""
        self.store.prepare()

    def fetch(self, broker: Broker) -> Credentials:
        raise NotImplementedError

    def saved(self, credentials: Credentials) -> None:
        """Bookkeeping after the credentials are stored; must not fail."""


class SessionTokenSource(Source):
    """An MFA session of a stscreds profile: the long-term keys and a code, traded with
    sts:GetSessionToken."""

    def __init__(
        self, profile: str, duration_seconds: int = DEFAULT_SESSION_SECONDS, mfa_serial: str | None = None
    ) -> None:
        self.profile = profile
        self.duration_seconds = duration_seconds
        self.mfa_serial = mfa_serial
        self.lock_name = f"session.{profile}"
        self.store = credentials_file.session_store(profile)
        self.renewal_notice = f"The session for profile {profile!r} is missing or expired; authenticating."
        self.user: User | None = None

    def prepare(self, broker: Broker) -> None:
        self.store.prepare()
        keystore.load_keys(self.profile)  # not set up: say so before anyone types a code

    def fetch(self, broker: Broker) -> Credentials:
        mfa = broker.mfa_for(self.profile)
        if not mfa.can_ask:  # decided before any call to AWS
            raise NoInputError(f"the session for profile {self.profile!r} has expired and {mfa.why_not}")
        access_key_id, secret = keystore.load_keys(self.profile)
        api = broker.make_api(access_key_id, secret, None, self.profile)
        user = api.current_user()
        if not user.name:
            raise StscredsError(f"access key {mask(access_key_id)} belongs to the root user; use an IAM user's keys")
        serial = pick_mfa_device(api.mfa_serials(user.name), self.mfa_serial, user.name, broker.ui)
        broker.ui.say(f"Current user: {user.name}.")
        credentials = api.session_token(self.duration_seconds, serial, mfa(serial))
        self.user = user
        return credentials

    def saved(self, credentials: Credentials) -> None:
        if self.user is not None:  # for `status`; a read-only store must not fail the command
            keystore.remember(self.profile, {keystore.USER_ARN: self.user.arn})


def pick_mfa_device(serials: list[str], wanted: str | None, user_name: str, ui: UI) -> str:
    from stscreds.prompts import choose

    if not serials:
        raise MfaDeviceError(f"IAM user {user_name} has no MFA device: assign one in the IAM console first")
    if wanted is not None:
        if wanted not in serials:
            raise MfaDeviceError(f"{wanted} is not an MFA device of {user_name}; theirs: {', '.join(serials)}")
        return wanted
    if len(serials) == 1:
        return serials[0]
    if not ui.interactive:
        raise MfaDeviceError(
            f"{user_name} has {len(serials)} MFA devices; pick one with --mfa-serial: {', '.join(serials)}"
        )
    return choose(ui, f"{user_name} has {len(serials)} MFA devices:", serials)
