"""Sources of credentials, behind one interface.

A source knows how to get a profile's credentials and where they are kept (its store); the
broker (broker.py) decides when. Each source has a lock name: renewals of one source take
turns, across processes.

- `SessionTokenSource`: sts:GetSessionToken with the stored long-term keys and an MFA code;
  kept in the profile's section of the shared credentials file.
- `AssumeRoleSource`: sts:AssumeRole signed with the MFA session at the end of the profile's
  `source_profile` chain (renewed first if need be), so no role asks for a code of its own;
  kept in stscreds' cache.
- `SsoSource`: sso:GetRoleCredentials with the IAM Identity Center login (refreshed, or made
  anew on a terminal, if need be); kept in stscreds' cache.

Importing this module is cheap (the fast path resolves profiles to sources to find their
stores); what fetching needs is imported when it fetches.
"""

from __future__ import annotations

from stscreds import cache, credentials_file, keystore, profiles
from stscreds.credentials import RENEW_MARGIN_SECONDS, Credentials
from stscreds.errors import AwsError, MfaDeviceError, NoInputError, StscredsError, UsageError, mask

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from stscreds.aws import AwsApi, User
    from stscreds.broker import Broker, Store
    from stscreds.prompts import UI
    from stscreds.sso import SsoSession

    class Root(Protocol):
        lock_name: str

        def make_ready(self, broker: Broker, min_seconds: float) -> None: ...


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

    def saved(self, broker: Broker, credentials: Credentials) -> None:
        """Bookkeeping after the credentials are stored; must not fail."""

    def root(self) -> Root:
        """What this source rests on and may need a person for: the MFA session at the end of a
        role's chain, an IAM Identity Center login. `Broker.get_many` makes it ready first."""
        return self

    def make_ready(self, broker: Broker, min_seconds: float) -> None:
        broker.get_from(self, min_seconds)


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

    def saved(self, broker: Broker, credentials: Credentials) -> None:
        if self.user is None:
            return
        # For `status`; a read-only store, or a policy that denies the lookup, must not fail it.
        keystore.remember(self.profile, {keystore.USER_ARN: self.user.arn})
        created = keystore.settings(self.profile).get(keystore.KEY_CREATED)
        if not created:
            created = self._look_up_key_created(broker, credentials, self.user.name)
        warn_if_old(broker.ui.say, self.profile, created, broker.clock())

    def _look_up_key_created(self, broker: Broker, credentials: Credentials, user_name: str) -> str | None:
        """When IAM made the long-term key: asked once, with the new session (the shipped
        policy allows IAM calls only with MFA), and remembered."""
        from stscreds.errors import debug

        try:
            access_key_id = keystore.load_keys(self.profile)[0]
            api = broker.make_api(
                credentials.access_key_id, credentials.secret_access_key, credentials.session_token, self.profile
            )
            created = next((k.created for k in api.access_keys(user_name) if k.access_key_id == access_key_id), "")
        except StscredsError as error:
            debug(__name__, "could not look up when the long-term key was made: %s", error)
            return None
        if created:
            keystore.remember(self.profile, {keystore.KEY_CREATED: created})
        return created or None


# AWS limits a role assumed with session credentials (role chaining) to one hour.
MAX_CHAINED_ROLE_SECONDS = 3600
MIN_ROLE_SECONDS = 900
_SESSION_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")


