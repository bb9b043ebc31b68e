"""The MFA session of a stscreds profile: its long-term keys (in the key store) and a code,
traded with sts:GetSessionToken; kept in the profile's section of the shared credentials
file, where every AWS tool finds it."""

from __future__ import annotations

from stscreds import credentials_file
from stscreds.credentials import mask
from stscreds.errors import MfaDeviceError, NoInputError, StscredsError
from stscreds.sources import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from stscreds.aws import User
    from stscreds.config import Config
    from stscreds.credentials import Credentials
    from stscreds.prompts import UI
    from stscreds.sources import Renewer

# GetSessionToken's limits for IAM users, and what `auth` asks for by default.
MIN_SESSION_SECONDS = 900
MAX_SESSION_SECONDS = 129_600
DEFAULT_SESSION_SECONDS = 12 * 3600


def flag(profile: str) -> str:
    """` --profile P`, or nothing for the default profile: for the commands messages suggest."""
    return "" if profile == "default" else f" --profile {profile}"


class SessionTokenSource(Source):
    """An MFA session of a stscreds profile: the long-term keys and a code, traded with
    sts:GetSessionToken."""

    kind = "session"

    def __init__(
        self, profile: str, duration_seconds: int = DEFAULT_SESSION_SECONDS, mfa_serial: str | None = None
    ) -> None:
        self.profile = profile
        self.duration_seconds = duration_seconds
        self.mfa_serial = mfa_serial
        from stscreds.resolve import lock_name  # resolve builds sources: no import of it at the top

        self.lock_name = lock_name("session", profile)
        self.store: credentials_file.SectionStore = credentials_file.session_store(profile)
        self.renewal_notice = f"The session for profile {profile!r} is missing or expired; authenticating."
        self.user: User | None = None
        self.serials: list[str] = []  # the user's MFA devices, as the last fetch found them

    def __repr__(self) -> str:
        return f"the session of {self.profile!r}"

    def prepare(self, renewer: Renewer) -> None:
        from stscreds import keystore  # renewing only: reading a session never loads it

        self.store.prepare()
        stored_key = keystore.load_keys(self.profile)[0]  # not set up: say so before anyone types a code
        self.check_no_other_pair(stored_key)

    def check_no_other_pair(self, stored_key: str) -> None:
        """Refuse to write a session over a long-term pair in the section that is not the stored
        one (keys from `aws configure`, another user's): its secret would be lost. The stored
        pair itself is replaced, as `init --import` means it to be."""
        found = self.store.long_term_pair()
        if found is not None and found[0] != stored_key:
            raise StscredsError(
                f"[{self.profile}] of {self.store.path} holds the long-term key {mask(found[0])}, not the one "
                f"stscreds keeps for {self.profile!r} ({mask(stored_key)}), and a session written there would "
                f"lose its secret: keep it with `stscreds init --import{flag(self.profile)}` (it then replaces "
                "the stored pair), or move it to a profile of its own; nothing was written"
            )

    def fetch(self, renewer: Renewer) -> Credentials:
        from stscreds import keystore  # renewing only: reading a session never loads it

        mfa = renewer.mfa_for(self.profile)
        if not mfa.can_ask:  # decided before any call to AWS
            from stscreds.aws import make_client
            from stscreds.prompts import MFA_COMMAND_VARIABLE

            make_client("sts", profile=self.profile)  # a bad AWS setting is named first, as everywhere
            raise NoInputError(
                f"the session of profile {self.profile!r} needs an MFA code to be renewed, and {mfa.why_not}: "
                f"run `stscreds auth{flag(self.profile)}` in a terminal, or set {MFA_COMMAND_VARIABLE} (or "
                f"`stscreds init{flag(self.profile)} --mfa-command CMD`) so that renewals need none"
            )
        access_key_id, secret = keystore.load_keys(self.profile)
        api = renewer.make_api(access_key_id, secret, None, self.profile)
        user = api.current_user()
        if not user.name:
            raise StscredsError(f"access key {mask(access_key_id)} belongs to the root user; use an IAM user's keys")
        serials = api.mfa_serials(user.name)
        serial = pick_mfa_device(serials, self.mfa_serial, user.name, renewer.ui)
        renewer.ui.say(f"Current user: {user.name}.")
        credentials = api.session_token(self.duration_seconds, serial, mfa(serial))
        self.user = user
        self.serials = serials
        return credentials

    def saved(self, renewer: Renewer, credentials: Credentials) -> None:
        from stscreds import keystore  # renewing only: reading a session never loads it

        if self.store.created:  # the section is stscreds': `clear` may remove it again
            keystore.remember(self.profile, {keystore.SESSION_SECTION: self.store.path})
        if self.user is None:
            return
        # For `status` and roles' mfa_serial; a read-only store, or a policy that denies the
        # lookup, must not fail it.
        keystore.remember(
            self.profile, {keystore.USER_ARN: self.user.arn, keystore.MFA_DEVICES: " ".join(self.serials)}
        )
        created = keystore.settings(self.profile).get(keystore.KEY_CREATED)
        if not created:
            created = self._look_up_key_created(renewer, credentials, self.user.name)
        warn_if_old(renewer.ui.say, self.profile, created, renewer.clock())

    def _look_up_key_created(self, renewer: Renewer, credentials: Credentials, user_name: str) -> str | None:
        """When IAM made the long-term key: asked once, with the new session (the shipped
        policy allows IAM calls only with MFA), and remembered."""
        from stscreds import keystore  # renewing only: reading a session never loads it
        from stscreds.errors import debug

        try:
            access_key_id = keystore.load_keys(self.profile)[0]
            api = renewer.make_api(
                credentials.access_key_id, credentials.secret_access_key, credentials.session_token, self.profile
            )
            created = next((k.created for k in api.access_keys(user_name) if k.access_key_id == access_key_id), "")
        except StscredsError as error:
            debug(__name__, "could not look up when the long-term key was made: %s", error)
            return None
        if created:
            keystore.remember(self.profile, {keystore.KEY_CREATED: created})
        return created or None

    def mfa_devices(self, renewer: Renewer, credentials: Credentials) -> list[str]:
        """The MFA devices of the session's IAM user: remembered at the last renewal, else
        asked once with the session and remembered."""
        from stscreds import keystore  # renewing only: reading a session never loads it

        known = keystore.settings(self.profile).get(keystore.MFA_DEVICES)
        if known:
            return known.split()
        api = renewer.make_api(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token, self.profile
        )
        arn = keystore.settings(self.profile).get(keystore.USER_ARN) or api.caller_arn()
        serials = api.mfa_serials(arn.rpartition("/")[2])
        keystore.remember(self.profile, {keystore.MFA_DEVICES: " ".join(serials)})
        return serials


