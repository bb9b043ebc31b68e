"""`stscreds retire-keys`: move from a stscreds profile's long-term key to a login profile of the
same IAM user (`stscreds login`), and retire the key: deactivated, the login seen still working,
then deleted, then removed from the key store (or keyring).

It never leaves the person with no working way in: nothing changes until the login is seen to
work as the same IAM user, and a login that stops working once the key is inactive gets the key
reactivated. Every failure and interruption ends in a state it names, and running it again
finishes what an interrupted run began (a key already inactive, or already deleted, is taken
as it is).
"""

from __future__ import annotations

from dataclasses import dataclass

from stscreds import keystore
from stscreds.broker import Broker
from stscreds.config import Config, load_config
from stscreds.credentials import mask
from stscreds.errors import EXIT_FAILURE, EXIT_INTERRUPTED, KeysRejectedError, StscredsError, UsageError
from stscreds.resolve import Resolver
from stscreds.sources.session import flag, session_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import AwsApi


class Stopped(StscredsError):
    """retire-keys was interrupted (Ctrl-C, a signal): the message names the state it left;
    the exit code is the interruption's."""

    def __init__(self, message: str, interruption: BaseException) -> None:
        super().__init__(message)
        number = getattr(interruption, "number", None)  # cli's Terminated: SIGTERM, SIGHUP
        self.exit_code = (
            EXIT_INTERRUPTED
            if isinstance(interruption, KeyboardInterrupt)
            else 128 + number
            if isinstance(number, int)
            else EXIT_FAILURE
        )


@dataclass(frozen=True)
class Retired:
    profile: str
    user_arn: str
    key: str  # masked
    login_profile: str
    key_store: str
    already_deleted: bool  # IAM had no such key any more (an earlier run deleted it)
    dependents: list[str]  # profiles whose credentials still come through `profile`
    session_ends: str | None  # when the MFA session left in the shared credentials file ends


def retire_keys(profile_flag: str | None, login_flag: str | None, broker: Broker, yes: bool) -> Retired:
    from stscreds import answers, paths

    profile = answers.profile_for("retire-keys", profile_flag)
    source = session_root(profile, "retire-keys")
    if not yes and not broker.ui.interactive:
        raise UsageError("retire-keys asks before it deletes your key: confirm on a terminal, or pass --yes")
    key_id, secret = keystore.load_keys(profile)
    key, store = mask(key_id), paths.key_store()
    keystore.check_writable()  # its last step removes the key there: known before the first
    config = load_config()
    user_arn = keystore.settings(profile).get(keystore.USER_ARN)
    if not user_arn:  # iam:GetUser with the long-term key: what the shipped policy allows without MFA
        user_arn = broker.make_api(key_id, secret, None, profile).current_user().arn
    user = user_arn.rpartition("/")[2]
    login_profile = _login_profile(config, login_flag, user_arn, profile)

    # 1. The login works, as the same IAM user: before anything changes.
    _check_login(broker, login_profile, user_arn)
    # 2. The key as IAM has it, with the MFA session.
    api, found = _key_in_iam(broker, source, profile, login_profile, user, key_id)
    if not yes:
        what = "Deactivate, then delete," if found is not None else "Forget (IAM has it no more)"
        answer = broker.ui.ask(
            f"Login profile {login_profile!r} works as {user_arn}. {what} access key {key} of IAM user {user} "
            f"and remove it from {store}? [y/N] "
        )
        if answer.strip().lower() not in ("y", "yes"):
            raise UsageError("not retired: nothing was changed")
    again = f"`stscreds retire-keys{flag(profile)}{'' if login_flag is None else f' --login-profile {login_profile}'}`"
    if found is not None:
        # 3. Deactivate.
        if found != "Inactive":
            try:
                api.set_access_key_status(user, key_id, "Inactive")
            except StscredsError as error:
                raise StscredsError(f"could not deactivate {key} ({error}); nothing was changed") from None
            except BaseException as stop:
                raise Stopped(f"interrupted while deactivating {key}: {_undo(api, user, key_id)}", stop) from None
        # 4. The login still works.
        try:
            _check_login(broker, login_profile, user_arn)
        except StscredsError as error:
            raise StscredsError(
                f"login profile {login_profile!r} no longer works with {key} deactivated ({error}): "
                f"{_undo(api, user, key_id)}"
            ) from None
        except BaseException as stop:
            raise Stopped(
                f"interrupted while checking login profile {login_profile!r}: {_undo(api, user, key_id)}", stop
            ) from None
        # 5. Delete.
        try:
            api.delete_access_key(user, key_id)
        except StscredsError as error:
            raise StscredsError(
                f"{key} is deactivated but could not be deleted ({error}); {store} still holds it and login profile "
                f"{login_profile!r} works: run {again} again, or delete it in the IAM console"
            ) from None
        except BaseException as stop:
            raise Stopped(
                f"interrupted while deleting {key}: it is deactivated, perhaps deleted, and {store} still holds it; "
                f"run {again} again to finish",
                stop,
            ) from None
    # 6. Forget it here.
    try:
        keystore.remove_keys(profile)
    except StscredsError as error:
        raise StscredsError(
            f"{key} is deleted in IAM, but could not be removed from {store} ({error}): run {again} again"
        ) from None
    except BaseException as stop:
        raise Stopped(
            f"interrupted while removing {key} from {store}: it is deleted in IAM; run {again} again to finish", stop
        ) from None
    session = source.store.load()
    return Retired(
        profile,
        user_arn,
        key,
        login_profile,
        store,
        found is None,
        _dependents(load_config(), profile),
        session.expiration_text if session is not None else None,
    )


