"""The commands as plain functions. They take their I/O (a UI, the broker) as arguments,
print nothing themselves and raise StscredsError on failure."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stscreds import ini, keystore, profiles, sources
from stscreds.broker import Broker
from stscreds.credentials import RENEW_MARGIN_SECONDS, SDK_REFRESH_MARGIN_SECONDS, Credentials
from stscreds.errors import StscredsError, UsageError, mask
from stscreds.prompts import UI, MfaPrompter

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import ApiFactory  # boto3: imported only when AWS is called
    from stscreds.broker import Clock
    from stscreds.sso import SsoSession

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
    low, high = sources.MIN_SESSION_SECONDS, sources.MAX_SESSION_SECONDS
    if not low <= seconds <= high:
        raise UsageError(f"duration {text!r} is {seconds} s; AWS allows {low} s (15m) to {high} s (36h)")
    return seconds


# --- init --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    user_name: str
    access_key_id: str
    path: str
    shadowing_variables: tuple[str, ...]


def init_profile(
    profile: str,
    ui: UI,
    make_api: ApiFactory,
    environ: Mapping[str, str] | None = None,
    mfa_command: str | None = None,
    keyring: bool = False,
) -> InitResult:
    """Ask for the long-term pair, check it with iam:GetUser, then store it, with the user's
    ARN and, when given, the command that prints MFA codes for this profile ("" removes it).
    With `keyring` the secret goes to the OS keyring, which is checked first."""
    profiles.check_profile_name(profile)
    if keyring:
        keystore.check_keyring()  # not installed, or no keyring: say so before asking anything
    environ = os.environ if environ is None else environ
    shadowing = tuple(name for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") if environ.get(name))
    access_key_id = ui.ask("AWS Access Key ID: ")
    if not keystore.looks_like_access_key_id(access_key_id):
        raise UsageError("that does not look like an AWS access key ID (16 or more capital letters and digits)")
    secret = ui.ask("AWS Secret Access Key: ", secret=True)
    if not secret or any(c.isspace() for c in secret) or not secret.isprintable():
        raise UsageError("the secret access key must be one word with no spaces")
    user = make_api(access_key_id, secret, None, profile).current_user()
    settings = {keystore.USER_ARN: user.arn}
    if mfa_command is not None:
        settings[keystore.MFA_COMMAND] = mfa_command
    path = keystore.save_keys(profile, access_key_id, secret, settings=settings, keyring=keyring)
    return InitResult(user.name, access_key_id, path, shadowing)


# --- auth and the consumers of credentials -----------------------------------------------


@dataclass(frozen=True)
class AuthResult:
    path: str
    credentials: Credentials


def authenticate(profile: str, duration_seconds: int, mfa_serial: str | None, broker: Broker) -> AuthResult:
    """Trade the stored long-term keys and an MFA code for a new session in [profile]."""
    profiles.check_profile_name(profile)
    source = sources.SessionTokenSource(profile, duration_seconds, mfa_serial)
    return AuthResult(source.store.path, broker.renew(source))


def read_value(key: str, profile: str, broker: Broker) -> str:
    """KEY of the profile's credentials, renewed first when they are missing or ending."""
    check_readable_key(key)
    return broker.get(profile).as_ini()[key]


def check_readable_key(key: str) -> str:
    from stscreds.credentials import INI_KEYS

    if key not in INI_KEYS:
        raise UsageError(f"unknown key {key!r}; choose one of: {', '.join(INI_KEYS)}")
    return key


