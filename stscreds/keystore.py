"""stscreds' own store of long-term key pairs: `~/.stscreds/credentials`, one section per
profile, written with configobj (folder 0700, file 0600, atomic writes).

The secret access key is in the file, or (`init --keyring`) in the OS keyring through the
`keyring` library (Secret Service on Linux, the macOS Keychain, the Windows Credential Locker):
the file then holds `secret_store = keyring` and never the secret.

Beside each pair it keeps a few settings: the IAM user's ARN (for `status`), the command that
prints MFA codes for the profile, and when the key was made (for its age). `status` shows the
ARN, the masked key ID and the age in every shell that asks, so those are read without
configobj when the file is as configobj writes it (`public_values`); anything else goes to
configobj. Nothing here touches the keyring but `load_keys` and the writers.
"""

from __future__ import annotations

import io
import os

from stscreds import ini, paths

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (status reads this module)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

ACCESS_KEY_ID = "aws_access_key_id"
SECRET_ACCESS_KEY = "aws_secret_access_key"
# Settings kept beside the pair in the store, per profile.
USER_ARN = "user_arn"  # from iam:GetUser at init and auth, for `status`
MFA_COMMAND = "mfa_command"  # prints an MFA code, e.g. `ykman oath accounts code --single aws`
KEY_CREATED = "key_created"  # when IAM made the key: from rotate, or looked up once with the session
MFA_DEVICES = "mfa_devices"  # the user's MFA devices (space-separated ARNs), as the last auth found them
SECRET_STORE = "secret_store"  # "keyring" when the secret is in the OS keyring, not in this file
# The shared credentials file in which stscreds added the profile's [section] for its session
# (it was not there before): `clear` may then remove the section once nothing else is in it.
SESSION_SECTION = "session_section"
SETTINGS = (USER_ARN, MFA_COMMAND, KEY_CREATED, MFA_DEVICES, SESSION_SECTION)
# What belongs to one key and one IAM user: dropped when the profile's keys change to another's.
KEY_SETTINGS = (USER_ARN, KEY_CREATED, MFA_DEVICES)
# What `status` shows: nothing secret.
PUBLIC = (ACCESS_KEY_ID, USER_ARN, KEY_CREATED)
KEYRING = "keyring"
KEYRING_SERVICE = "stscreds"
# How to add the keyring package to each of README's ways of installing stscreds.
KEYRING_INSTALL = (
    "`pipx inject stscreds keyring` (pipx), `uv tool install --compile-bytecode --with keyring .` in your clone "
    "(uv), or `pip install keyring` in stscreds' virtualenv"
)
# Characters that configobj reads differently from a plain INI reader (quotes, inline
# comments, lists, escapes): a value with one of them is left to configobj.
_CONFIGOBJ_SYNTAX = frozenset("\"'#,\\")


def looks_like_access_key_id(text: str) -> bool:
    """AKIA..., ASIA...: 16 to 128 capital letters and digits, as IAM documents them."""
    return 16 <= len(text) <= 128 and text.isascii() and text.isalnum() and text == text.upper()


def _init_hint(profile: str) -> str:
    return "stscreds init" if profile == "default" else f"stscreds init --profile {profile}"


# --- reading ---------------------------------------------------------------------------------

_loaded: dict[str, tuple[ini.Document, object]] = {}  # path -> (the text it was parsed from, ConfigObj)


def _open_store(path: str):  # type: ignore[no-untyped-def]
    """The store as a ConfigObj, parsed from the text ini.read has (read once per command,
    again only if it changed)."""
    from stscreds.errors import MalformedFileError  # see errors.py: not at the top

    document = _document(path)
    cached = _loaded.get(path)
    if cached is not None and cached[0] is document:
        return cached[1]
    from configobj import ConfigObj, ConfigObjError  # only the slow path needs it

    try:
        # interpolation off: a '%' or '$' in a value must stay what it is.
        store = ConfigObj(document.text.splitlines(True), encoding="utf-8", interpolation=False)
    except ConfigObjError as error:
        line = getattr(error, "line_number", None)
        raise MalformedFileError(path, "not a valid stscreds credentials file", line) from None
    _loaded[path] = (document, store)
    return store


