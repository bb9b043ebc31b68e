"""`stscreds init`: store a profile's long-term key pair, checked with iam:GetUser; or change a
setting of a stored profile without its keys.

The pair is typed (hidden on a terminal), or taken (`--import`, or offered on a terminal) from
where `aws configure` and aws-vault's users keep it: `[P]` of the shared credentials file, or
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY. Taken, the secret passes through no argument and no
prompt; the file is left as it is, for `auth` to turn `[P]` into a session. A pair stored
already is replaced only when the person says so (a question on a terminal, else --force):
after `auth` has written over `[P]`, the store may hold the only copy of that secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from stscreds import cache, credentials_file, keystore, paths
from stscreds.config import check_profile_name
from stscreds.credentials import mask
from stscreds.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import ApiFactory
    from stscreds.prompts import UI

ENVIRONMENT_PAIR = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
ENVIRONMENT_TOKENS = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


@dataclass(frozen=True)
class InitResult:
    user_name: str  # "" when only settings changed
    access_key_id: str
    path: str
    shadowing_variables: tuple[str, ...]
    forgotten: tuple[str, ...]  # what derived from another user's keys and was dropped
    imported_from: str | None = None  # where the pair was taken from, when it was not typed
    changed_settings: tuple[str, ...] = ()  # with the keys left as they were: what changed


@dataclass(frozen=True)
class FoundPair:
    """A long-term pair found where `init --import` looks, and where it was found."""

    access_key_id: str
    secret_access_key: str
    where: str


def init_profile(
    profile: str,
    ui: UI,
    make_api: ApiFactory,
    environ: Mapping[str, str] | None = None,
    mfa_command: str | None = None,
    keyring: bool = False,
    import_keys: bool = False,
    force: bool = False,
) -> InitResult:
    """Store the profile's long-term pair (typed, or with `import_keys` found), checked with
    iam:GetUser, with the user's ARN and, when given, the command that prints MFA codes for
    this profile ("" removes it). With `keyring` the secret goes to the OS keyring, which is
    checked first. Keys of another IAM user than the stored ones drop everything got with the
    old ones first.

    On a profile that holds a pair already, `mfa_command` or `keyring` alone change only that
    setting, never asking for the keys; anything else replaces the pair only when confirmed
    on a terminal, or with `force`."""
    check_profile_name(profile)
    paths.check_apart()
    check_initialisable(profile)
    environ = os.environ if environ is None else environ
    stored = keystore.public_values(profile) if keystore.has_keys(profile) else {}
    if stored and not (import_keys or force) and (mfa_command is not None or keyring):
        return change_settings(profile, mfa_command, keyring)
    if keyring:
        keystore.check_keyring()  # not installed, or no keyring: say so before asking anything
    shadowing = tuple(name for name in ENVIRONMENT_PAIR if environ.get(name))
    found = find_pair(profile, environ) if import_keys else offerable_pair(profile, environ, ui)
    if import_keys and found is None:
        raise nothing_to_import(profile)
    same = found is not None and found.access_key_id == stored.get(keystore.ACCESS_KEY_ID)
    if stored and not force and not (import_keys and same):  # the stored pair again replaces nothing
        confirm_replacing(profile, stored, ui)
    if found is not None and not import_keys and not same:  # on a terminal: offered
        answer = ui.ask(f"Found {mask(found.access_key_id)} in {found.where}. Keep that pair in stscreds? [Y/n] ")
        if answer.strip().lower() not in ("", "y", "yes"):
            found = None
    elif not import_keys:
        found = None
    if found is not None:
        access_key_id, secret = found.access_key_id, found.secret_access_key
    else:
        access_key_id, secret = ask_pair(ui)
    user = make_api(access_key_id, secret, None, profile).current_user()
    settings = {keystore.USER_ARN: user.arn}
    if stored.get(keystore.ACCESS_KEY_ID) != access_key_id:
        settings.update(dict.fromkeys((keystore.KEY_CREATED, keystore.MFA_DEVICES), ""))  # the old key's
    if mfa_command is not None:
        settings[keystore.MFA_COMMAND] = mfa_command
    forgotten: tuple[str, ...] = ()
    if stored and stored.get(keystore.USER_ARN) != user.arn:
        forgotten = forget_derived(profile)  # before the new keys: never the old identity under them
    path = keystore.save_keys(profile, access_key_id, secret, settings=settings, keyring=keyring)
    where = found.where if found is not None else None
    return InitResult(user.name, access_key_id, path, shadowing, forgotten, where)


def ask_pair(ui: UI) -> tuple[str, str]:
    access_key_id = ui.ask("AWS Access Key ID: ")
    if not keystore.looks_like_access_key_id(access_key_id):
        raise UsageError("that does not look like an AWS access key ID (16 or more capital letters and digits)")
    secret = ui.ask("AWS Secret Access Key: ", secret=True)
    check_secret(secret, "the secret access key")
    return access_key_id, secret


def check_secret(secret: str, what: str) -> None:
    if not secret or any(c.isspace() for c in secret) or not secret.isprintable():
        raise UsageError(f"{what} must be one word with no spaces")


def confirm_replacing(profile: str, stored: Mapping[str, str], ui: UI) -> None:
    """Replace a stored pair only when the person says so: a question on a terminal, else
    --force. Asked before the new keys, so that nobody types a secret for nothing."""
    held = mask(stored[keystore.ACCESS_KEY_ID])
    user = stored.get(keystore.USER_ARN, "").rpartition("/")[2]
    held += f" ({user})" if user else ""
    if not ui.interactive:
        raise UsageError(
            f"profile {profile!r} holds {held} already: pass --force to replace it, or give another profile "
            "with --profile; nothing was changed"
        )
    answer = ui.ask(f"Profile {profile} holds {held}. Replace it? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError(f"profile {profile!r} keeps {held}: nothing was changed")


def find_pair(profile: str, environ: Mapping[str, str]) -> FoundPair | None:
    """The long-term pair in [profile] of the shared credentials file, else in
    AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (as aws-vault's `add --env` takes it); None when
    neither holds one. When both hold one and they differ, which is meant is the person's to say."""
    store = credentials_file.session_store(profile)
    in_file = store.long_term_pair()
    from_file = FoundPair(*in_file, f"[{profile}] of {store.path}") if in_file is not None else None
    from_environment = _environment_pair(environ)
    if from_file is not None and from_environment is not None:
        if from_file.access_key_id != from_environment.access_key_id:
            raise UsageError(
                f"{from_file.where} holds {mask(from_file.access_key_id)} and AWS_ACCESS_KEY_ID holds "
                f"{mask(from_environment.access_key_id)}: unset AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to "
                "import the file's, or import them into a profile of their own (--profile NAME); nothing was stored"
            )
    found = from_file or from_environment
    if found is not None:
        if not keystore.looks_like_access_key_id(found.access_key_id):
            raise UsageError(f"the access key ID in {found.where} does not look like one; nothing was stored")
        check_secret(found.secret_access_key, f"the secret access key in {found.where}")
    return found


def offerable_pair(profile: str, environ: Mapping[str, str], ui: UI) -> FoundPair | None:
    """A pair `init` offers to keep, on a terminal only (elsewhere it reads what it is given);
    none when what it finds is not clearly one pair (then the person types it)."""
    from stscreds.errors import StscredsError

    if not ui.interactive:
        return None
    try:
        return find_pair(profile, environ)
    except StscredsError:
        return None


def nothing_to_import(profile: str) -> UsageError:
    """Where `--import` looked, and what it found there instead of a long-term pair."""
    from stscreds import ini

    store = credentials_file.session_store(profile)
    section = ini.read(store.path).sections.get(profile) or {}
    if section.get("aws_session_token"):
        held = f"[{profile}] of {store.path} holds a session, not a long-term pair"
    else:
        held = f"no long-term pair in [{profile}] of {store.path}"
    return UsageError(
        f"nothing to import: {held}, and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY hold none either; "
        f"run `stscreds init{_flag(profile)}` to type the pair"
    )


def _environment_pair(environ: Mapping[str, str]) -> FoundPair | None:
    """AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY when they are a long-term pair (no session token
    beside them): temporary credentials are nothing to keep."""
    key, secret = (environ.get(name, "") for name in ENVIRONMENT_PAIR)
    if not (key and secret) or any(environ.get(name) for name in ENVIRONMENT_TOKENS):
        return None
    return FoundPair(key, secret, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")


def change_settings(profile: str, mfa_command: str | None, keyring: bool) -> InitResult:
    """A setting of a stored profile, changed without its keys (never asked again)."""
    changed: list[str] = []
    values = {} if mfa_command is None else {keystore.MFA_COMMAND: mfa_command}
    if mfa_command is not None and keystore.settings(profile).get(keystore.MFA_COMMAND, "") != mfa_command:
        changed.append(f"MFA command set to {mfa_command!r}" if mfa_command else "MFA command removed")
    if keyring and not keystore.in_keyring(profile):
        keystore.check_keyring()
        access_key_id, secret = keystore.load_keys(profile)
        path = keystore.save_keys(profile, access_key_id, secret, settings=values, keyring=True)
        changed.append("secret moved to the OS keyring")
    else:
        keystore.save_settings(profile, values)
        path = paths.key_store()
    access_key_id = keystore.public_values(profile)[keystore.ACCESS_KEY_ID]
    return InitResult("", access_key_id, path, (), (), None, tuple(changed) or ("nothing changed",))


def _flag(profile: str) -> str:
    from stscreds.sources.session import flag

    return flag(profile)


def check_initialisable(profile: str) -> None:
    """`init` stores keys for stscreds profiles: a role or IAM Identity Center profile gets its
    credentials elsewhere, so storing keys under its name would change nothing."""
    from stscreds.errors import StscredsError
    from stscreds.resolve import resolve
    from stscreds.sources.session import flag

    if keystore.has_keys(profile):
        return
    try:
        source = resolve(profile)
    except StscredsError:  # nothing usable under that name yet (init makes it a stscreds profile),
        return  # or a broken file, which whatever reads it next reports
    root = source.chain()[-1]
    if root.kind == "session" and root.profile != profile:
        raise UsageError(
            f"{profile!r} is a {source.kind} profile whose credentials come from {root.profile!r}: its keys are "
            f"those of {root.profile!r} (`stscreds init{flag(root.profile)}`)"
        )
    if root.kind == "sso":
        raise UsageError(
            f"{profile!r} is an IAM Identity Center profile, with no long-term keys: run "
            f"`stscreds sso login{flag(profile)}`"
        )


def forget_derived(profile: str) -> tuple[str, ...]:
    """Drop every credential got with `profile`'s keys: its MFA session in the shared
    credentials file and the role credentials cached through it. What was dropped."""
    dropped = []
    if credentials_file.session_store(profile).forget():
        dropped.append(f"the session in [{profile}]")
    roles = cache.derived_from(f"session.{profile}")
    cache.remove(roles)
    dropped += [f"the credentials of {name!r}" for name in roles]
    return tuple(dropped)