class AssumeRoleSource(Source):
    """A role profile of the AWS config file: `role_arn`, assumed with the credentials of its
    `source_profile` (another role, or at the end of the chain a stscreds profile's MFA
    session), never with long-term keys."""

    def __init__(self, profile: str, settings: dict[str, str], config: profiles.Config) -> None:
        self.profile = profile
        self.settings = settings
        self.config = config
        self.role_arn = settings["role_arn"]
        self.source_profile = settings.get("source_profile", "")
        self.lock_name = f"role.{profile}"
        self.store = cache.CacheStore(profile, profiles.role_origin(settings))
        self._chain: list[str] | None = None

    def __repr__(self) -> str:
        return f"role profile {self.profile!r}"

    # --- what the config says, checked before any lock, prompt or call ---------------------

    def chain(self) -> list[str]:
        """This profile and its source profiles, down to the stscreds profile at the end."""
        if self._chain is not None:
            return self._chain
        chain, settings = [self.profile], self.settings
        while settings.get("role_arn"):
            name = settings.get("source_profile", "")
            if not name:
                how = "credential_source" if settings.get("credential_source") else "no source_profile"
                raise UsageError(
                    f"profile {chain[-1]!r} has a role_arn but {how}: stscreds assumes roles from a source_profile"
                )
            name = profiles.stscreds_alias(self.config.settings(name)) or name
            if name in chain:
                raise UsageError(f"a cycle in source_profile: {' -> '.join([*chain, name])}")
            chain.append(name)
            settings = self.config.settings(name)
        if not keystore.has_keys(chain[-1]):
            raise UsageError(
                f"profile {chain[-1]!r} (the source_profile of {chain[-2]!r}) is neither a role profile nor a "
                f"stscreds profile: run `stscreds init --profile {chain[-1]}`, or point source_profile at one"
            )
        self._chain = chain
        return chain

    @property
    def duration_seconds(self) -> int:
        text = self.settings.get("duration_seconds", "")
        if not text:
            return MAX_CHAINED_ROLE_SECONDS
        if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) < MIN_ROLE_SECONDS:
            raise UsageError(
                f"profile {self.profile!r}: duration_seconds {text!r} must be a whole number of seconds, "
                f"{MIN_ROLE_SECONDS} or more"
            )
        return int(text)

    def prepare(self, broker: Broker) -> None:
        parts = self.role_arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise UsageError(
                f"profile {self.profile!r}: role_arn {self.role_arn!r} is not a role's ARN "
                "(arn:aws:iam::123456789012:role/NAME)"
            )
        self.duration_seconds  # noqa: B018 - refuses a bad value now, before any call
        self.chain()
        self.store.prepare()

    def parent(self) -> Source:
        """The source whose credentials sign the AssumeRole."""
        name = self.chain()[1]
        settings = self.config.settings(name)
        if settings.get("role_arn"):
            parent = AssumeRoleSource(name, settings, self.config)
            parent._chain = self.chain()[1:]
            return parent
        # The device of the MFA session: the nearest mfa_serial on the way to it.
        serial = next((s for p in self.chain() if (s := self.config.settings(p).get("mfa_serial"))), None)
        return SessionTokenSource(name, mfa_serial=serial)

    def root(self) -> Root:
        return self.parent().root()

    # --- assuming it ------------------------------------------------------------------------

    def fetch(self, broker: Broker) -> Credentials:
        root = self.chain()[-1]
        try:
            parent = broker.get_from(self.parent(), RENEW_MARGIN_SECONDS)
        except NoInputError as error:
            raise NoInputError(f"profile {self.profile!r} is assumed from the session of {root!r}: {error}") from None
        api = broker.make_api(
            parent.access_key_id,
            parent.secret_access_key,
            parent.session_token,
            root,
            region=self.settings.get("region") or None,
        )
        duration = self.duration_seconds
        if duration > MAX_CHAINED_ROLE_SECONDS:
            broker.ui.say(
                f"Profile {self.profile!r}: duration_seconds {duration} is more than the hour AWS allows a role "
                f"assumed with session credentials; using {MAX_CHAINED_ROLE_SECONDS} s (it renews by itself)."
            )
            duration = MAX_CHAINED_ROLE_SECONDS
        try:
            return api.assume_role(
                self.role_arn, self._session_name(api, root), duration, self.settings.get("external_id") or None
            )
        except AwsError as error:
            if error.code != "AccessDenied":
                raise
            raise AwsError(
                f"profile {self.profile!r}: AWS refused to let you assume {self.role_arn} (AccessDenied): its trust "
                "policy does not allow this user, or asks for something this session lacks"
            ) from None

    def _session_name(self, api: AwsApi, root: str) -> str:
        """role_session_name, else the IAM user's name, which CloudTrail then shows for the role."""
        name = self.settings.get("role_session_name") or ""
        if not name:
            arn = keystore.settings(root).get(keystore.USER_ARN) or api.caller_arn()
            name = arn.rpartition("/")[2]
        name = "".join(c if c in _SESSION_NAME_CHARACTERS else "-" for c in name)[:64]
        return name if len(name) >= 2 else f"stscreds-{name}"