def _document(path: str) -> ini.Document:
    """The store's text, once per command; a FIFO or a folder there is refused, not read."""
    try:
        document = ini.read(path, "utf-8")
    except UnicodeError:
        raise _malformed(path, "not readable as utf-8 text") from None
    except Exception as error:  # errors.py's classes are imported only when needed (see there)
        from stscreds.errors import MalformedFileError

        if isinstance(error, MalformedFileError):
            raise _malformed(path, "not readable as utf-8 text") from None
        raise
    if document.kind == ini.NOT_REGULAR:
        raise _malformed(path, "not a regular file")
    return document


def _malformed(path: str, detail: str, line: int | None = None) -> Exception:
    from stscreds.errors import MalformedFileError  # see errors.py: only failures need it

    return MalformedFileError(path, detail, line)


def _section(profile: str, path: str) -> dict[str, str] | None:
    if _document(path).kind == ini.MISSING:
        return None
    section = _open_store(path).get(profile)
    return {k: v for k, v in section.items() if isinstance(v, str)} if isinstance(section, dict) else None


def public_values(profile: str) -> dict[str, str]:
    """The profile's key ID and user ARN (what `status` shows); {} when there are none."""
    path = paths.key_store()
    plain = _plain_section(profile, path)
    section = plain if plain is not None else (_section(profile, path) or {})
    return {key: value for key in PUBLIC if (value := section.get(key))}


def _plain_section(profile: str, path: str) -> dict[str, str] | None:
    """The section read without configobj, when the file is plain enough to be sure; else None."""
    document = _document(path)
    if document.kind != ini.REGULAR:
        return {} if document.kind == ini.MISSING else None
    try:
        scanned = ini._scan(ini.split_lines(document.text))
    except ini._Unparsable:
        return None
    section = scanned.get(profile)
    if section is None:
        return {} if not any(name.startswith("[") for name in scanned) else None
    values = {key: section.options[key].value for key in PUBLIC if key in section.options}
    if any(_CONFIGOBJ_SYNTAX & set(value) or "\n" in value for value in values.values()):
        return None
    return values


def load_keys(profile: str) -> tuple[str, str]:
    """The stored (access key ID, secret access key) of `profile`."""
    from stscreds.errors import MalformedFileError, NotInitialisedError  # see errors.py: not at the top

    path = paths.key_store()
    if _document(path).kind == ini.MISSING:
        raise NotInitialisedError(f"no long-term keys stored yet: run `{_init_hint(profile)}` first")
    section = _section(profile, path)
    in_keyring = bool(section) and section.get(SECRET_STORE) == KEYRING  # type: ignore[union-attr]
    if not section or not section.get(ACCESS_KEY_ID) or not (in_keyring or section.get(SECRET_ACCESS_KEY)):
        raise NotInitialisedError(
            f"no long-term keys for profile {profile!r} in {path}: run `{_init_hint(profile)}` first"
        )
    access_key_id = section[ACCESS_KEY_ID]
    secret = _keyring_secret(profile, access_key_id) if in_keyring else section[SECRET_ACCESS_KEY]
    if not looks_like_access_key_id(access_key_id):
        raise MalformedFileError(path, f"[{profile}] {ACCESS_KEY_ID} does not look like an AWS access key ID")
    if any(c.isspace() for c in secret):
        raise MalformedFileError(path, f"[{profile}] {SECRET_ACCESS_KEY} is not one word")
    return access_key_id, secret


def in_keyring(profile: str) -> bool:
    """Whether `profile`'s secret is kept in the OS keyring."""
    return (_section(profile, paths.key_store()) or {}).get(SECRET_STORE) == KEYRING


def _keyring() -> Any:
    from stscreds.errors import StscredsError  # see errors.py: not at the top

    try:
        import keyring
    except ImportError:
        raise StscredsError(
            f"keeping the secret in the OS keyring needs the keyring package, which is not installed: {KEYRING_INSTALL}"
        ) from None
    return keyring


def _keyring_call(action: str, call: Callable[[Any], Any]) -> Any:
    """Run a keyring call; its failures (no backend, a locked or absent keyring) in one line."""
    from stscreds.errors import StscredsError  # see errors.py: not at the top

    keyring = _keyring()
    try:
        return call(keyring)
    except keyring.errors.NoKeyringError:
        raise StscredsError(
            f"no OS keyring is available to {action} (no Secret Service, Keychain or Credential Locker answered)"
        ) from None
    except keyring.errors.KeyringError as error:
        raise StscredsError(f"the OS keyring refused to {action}: {error}") from None