def _login_profile(config: Config, wanted: str | None, user_arn: str, profile: str) -> str:
    """--login-profile, checked; else the first profile whose login_session is the user's."""
    resolver = Resolver(config)

    def is_login(name: str) -> bool:
        try:
            return resolver.resolve(name).kind == "login" and not resolver.aliases
        except StscredsError:
            return False

    if wanted is not None:
        if not is_login(wanted):
            raise UsageError(
                f"{wanted!r} is not a login profile (one with login_session of its own): sign in with "
                f"`stscreds login --profile {wanted}` first"
            )
        return wanted
    for name in config.profiles:
        if name != profile and config.settings(name).get("login_session") == user_arn and is_login(name):
            return name
    raise UsageError(
        f"no login profile signs in as {user_arn}: sign in as that IAM user with `stscreds login --profile NAME` "
        "first (it needs no key), then run this again"
    )


def _check_login(broker: Broker, login_profile: str, user_arn: str) -> None:
    """sts:GetCallerIdentity with the login's credentials names the key's IAM user."""
    credentials = broker.get(login_profile)
    api = broker.make_api(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token, login_profile
    )
    arn = api.caller_arn()
    if arn != user_arn:
        raise UsageError(
            f"login profile {login_profile!r} signs in as {arn}, not as {user_arn}, whose key this is: sign in as "
            f"that IAM user (`stscreds login --profile {login_profile}`); nothing was changed"
        )


def _key_in_iam(
    broker: Broker, source: object, profile: str, login_profile: str, user: str, key_id: str
) -> tuple[AwsApi, str | None]:
    """An API signed with the MFA session, and the key's status in IAM (None: IAM has no such
    key of the user's: an earlier run deleted it)."""
    from stscreds.sources.session import SessionTokenSource

    assert isinstance(source, SessionTokenSource)
    try:
        session = broker.get_from(source)
    except KeysRejectedError as error:
        # The session is gone and AWS no longer takes the key: an earlier run may have deleted
        # it. The login can say whether IAM still has it.
        credentials = broker.get(login_profile)
        api = broker.make_api(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token, login_profile
        )
        try:
            keys = api.access_keys(user)
        except StscredsError:
            raise StscredsError(
                f"AWS no longer takes {mask(key_id)} ({error}), and login profile {login_profile!r} may not list "
                f"your keys: if it is deleted, remove [{profile}] from {keystore_path()}"
            ) from None
        if any(k.access_key_id == key_id for k in keys):
            raise error from None
        return api, None
    api = broker.make_api(session.access_key_id, session.secret_access_key, session.session_token, profile)
    status = {k.access_key_id: k.status for k in api.access_keys(user)}
    return api, status.get(key_id) if key_id in status else None


def keystore_path() -> str:
    from stscreds import paths

    return paths.key_store()


def _undo(api: AwsApi, user: str, key_id: str) -> str:
    """Reactivate the key after a failure or an interruption; what state that leaves, in words."""
    key = mask(key_id)
    try:
        api.set_access_key_status(user, key_id, "Active")
    except StscredsError as error:
        return (
            f"reactivating it failed too ({error}): {key} may be inactive and is still stored; reactivate it in "
            "the IAM console, or run retire-keys again"
        )
    except BaseException:
        return (
            f"interrupted while reactivating it: {key} may be inactive and is still stored; reactivate it in the "
            "IAM console"
        )
    return f"{key} was reactivated; nothing was changed"


def _dependents(config: Config, profile: str) -> list[str]:
    """The other profiles whose credentials still come through `profile` (roles on it, aliases)."""
    resolver = Resolver(config)
    found = []
    for name in config.profiles:
        if name == profile:
            continue
        try:
            chain = resolver.resolve(name).chain()
        except StscredsError:
            continue
        if chain[-1].profile == profile and chain[-1].kind == "session":
            found.append(name)
    return found