class SsoSource(Source):
    """An IAM Identity Center role: a profile naming `sso_account_id` and `sso_role_name`, and
    an sso-session (or, the legacy form, a start URL and region) to log in to."""

    def __init__(self, profile: str, settings: dict[str, str], config: profiles.Config) -> None:
        self.profile = profile
        self.sso = profiles.sso_settings(settings) or {}
        self.config = config
        self.lock_name = f"sso.{profile}"
        self.store = cache.CacheStore(profile, self.sso)

    def __repr__(self) -> str:
        return f"IAM Identity Center profile {self.profile!r}"

    @property
    def session(self) -> SsoSession:
        from stscreds import sso

        return sso.session_for(self.sso, self.config.sso_sessions, self.profile)

    def prepare(self, broker: Broker) -> None:
        self.session  # noqa: B018 - an unknown sso-session or a missing start URL, now
        missing = [key for key in ("sso_account_id", "sso_role_name") if not self.sso[key]]
        if missing:
            raise UsageError(f"profile {self.profile!r} has no {' or '.join(missing)}")
        self.store.prepare()

    def root(self) -> SsoLogin:
        return SsoLogin(self.session, f"stscreds sso login --profile {self.profile}")

    def fetch(self, broker: Broker) -> Credentials:
        from stscreds import sso

        login = self.root()
        token = login.token(broker)
        try:
            return sso.role_credentials(self.session, token, self.sso["sso_account_id"], self.sso["sso_role_name"])
        except sso.SsoError as error:
            if error.code == "ForbiddenException":
                raise sso.SsoError(
                    f"profile {self.profile!r}: IAM Identity Center does not let you use role "
                    f"{self.sso['sso_role_name']} in account {self.sso['sso_account_id']} (ForbiddenException): "
                    "you are not assigned to it"
                ) from None
            if error.code != "UnauthorizedException":
                raise
        # The portal no longer takes the login (signed out elsewhere, say): sign in anew.
        token = login.token(broker, fresh=True)
        return sso.role_credentials(self.session, token, self.sso["sso_account_id"], self.sso["sso_role_name"])


class SsoLogin:
    """An IAM Identity Center login: one at a time per sso-session, under its own lock."""

    def __init__(self, session: SsoSession, hint: str, open_browser: bool = True) -> None:
        self.session = session
        self.hint = hint
        self.open_browser = open_browser
        self.lock_name = f"sso-session.{session.label}"

    def token(self, broker: Broker, fresh: bool = False) -> str:
        from stscreds import sso
        from stscreds.lock import SourceLock

        ui = broker.ui
        login = sso.Login(
            say=getattr(ui, "show", ui.say),
            can_ask=ui.interactive,
            open_browser=self.open_browser,
            clock=broker.clock,
        )
        with SourceLock(self.lock_name, ui.say):
            if fresh:
                if not login.can_ask:
                    raise NoInputError(f"IAM Identity Center no longer accepts the login: run `{self.hint}`")
                return sso.device_login(self.session, login)
            return sso.valid_token(self.session, login, self.hint)

    def make_ready(self, broker: Broker, min_seconds: float) -> None:
        self.token(broker)


# AWS recommends rotating access keys at least every 90 days.
KEY_MAX_AGE_DAYS = 90


def warn_if_old(say: Callable[[str], None], profile: str, created: str | None, now: float) -> None:
    from stscreds.credentials import days_since

    age = days_since(created, now)
    if age is not None and age > KEY_MAX_AGE_DAYS:
        flag = "" if profile == "default" else f" --profile {profile}"
        say(f"Warning: your long-term access key is {age} days old; rotate it with `stscreds rotate{flag}`.")


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