def check_keyring() -> None:
    """Fail now if there is no usable OS keyring (or no keyring package)."""
    from stscreds.errors import StscredsError  # see errors.py: not at the top

    keyring = _keyring()
    backend = keyring.get_keyring()
    if backend.priority <= 0:  # keyring's "fail" backend: nothing on this machine answered
        raise StscredsError(
            "no OS keyring is available (no Secret Service, Keychain or Credential Locker answered); nothing stored"
        )


def _keyring_user(profile: str, access_key_id: str) -> str:
    return f"{profile}:{access_key_id}"


def _keyring_secret(profile: str, access_key_id: str) -> str:
    from stscreds.errors import NotInitialisedError  # see errors.py: not at the top

    user = _keyring_user(profile, access_key_id)
    secret = _keyring_call("read the secret", lambda keyring: keyring.get_password(KEYRING_SERVICE, user))
    if not secret:
        raise NotInitialisedError(
            f"the OS keyring has no secret for {KEYRING_SERVICE}/{user}: run `{_init_hint(profile)} --keyring` again"
        )
    return str(secret)


def has_keys(profile: str) -> bool:
    """Whether `profile` was set up with `stscreds init` (read without configobj when it can be:
    the fast path asks it of every profile it resolves)."""
    return bool(public_values(profile).get(ACCESS_KEY_ID))


def profile_names() -> list[str]:
    """Every profile the store has keys for."""
    path = paths.key_store()
    document = _document(path)
    if document.kind != ini.REGULAR:
        return []
    try:
        names = list(ini._scan(ini.split_lines(document.text)))
    except ini._Unparsable:
        names = list(_open_store(path).keys())
    return [name for name in names if has_keys(name)]


def settings(profile: str) -> dict[str, str]:
    """`profile`'s settings beside the pair (USER_ARN, MFA_COMMAND); {} when there are none."""
    section = _section(profile, paths.key_store()) or {}
    return {key: value for key in SETTINGS if (value := section.get(key))}


# --- writing ---------------------------------------------------------------------------------


def save_keys(
    profile: str,
    access_key_id: str,
    secret_access_key: str,
    settings: dict[str, str] | None = None,
    keyring: bool | None = None,
) -> str:
    """Store the pair in `[profile]`, keeping other profiles and this profile's settings
    (updated with `settings`; an empty value removes one). With `keyring` the secret goes to
    the OS keyring and the file says so; None keeps the profile's store as it is. Returns the
    file's path."""
    if keyring is None:
        keyring = in_keyring(profile)
    if not keyring:
        values = {ACCESS_KEY_ID: access_key_id, SECRET_ACCESS_KEY: secret_access_key, SECRET_STORE: ""}
        return _edit(profile, {**values, **(settings or {})})
    old = (_section(profile, paths.key_store()) or {}).get(ACCESS_KEY_ID)
    return _replace({profile: old}, {profile}, access_key_id, secret_access_key, settings or {})


def holders(access_key_id: str) -> list[str]:
    """Every profile whose stored key is `access_key_id`."""
    return [name for name in profile_names() if public_values(name).get(ACCESS_KEY_ID) == access_key_id]


def stored_key_ids() -> set[str]:
    """The access key IDs the store names, in any profile."""
    return {public_values(name)[ACCESS_KEY_ID] for name in profile_names()}


def replace_key(
    profiles: list[str], old_access_key_id: str, access_key_id: str, secret_access_key: str, settings: dict[str, str]
) -> str:
    """Put the new pair in place of the old in every one of `profiles` (each keeps its own
    store: the file, or the OS keyring), in ONE atomic write of the file: no moment where one
    profile names the new key and another the old. Keyring entries are made before the write
    and the old ones removed after it. Returns the file's path."""
    ring = {profile for profile in profiles if in_keyring(profile)}
    return _replace(dict.fromkeys(profiles, old_access_key_id), ring, access_key_id, secret_access_key, settings)


def _replace(
    olds: dict[str, str | None], ring: set[str], access_key_id: str, secret: str, settings: dict[str, str]
) -> str:
    """`replace_key` and `save_keys` with the keyring: `olds` maps each profile to the key it
    names now; those in `ring` keep their secret in the OS keyring."""
    import functools  # writers only: `status` reads this module on the fast path

    made: list[tuple[str, str]] = []
    try:
        for profile in olds:
            if profile in ring:
                user = _keyring_user(profile, access_key_id)
                made.append((profile, user))  # first: a call cut short may have stored it all the same
                _keyring_call("store the secret", functools.partial(_set_password, user=user, secret=secret))
        file_values = {SECRET_ACCESS_KEY: secret, SECRET_STORE: ""}
        ring_values = {SECRET_ACCESS_KEY: "", SECRET_STORE: KEYRING}
        path = _edit_sections(
            {
                profile: {ACCESS_KEY_ID: access_key_id, **(ring_values if profile in ring else file_values), **settings}
                for profile in olds
            }
        )
    except BaseException:
        for profile, user in made:
            if not _names(profile, access_key_id):  # never the secret of a key the file names
                _forget(user)
        raise
    for profile, old in olds.items():
        if profile in ring and old and old != access_key_id:
            _forget(_keyring_user(profile, old))
    return path


