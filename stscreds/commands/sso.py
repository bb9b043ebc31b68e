"""`stscreds sso login | logout | discover`: IAM Identity Center."""

from __future__ import annotations

from dataclasses import dataclass

from stscreds import cache, ini_edit, paths
from stscreds.broker import Broker
from stscreds.config import DEFAULT_PROFILE, Config, check_profile_name, load_config, sso_settings
from stscreds.errors import UsageError
from stscreds.resolve import known_profiles

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.prompts import UI
    from stscreds.sso import SsoSession


def sso_session(profile: str | None, session_name: str | None) -> SsoSession:
    """The sso-session to log in to: --sso-session's, else --profile's, else the config's only
    sso-session, else the default profile's."""
    from stscreds import sso

    if profile and session_name:
        raise UsageError("give --profile or --sso-session, not both")
    config = load_config()
    if session_name is None and profile is None and len(config.sso_sessions) == 1:
        session_name = next(iter(config.sso_sessions))
    if session_name is not None:
        if session_name not in config.sso_sessions:
            raise UsageError(f"no [sso-session {session_name}] in {config.path}")
        return sso.session_for({"sso_session": session_name}, config.sso_sessions, session_name)
    profile = check_profile_name(profile or DEFAULT_PROFILE)
    settings = sso_settings(config.settings(profile))
    if settings is None:
        raise UsageError(f"profile {profile!r} has no IAM Identity Center settings (sso_session, sso_account_id...)")
    return sso.session_for(settings, config.sso_sessions, profile)


def sso_login(session: SsoSession, ui: UI, open_browser: bool) -> None:
    """Log in anew with the device authorization flow (the URL and code on `ui`)."""
    from stscreds import sso
    from stscreds.lock import SourceLock
    from stscreds.resolve import lock_name

    with SourceLock(lock_name("sso-session", session.label), ui.say):
        sso.device_login(session, sso.Login(say=ui.say, can_ask=True, open_browser=open_browser))


def sso_logout(session: SsoSession) -> tuple[bool, list[str]]:
    """Forget the session's token and the role credentials stscreds got with it: whether
    there was a token, and the profiles whose cached credentials went."""
    from stscreds import sso
    from stscreds.resolve import lock_name

    removed = sso.logout(session)
    mine = cache.derived_from(lock_name("sso-session", session.label))
    cache.remove(mine)
    return removed, mine


@dataclass(frozen=True)
class Discovered:
    sections: dict[str, dict[str, str]]  # "profile NAME" -> its settings, to add
    skipped: list[str]  # profiles for these accounts and roles that the config has already
    renamed: list[str]  # names taken already by other profiles: "wanted -> given"
    path: str


def sso_discover(session: SsoSession, style: str, pattern: str, write: bool, broker: Broker) -> Discovered:
    """The profiles of every account and role the login may use; with `write`, added to the
    AWS config file, every other byte of it kept. No profile is created under a name that any
    file already gives a profile (or another discovered one): it gets the account ID, then
    the role, added to its name."""
    from stscreds import sso
    from stscreds.sources.sso import SsoLogin

    if style not in ("sso", "process"):
        raise UsageError(f"unknown --style {style!r}; choose sso or process")
    config = load_config()
    token = SsoLogin(session, session.login_hint).token(broker)
    taken = set(known_profiles(config))
    sections: dict[str, dict[str, str]] = {}
    skipped: list[str] = []
    renamed: list[str] = []
    for account, role in sso.accounts_and_roles(session, token):
        existing = _existing_profile(config, session.start_url, account["accountId"], role)
        if existing is not None:
            skipped.append(existing)
            continue
        wanted = sso.profile_name(pattern, account, role)
        name = wanted
        for suffix in ("-{account_id}", "-{account_id}-{role_name}"):
            if name not in taken:
                break
            name = sso.profile_name(pattern + suffix, account, role)
        number = 2
        while name in taken:
            name = f"{sso.profile_name(pattern + '-{account_id}-{role_name}', account, role)}-{number}"
            number += 1
        if name != wanted:
            renamed.append(f"{wanted} -> {name}")
        taken.add(name)
        sections[f"profile {name}"] = sso.discovered_settings(session, account["accountId"], role, style, name)
    if write and sections:
        # Its mode and hard links kept, as `aws configure set` keeps them: the config file holds no secret.
        ini_edit.edit_file(config.path, sections, "config file", paths.CONFIG_FILE_VARIABLE, keep=True)
    return Discovered(sections, skipped, renamed, config.path)


def _existing_profile(config: Config, start_url: str, account_id: str, role: str) -> str | None:
    """A profile of the config for this account and role of this IAM Identity Center already
    (an sso-session's, or the legacy form), in either style."""
    for name in config.profiles:
        settings = sso_settings(config.settings(name))
        if not settings or (settings["sso_account_id"], settings["sso_role_name"]) != (account_id, role):
            continue
        session = config.sso_sessions.get(settings["sso_session"], {}) if settings["sso_session"] else settings
        if session.get("sso_start_url") == start_url:
            return name
    return None