# Variables that would make an SDK look for a profile instead of using the given keys.
PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def exec_environment(profile: str, broker: Broker, environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` for the command `stscreds exec` runs: the credentials in, profiles out."""
    from stscreds import outputs

    credentials = broker.get(profile)
    kept = {name: value for name, value in environ.items() if name not in PROFILE_VARIABLES}
    return {**kept, **outputs.environment(credentials)}


# What, in a config profile, says where credentials come from: the child of `exec --server`
# must not find any of it, or its SDK would use that before the endpoint.
CREDENTIAL_SETTINGS = frozenset(
    "aws_access_key_id aws_secret_access_key aws_session_token x_security_token_expires role_arn source_profile "
    "credential_source credential_process web_identity_token_file role_session_name external_id mfa_serial "
    "duration_seconds sso_session sso_start_url sso_region sso_account_id sso_role_name "
    "sso_registration_scopes".split()
)
# Variables an SDK would take credentials from before the endpoint, or that would redirect it.
SERVER_HIDDEN_VARIABLES = (
    *PROFILE_VARIABLES,
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
# botocore hands out what the endpoint gives until 15 minutes before its end: give more.
SERVER_MIN_SECONDS = SDK_REFRESH_MARGIN_SECONDS + 60


def child_config(profile: str) -> str:
    """The AWS config file the command of `exec --server` sees: [default] holds the profile's
    settings (over [default]'s) but none that says where credentials come from; the
    [services ...] sections its endpoints may name are kept."""
    config = profiles.load_config()
    settings = {
        key: value
        for key, value in {**config.profiles.get("default", {}), **config.profiles.get(profile, {})}.items()
        if key not in CREDENTIAL_SETTINGS
    }
    sections: dict[str, ini.Section] = {"default": settings}
    for name, values in ini.read(config.path).sections.items() if config.path else ():
        if name.startswith("services"):
            sections[name] = values
    return ini.render(sections)


def run_with_server(path: str, argv: list[str], profile: str, broker: Broker, environ: Mapping[str, str]) -> int:
    """Run the command with a credentials endpoint instead of fixed keys; its exit code."""
    import signal
    import subprocess

    from stscreds import atomic, paths
    from stscreds.server import CredentialsServer

    broker.get(profile, SERVER_MIN_SECONDS)  # renew now, in the foreground, if it must be
    config_path = os.path.join(paths.stscreds_dir(), f"exec-{os.getpid()}.config")
    atomic.make_folders(paths.stscreds_dir(), enforce=True)
    atomic.write_file(config_path, child_config(profile).encode(ini.file_encoding()))
    try:
        with CredentialsServer(lambda: broker.get(profile, SERVER_MIN_SECONDS), broker.ui.say) as server:
            environment = {k: v for k, v in environ.items() if k not in SERVER_HIDDEN_VARIABLES}
            environment.update(
                AWS_CONTAINER_CREDENTIALS_FULL_URI=server.url,
                AWS_CONTAINER_AUTHORIZATION_TOKEN=server.token,
                AWS_CONFIG_FILE=config_path,
                # botocore reads keys from a credentials file before it asks the endpoint;
                # /dev/null is no file to it (and an empty one to other SDKs).
                AWS_SHARED_CREDENTIALS_FILE=os.devnull,
            )
            process = subprocess.Popen(argv, executable=path, env=environment)
            # The terminal sends Ctrl-C to the command too; SIGTERM and SIGHUP are passed on.
            previous = {
                number: signal.signal(number, lambda number, frame: process.send_signal(number))
                for number in (signal.SIGTERM, signal.SIGHUP)
            }
            ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                code = process.wait()
            finally:
                for number, handler in previous.items():
                    signal.signal(number, handler)
                signal.signal(signal.SIGINT, ignored)
    finally:
        atomic.remove_file(config_path)
    return code if code >= 0 else 128 - code  # killed by signal N: 128+N, as shells say


def credential_process_credentials(profile: str, broker: Broker) -> Credentials:
    """For an SDK's `credential_process`: renewed 15 minutes before the end (botocore's
    refresh window) when a code can be had; otherwise the current credentials while they
    have read's 5 minutes left, since an SDK runs us before each call in that window."""
    return broker.get(profile, SDK_REFRESH_MARGIN_SECONDS, fallback_seconds=RENEW_MARGIN_SECONDS)


# --- assume ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumed:
    profile: str
    role_arn: str | None  # None for a stscreds profile named among the roles
    result: Credentials | StscredsError


def assume(names: list[str], every_role: bool, broker: Broker, parallel: int) -> list[Assumed]:
    """Renew the role profiles `names` now (with `every_role`, every role profile whose chain
    ends at a stscreds profile), in parallel, with at most one MFA prompt per session."""
    config = profiles.load_config()
    if every_role:
        names = [*names, *(name for name in config.profiles if _assumable(name, config))]
    if not names:
        raise UsageError("name the role profiles to assume, or use --all")
    if parallel < 1:
        raise UsageError("--parallel must be 1 or more")
    results = broker.get_many(names, max_workers=parallel, renew=True)
    return [Assumed(name, config.settings(name).get("role_arn"), result) for name, result in results.items()]


def _assumable(name: str, config: profiles.Config) -> bool:
    settings = config.settings(name)
    if not settings.get("role_arn"):
        return False
    try:
        sources.AssumeRoleSource(name, settings, config).chain()
    except StscredsError:
        return False
    return True


# --- whoami ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    user_name: str
    arn: str
    access_key_id: str  # masked
    mfa_serials: list[str]


def whoami(profile: str, make_api: ApiFactory) -> Identity:
    """The IAM user the stored long-term keys belong to, and their MFA devices."""
    profiles.check_profile_name(profile)
    access_key_id, secret = keystore.load_keys(profile)
    api = make_api(access_key_id, secret, None, profile)
    user = api.current_user()
    serials = api.mfa_serials(user.name) if user.name else []
    return Identity(user.name, user.arn, mask(access_key_id), serials)


def cli_broker(
    ui: UI, make_api: ApiFactory, code: str | None = None, command: str | None = None, clock: Clock = time.time
) -> Broker:
    """The broker the CLI uses: codes from `code`, `command`, the MFA command, else `ui`."""
    from stscreds.prompts import checked_code, mfa_prompter

    if code is not None:
        checked_code(code, "--mfa-code", UsageError)  # before anything else happens

    def mfa_for(profile: str) -> MfaPrompter:
        return mfa_prompter(ui, profile, code, command)

    return Broker(ui, mfa_for, make_api, clock)


# --- IAM Identity Center ---------------------------------------------------------------------


def sso_session(profile: str | None, session_name: str | None) -> SsoSession:
    """The sso-session to log in to: --sso-session's, else --profile's, else the config's only
    sso-session, else the default profile's."""
    from stscreds import sso

    if profile and session_name:
        raise UsageError("give --profile or --sso-session, not both")
    config = profiles.load_config()
    if session_name is None and profile is None and len(config.sso_sessions) == 1:
        session_name = next(iter(config.sso_sessions))
    if session_name is not None:
        if session_name not in config.sso_sessions:
            raise UsageError(f"no [sso-session {session_name}] in {config.path}")
        return sso.session_for({"sso_session": session_name}, config.sso_sessions, session_name)
    profile = profiles.check_profile_name(profile or profiles.DEFAULT_PROFILE)
    settings = profiles.sso_settings(config.settings(profile))
    if settings is None:
        raise UsageError(f"profile {profile!r} has no IAM Identity Center settings (sso_session, sso_account_id...)")
    return sso.session_for(settings, config.sso_sessions, profile)


def sso_login(session: SsoSession, ui: UI, open_browser: bool) -> None:
    """Log in anew with the device authorization flow (the URL and code on `ui`)."""
    from stscreds import sso
    from stscreds.lock import SourceLock

    with SourceLock(f"sso-session.{session.label}", ui.say):
        sso.device_login(session, sso.Login(say=ui.say, can_ask=True, open_browser=open_browser))


def sso_logout(session: SsoSession) -> tuple[bool, list[str]]:
    """Forget the session's token and the role credentials stscreds got with it: whether
    there was a token, and the profiles whose cached credentials went."""
    from stscreds import cache, sso

    removed = sso.logout(session)
    mine = [
        name
        for name, values in cache.sections().items()
        if values.get("sso_account_id")
        and (
            values.get("sso_session") == session.name
            if session.name
            else values.get("sso_start_url") == session.start_url
        )
    ]
    cache.remove(mine)
    return removed, mine


@dataclass(frozen=True)
class Discovered:
    sections: dict[str, dict[str, str]]  # "profile NAME" -> its settings, to add
    skipped: list[str]  # profile names the config has already
    path: str


def sso_discover(session: SsoSession, style: str, pattern: str, write: bool, broker: Broker) -> Discovered:
    """The profiles of every account and role the login may use; with `write`, added to the
    AWS config file, every other byte of it kept and no existing profile touched."""
    from stscreds import sso
    from stscreds.sources import SsoLogin

    if style not in ("sso", "process"):
        raise UsageError(f"unknown --style {style!r}; choose sso or process")
    config = profiles.load_config()
    token = SsoLogin(session, f"stscreds sso login --sso-session {session.name}").token(broker)
    sections: dict[str, dict[str, str]] = {}
    skipped: list[str] = []
    for account, role in sso.accounts_and_roles(session, token):
        name = sso.profile_name(pattern, account, role)
        if f"profile {name}" in sections:  # two accounts of one name: tell them apart
            name = sso.profile_name(f"{pattern}-{{account_id}}", account, role)
        if name in config.profiles:
            skipped.append(name)
            continue
        sections[f"profile {name}"] = sso.discovered_settings(session, account["accountId"], role, style, name)
    if write and sections:
        _add_to_config(config.path, sections)
    return Discovered(sections, skipped, config.path)


def _add_to_config(path: str, sections: dict[str, dict[str, str]]) -> None:
    from stscreds import paths

    ini.edit_file(path, sections, "config file", paths.CONFIG_FILE_VARIABLE)


# --- rotate the long-term keys ---------------------------------------------------------------

# How long a new key may take to work (IAM is eventually consistent), and the waits between tries.
KEY_READY_WAITS = (0.5, 1, 1, 2, 2, 3, 3, 4, 5, 5, 5)


@dataclass(frozen=True)
class Rotated:
    user: str
    old_key: str  # masked, like the new one
    new_key: str
    path: str
    old_key_deleted: str | None  # None when deleted; else why not
    session_works: bool


def rotate(profile: str, broker: Broker, yes: bool, sleep: Callable[[float], None] = time.sleep) -> Rotated:
    """Replace the profile's long-term key: create a new one with the MFA session, wait until it
    works, store it, then delete the old one. Never leaves a key behind: a failure between
    creating and storing deletes the new key again."""
    from stscreds.errors import KeysRejectedError

    profiles.check_profile_name(profile)
    config = profiles.load_config()
    if config.settings(profile).get("role_arn") or profiles.sso_settings(config.settings(profile)):
        raise UsageError(f"profile {profile!r} is a role profile: rotate the keys of a stscreds profile")
    if not yes and not broker.ui.interactive:
        raise UsageError("rotate asks before it replaces your key: confirm on a terminal, or pass --yes")
    old_id, _ = keystore.load_keys(profile)
    session = broker.get_from(sources.SessionTokenSource(profile))  # the shipped policy wants MFA for IAM
    api = broker.make_api(session.access_key_id, session.secret_access_key, session.session_token, profile)
    user = (keystore.settings(profile).get(keystore.USER_ARN) or api.caller_arn()).rpartition("/")[2]
    keys = api.access_keys(user)
    if len(keys) >= 2:
        others = ", ".join(mask(k.access_key_id) for k in keys if k.access_key_id != old_id)
        raise StscredsError(
            f"IAM user {user} has two access keys already, AWS's limit: {mask(old_id)} (stscreds') and {others}; "
            "delete the one you do not use, then rotate"
        )
    if not yes:
        answer = broker.ui.ask(f"Replace access key {mask(old_id)} of IAM user {user} with a new one? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise UsageError("not rotated: nothing was changed")
    new, secret = api.create_access_key(user)
    broker.ui.say(f"Created {mask(new.access_key_id)}; waiting until IAM accepts it.")
    try:
        checker = broker.make_api(new.access_key_id, secret, None, profile)
        for wait in (*KEY_READY_WAITS, None):
            try:
                checker.current_user()
                break
            except KeysRejectedError:
                if wait is None:
                    raise
                sleep(wait)
        path = keystore.save_keys(profile, new.access_key_id, secret, settings={keystore.KEY_CREATED: new.created})
    except BaseException:  # Ctrl-C and signals too: an unstored key must not stay behind
        try:
            api.delete_access_key(user, new.access_key_id)
        except StscredsError as error:
            raise StscredsError(
                f"could not delete the new key {mask(new.access_key_id)} after a failure ({error}): "
                "delete it in the IAM console"
            ) from None
        raise
    try:
        api.delete_access_key(user, old_id)
        deleted = None
    except StscredsError as error:
        deleted = str(error)
    try:
        api.caller_arn()
        works = True
    except StscredsError:
        works = False
    return Rotated(user, mask(old_id), mask(new.access_key_id), path, deleted, works)