def _set_password(keyring: Any, user: str, secret: str) -> None:
    keyring.set_password(KEYRING_SERVICE, user, secret)


def _names(profile: str, access_key_id: str) -> bool:
    """Whether the file, read now, names `access_key_id` for `profile` (True when unsure)."""
    try:
        return public_values(profile).get(ACCESS_KEY_ID) == access_key_id
    except Exception:
        return True


def _forget(user: str) -> None:
    from stscreds.errors import debug  # see errors.py: not at the top

    try:
        _keyring_call("remove a secret", lambda kr: kr.delete_password(KEYRING_SERVICE, user))
    except Exception as error:
        debug(__name__, "could not remove %s from the keyring: %s", user, error)


def save_settings(profile: str, values: dict[str, str]) -> None:
    """Update `profile`'s settings beside its pair; writes only when one changes."""
    if any(settings(profile).get(key, "") != value for key, value in values.items()):
        _edit(profile, values)


def remember(profile: str, values: dict[str, str]) -> None:
    """`save_settings` for bookkeeping that must not fail the command that does it: a
    read-only store leaves `status` less to show, nothing more."""
    from stscreds.errors import debug  # see errors.py: not at the top

    try:
        save_settings(profile, values)
    except Exception as error:
        debug(__name__, "could not record %s for [%s]: %s", ", ".join(values), profile, error)


def check_writable() -> None:
    """Fail now if the store could not be written later (before anything is created that
    would have to be stored)."""
    from stscreds import atomic  # writers only: `status` reads this module on the fast path

    path = paths.key_store()
    paths.check_apart()
    atomic.check_writable(path, "key store")
    if _document(path).kind != ini.MISSING:
        _open_store(path)  # a file configobj cannot read cannot be edited either


def remove_keys(profile: str) -> str:
    """Remove `profile`'s pair and settings from the store (its section goes), then its secret
    from the OS keyring when it was kept there: the file never names a secret that is gone.
    Returns the file's path."""
    from stscreds import atomic  # writers only: `status` reads this module on the fast path

    path = paths.key_store()
    section = _section(profile, path) or {}
    if not section:
        return path
    store = _open_store(path)
    _loaded.pop(path, None)
    if profile in store:
        del store[profile]
    buffer = io.BytesIO()
    store.write(buffer)
    atomic.write_file(path, buffer.getvalue())
    ini.remember(path, buffer.getvalue().decode("utf-8"))
    if section.get(SECRET_STORE) == KEYRING and section.get(ACCESS_KEY_ID):
        user = _keyring_user(profile, section[ACCESS_KEY_ID])

        def delete(keyring: Any) -> None:
            try:
                keyring.delete_password(KEYRING_SERVICE, user)
            except keyring.errors.PasswordDeleteError:
                pass  # not there: nothing to remove

        _keyring_call(f"remove the secret {KEYRING_SERVICE}/{user}", delete)
    return path


def _edit(profile: str, values: dict[str, str]) -> str:
    return _edit_sections({profile: values})


def _edit_sections(changes: dict[str, dict[str, str]]) -> str:
    """One atomic write of the store with each section of `changes` updated."""
    from stscreds import atomic  # writers only: `status` reads this module on the fast path

    path = paths.key_store()
    paths.check_apart()
    atomic.make_folders(os.path.dirname(path), enforce=True)
    store = _open_store(path)
    _loaded.pop(path, None)  # edited below: never serve it again, written or not
    for profile, values in changes.items():
        section = {**(store.get(profile) or {}), **values}
        store[profile] = {key: value for key, value in section.items() if value}
    buffer = io.BytesIO()
    store.write(buffer)
    atomic.write_file(path, buffer.getvalue())
    ini.remember(path, buffer.getvalue().decode("utf-8"))  # what we wrote, read back for free
    return path
