"""stscreds' own store of long-term key pairs: `~/.stscreds/credentials`, one section per
profile, written with configobj (folder 0700, file 0600, atomic writes).

Beside each pair it keeps a few settings: the IAM user's ARN (for `status`) and the command
that prints MFA codes for the profile. `status` shows the ARN and the masked key ID in every
shell that asks, so those are read without configobj when the file is as configobj writes it
(`public_values`); anything else goes to configobj.
"""

from __future__ import annotations

import io
import os
import stat

from stscreds import ini, paths
from stscreds.errors import FileAccessError, MalformedFileError, NotInitialisedError, debug

ACCESS_KEY_ID = "aws_access_key_id"
SECRET_ACCESS_KEY = "aws_secret_access_key"
# Settings kept beside the pair in the store, per profile.
USER_ARN = "user_arn"  # from iam:GetUser at init and auth, for `status`
MFA_COMMAND = "mfa_command"  # prints an MFA code, e.g. `ykman oath accounts code --single aws`
SETTINGS = (USER_ARN, MFA_COMMAND)
# What `status` shows: nothing secret.
PUBLIC = (ACCESS_KEY_ID, USER_ARN)
# Characters that configobj reads differently from a plain INI reader (quotes, inline
# comments, lists, escapes): a value with one of them is left to configobj.
_CONFIGOBJ_SYNTAX = frozenset("\"'#,\\")


def looks_like_access_key_id(text: str) -> bool:
    """AKIA..., ASIA...: 16 to 128 capital letters and digits, as IAM documents them."""
    return 16 <= len(text) <= 128 and text.isascii() and text.isalnum() and text == text.upper()


def _init_hint(profile: str) -> str:
    return "stscreds init" if profile == "default" else f"stscreds init --profile {profile}"


# --- reading ---------------------------------------------------------------------------------

_loaded: dict[str, tuple[tuple[int, int, int, int], object]] = {}  # path -> (identity, ConfigObj)


def _status(path: str) -> os.stat_result | None:
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    if not stat.S_ISREG(status.st_mode):  # a FIFO would block configobj forever
        raise MalformedFileError(path, "not a regular file")
    return status


def _open_store(path: str):  # type: ignore[no-untyped-def]
    """The store as a ConfigObj, read once per command (again only if it changed)."""
    status = _status(path)
    identity = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns) if status else (0, 0, 0, 0)
    cached = _loaded.get(path)
    if cached is not None and cached[0] == identity:
        return cached[1]
    from configobj import ConfigObj, ConfigObjError  # only the slow path needs it

    try:
        # interpolation off: a '%' or '$' in a value must stay what it is.
        store = ConfigObj(path, encoding="utf-8", interpolation=False, file_error=False)
    except ConfigObjError as error:
        line = getattr(error, "line_number", None)
        raise MalformedFileError(path, "not a valid stscreds credentials file", line) from None
    except UnicodeDecodeError:
        raise MalformedFileError(path, "not readable as utf-8 text") from None
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    _loaded[path] = (identity, store)
    return store


def _section(profile: str, path: str) -> dict[str, str] | None:
    if _status(path) is None:
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
    document = ini.read(path)
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
    path = paths.key_store()
    if _status(path) is None:
        raise NotInitialisedError(f"no long-term keys stored yet: run `{_init_hint(profile)}` first")
    section = _section(profile, path)
    if not section or not section.get(ACCESS_KEY_ID) or not section.get(SECRET_ACCESS_KEY):
        raise NotInitialisedError(
            f"no long-term keys for profile {profile!r} in {path}: run `{_init_hint(profile)}` first"
        )
    access_key_id, secret = section[ACCESS_KEY_ID], section[SECRET_ACCESS_KEY]
    if not looks_like_access_key_id(access_key_id):
        raise MalformedFileError(path, f"[{profile}] {ACCESS_KEY_ID} does not look like an AWS access key ID")
    if any(c.isspace() for c in secret):
        raise MalformedFileError(path, f"[{profile}] {SECRET_ACCESS_KEY} is not one word")
    return access_key_id, secret


def has_keys(profile: str) -> bool:
    """Whether `profile` was set up with `stscreds init`."""
    section = _section(profile, paths.key_store())
    return bool(section and section.get(ACCESS_KEY_ID))


def settings(profile: str) -> dict[str, str]:
    """`profile`'s settings beside the pair (USER_ARN, MFA_COMMAND); {} when there are none."""
    section = _section(profile, paths.key_store()) or {}
    return {key: value for key in SETTINGS if (value := section.get(key))}


# --- writing ---------------------------------------------------------------------------------


def save_keys(profile: str, access_key_id: str, secret_access_key: str, settings: dict[str, str] | None = None) -> str:
    """Store the pair in `[profile]`, keeping other profiles and this profile's settings
    (updated with `settings`; an empty value removes one). Returns the file's path."""
    return _edit(profile, {ACCESS_KEY_ID: access_key_id, SECRET_ACCESS_KEY: secret_access_key, **(settings or {})})


def save_settings(profile: str, values: dict[str, str]) -> None:
    """Update `profile`'s settings beside its pair; writes only when one changes."""
    if any(settings(profile).get(key, "") != value for key, value in values.items()):
        _edit(profile, values)


def remember(profile: str, values: dict[str, str]) -> None:
    """`save_settings` for bookkeeping that must not fail the command that does it: a
    read-only store leaves `status` less to show, nothing more."""
    try:
        save_settings(profile, values)
    except Exception as error:
        debug(__name__, "could not record %s for [%s]: %s", ", ".join(values), profile, error)


def _edit(profile: str, values: dict[str, str]) -> str:
    from stscreds import atomic  # writers only: `status` reads this module on the fast path

    path = paths.key_store()
    atomic.make_folders(os.path.dirname(path), enforce=True)
    store = _open_store(path)
    _loaded.pop(path, None)  # edited below: never serve it again, written or not
    section = {**(store.get(profile) or {}), **values}
    store[profile] = {key: value for key, value in section.items() if value}
    buffer = io.BytesIO()
    store.write(buffer)
    atomic.write_file(path, buffer.getvalue())
    return path