def session_root(name: str, command: str, config: Config | None = None) -> SessionTokenSource:
    """The MFA session of a stscreds profile, for the commands that work on its long-term keys
    (`auth`, `whoami`, `rotate`). Any other kind of profile is refused, naming what to run."""
    from stscreds.config import check_profile_name, load_config
    from stscreds.errors import NotInitialisedError, UnknownProfileError, UsageError
    from stscreds.resolve import Resolver, stored  # resolve builds sources: no import of it at the top

    check_profile_name(name)
    config = config or load_config()
    if stored(name):
        return SessionTokenSource(name, mfa_serial=config.settings(name).get("mfa_serial") or None)
    try:
        resolved = Resolver(config).resolve(name)
    except (UnknownProfileError, NotInitialisedError):
        raise NotInitialisedError(
            f"no long-term keys for profile {name!r}: run `stscreds init{flag(name)}` first"
        ) from None
    root = resolved.chain()[-1]
    if root.kind == "session":
        raise UsageError(
            f"{name!r} is a {resolved.kind} profile whose session comes from {root.profile!r}: "
            f"run `stscreds {command}{flag(root.profile)}`"
        )
    if root.kind == "sso":
        raise UsageError(
            f"{name!r} is an IAM Identity Center profile, with no long-term keys: run `stscreds sso login{flag(name)}`"
        )
    if root.kind == "login":
        raise UsageError(
            f"{name!r} is a login profile (stscreds login), with no long-term keys: it signs in with "
            f"`stscreds login{flag(root.profile)}`"
        )
    if root.kind == "static" and not root.settings.get("aws_session_token"):
        raise UsageError(
            f"profile {name!r} holds long-term keys that stscreds does not manage: keep them in stscreds with "
            f"`stscreds init --import{flag(name)}` first"
        )
    raise UsageError(f"{name!r} is a {root.kind} profile, with no stscreds keys: run `stscreds init{flag(name)}` first")


# AWS recommends rotating access keys at least every 90 days.
KEY_MAX_AGE_DAYS = 90


def warn_if_old(say: Callable[[str], None], profile: str, created: str | None, now: float) -> None:
    from stscreds.credentials import days_since

    age = days_since(created, now)
    if age is not None and age > KEY_MAX_AGE_DAYS:
        say(f"Warning: your long-term access key is {age} days old; rotate it with `stscreds rotate{flag(profile)}`.")


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
