"""`stscreds login` and `stscreds logout --login`: AWS Sign-In with your console credentials, as
AWS CLI v2's `aws login` and `aws logout` do, writing what they write."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from stscreds import cache, ini_edit, paths
from stscreds.config import DEFAULT_PROFILE, Config, check_profile_name, load_config
from stscreds.errors import StscredsError, UsageError
from stscreds.resolve import Resolver, login_lock, stored

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.prompts import UI
    from stscreds.sources import Clock

FALLBACK_REGION = "us-east-1"  # what AWS CLI v2 offers when it asks


def section_of(profile: str) -> str:
    """The profile's section in the AWS config file, as AWS CLI v2 writes it."""
    return DEFAULT_PROFILE if profile == DEFAULT_PROFILE else f"profile {profile}"


def profile_updates(profile: str, session: str, region: str | None) -> dict[str, dict[str, str]]:
    """What a login writes to the AWS config file, as AWS CLI v2 writes it: `login_session`,
    and `region` when one is to be written."""
    return {section_of(profile): {"login_session": session, **({"region": region} if region else {})}}


def other_credentials(config: Config, profile: str) -> str | None:
    """What else gives `profile` credentials, in words, or None when nothing does (or only a
    login): what AWS CLI v2 refuses (its settings, both files merged), a stscreds profile's
    keys, and whatever else resolve would take before or instead of login_session."""
    from stscreds.errors import StscredsError

    if stored(profile):
        return "long-term keys in stscreds' key store (a stscreds profile)"
    settings = config.settings(profile)
    for key, what in (
        ("web_identity_token_file", "a web identity (web_identity_token_file)"),
        ("sso_account_id", "IAM Identity Center (sso_account_id)"),
        ("sso_role_name", "IAM Identity Center (sso_role_name)"),
        ("aws_access_key_id", "keys (aws_access_key_id)"),
        ("role_arn", "a role (role_arn)"),
        ("credential_process", "a credential_process"),
    ):
        if settings.get(key):
            where = config.credentials_path if key in config.shared_credentials(profile) else config.path
            return f"{what} in {where}"
    if profile not in config.profiles:
        return None
    try:
        kind = Resolver(config).resolve(profile).kind
    except StscredsError:
        return None  # nothing it could serve: no credentials
    return None if kind == "login" else f"{kind} credentials"


@dataclass(frozen=True)
class LoggedIn:
    profile: str
    session: str  # the login session's ARN
    region: str | None  # written to the profile (None: it had one, or none was chosen)
    token_path: str
    config_path: str
    replaced: str | None  # the login session the profile named before, when another
    expiration: str


def login(
    flag: str | None,
    ui: UI,
    remote: bool = False,
    region: str | None = None,
    clock: Clock = time.time,
) -> LoggedIn:
    """Sign in with the browser and make the profile a login profile: the token where AWS CLI
    v2 and botocore find it, `login_session` (and `region`, when the profile has none and one
    was given or asked for) in its section of the AWS config file, byte-exact, and its
    credentials in stscreds' cache. A profile with another kind of credentials is refused
    before anything happens; one that holds another login session is changed only when the
    person says so."""
    from stscreds import answers, atomic, signin
    from stscreds.lock import SourceLock

    profile = check_profile_name(answers.profile_for("login", flag))
    paths.check_apart()
    config = load_config()
    other = other_credentials(config, profile)
    if other is not None:
        raise UsageError(
            f"profile {profile!r} already gets credentials from {other}; sign in to a profile of its own "
            "(`stscreds login --profile NAME`), or remove those settings first"
        )
    if region is not None and not region.strip():
        raise UsageError("--region is empty: give a region, such as eu-west-1")
    signin.check_crypto()
    signin.check_botocore()
    settings = config.settings(profile)
    previous = settings.get("login_session") or None
    configured = settings.get("region") or os.environ.get("AWS_DEFAULT_REGION") or None
    chosen = region
    if chosen is None and configured is None and ui.interactive:
        chosen = ui.ask(f"AWS Region to sign in through [{FALLBACK_REGION}]: ").strip() or FALLBACK_REGION
    write_region = chosen if chosen and not settings.get("region") else None
    # Everything that could stop the writes, checked before the browser opens: the edit is
    # tried on the file as it is (with a stand-in for the ARN the sign-in will give).
    document = ini_edit.writable_document(config.path, "config file", paths.CONFIG_FILE_VARIABLE)
    trial = profile_updates(profile, "arn:aws:iam::000000000000:user/stand-in", write_region)
    ini_edit.update_sections(document.text, trial, config.path)
    atomic.check_writable(config.path, "config file")
    atomic.check_writable(paths.cache_file(), "cache")
    atomic.check_writable(os.path.join(paths.login_cache_dir(), "0" * 64 + ".json"), "login token cache")

    signed = signin.sign_in(ui, profile, chosen or configured, remote=remote, clock=clock)
    replaced = previous if previous and previous != signed.session else None
    if replaced is not None:
        answer = ui.ask(f"Profile {profile!r} uses the login session {previous}. Use {signed.session} instead? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise StscredsError(f"profile {profile!r} was left as it was; nothing was written")
    credentials = signin.token_credentials(signed.token)
    assert credentials is not None  # made from a checked answer
    with SourceLock(login_lock(signed.session), ui.say):
        token_path = signin.save_token(signed.session, signed.token)
        updates = profile_updates(profile, signed.session, write_region)
        ini_edit.edit_file(config.path, updates, "config file", paths.CONFIG_FILE_VARIABLE)
        # What was got with the old login (this profile's, and roles' on it) is not served again.
        dropped = cache.derived_from(login_lock(replaced)) if replaced else []
        cache.update({**dict.fromkeys(dropped), profile: None})
        Resolver(load_config()).resolve(profile).store.save(credentials)
    return LoggedIn(
        profile, signed.session, write_region, token_path, config.path, replaced, credentials.expiration_text
    )


@dataclass(frozen=True)
class LoggedOut:
    profile: str
    session: str
    token_path: str
    removed: bool  # whether there was a token to remove
    cleared: list[str]  # profiles whose cached credentials went with it


def logout_login(flag: str | None) -> LoggedOut:
    """Forget the profile's login: its token file (as `aws logout` does; the config is left as
    it is) and every credential stscreds cached from it. Credentials already handed out live on
    until their end."""
    from stscreds import answers, signin
    from stscreds.lock import SourceLock

    profile = check_profile_name(answers.profile_for("logout", flag))
    config = load_config()
    session = config.settings(profile).get("login_session")
    if not session:
        known = profile in config.profiles
        raise UsageError(
            f"profile {profile!r} {'has no login_session' if known else 'does not exist'}: nothing to log out of"
            f"{'' if known else f' (in {config.path})'}"
        )
    with SourceLock(login_lock(session), lambda message: None):
        removed = signin.remove_token(session)
        cleared = cache.derived_from(login_lock(session))
        cache.remove(cleared)
    return LoggedOut(profile, session, signin.token_file(session), removed, cleared)
