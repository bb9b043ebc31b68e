"""The files stscreds reads and writes.

* The shared AWS credentials file (`~/.aws/credentials` or `AWS_SHARED_CREDENTIALS_FILE`)
  belongs to the user and to every other AWS tool. We read it with exactly the parser
  botocore uses (`configparser.RawConfigParser`), and we edit it line by line: only the
  lines of the managed keys in the managed section change, every other byte stays, and each
  edit is re-read with that parser and compared before it is written.
* `~/.stscreds/credentials` is ours and holds the long-term key pair, via configobj.

All writes are atomic (temp file in the same folder, fsync, rename), follow symlinks and
leave the file 0600 whatever the umask.

`stscreds read` imports this module in every new shell. Importing `re` alone costs about as
much as starting Python, and configparser and datetime import it, so the top level imports
only `os` and `time`; the rest is imported inside the functions that need it, none of which
is on the fast path of `read` and `env` (`fast_current_session`).
"""

from __future__ import annotations

import io  # loaded during interpreter start-up anyway
import os
import time

from stscreds.errors import (
    BusyError,
    FileAccessError,
    MalformedFileError,
    NotInitialisedError,
    StscredsError,
    UsageError,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (which imports re)
if TYPE_CHECKING:
    import configparser
    from collections.abc import Callable
    from datetime import datetime

ACCESS_KEY_ID = "aws_access_key_id"
SECRET_ACCESS_KEY = "aws_secret_access_key"
SESSION_TOKEN = "aws_session_token"
# Where `auth` records when the session ends. botocore ignores unknown keys; saml2aws and
# gimme-aws-creds use this same name, so other tools may already understand it.
EXPIRATION = "x_security_token_expires"

CREDENTIAL_KEYS = (ACCESS_KEY_ID, SECRET_ACCESS_KEY, SESSION_TOKEN)
MANAGED_KEYS = (*CREDENTIAL_KEYS, EXPIRATION)
# What `stscreds read KEY` accepts: the keys `auth` writes.
READABLE_KEYS = MANAGED_KEYS

# A session this close to its end counts as expired: a shell opened with a token that dies
# in two minutes is worse than one more MFA prompt. botocore refreshes 10-15 minutes early.
EXPIRY_MARGIN_SECONDS = 5 * 60

DEFAULT_PROFILE = "default"
STORE_DIR_MODE = 0o700
FILE_MODE = 0o600
_DEFAULT_SECTION = "DEFAULT"  # configparser.DEFAULTSECT: its keys apply to every section

# One profile as botocore reads it: a value that starts on the next line is a sub-section.
Profile = dict[str, "str | dict[str, str]"]


def _botocore_value(value: str) -> str | dict[str, str]:
    """`botocore.configloader._parse_nested` for values starting with a newline; raises
    ValueError where botocore then refuses the whole file (a sub-line without '=')."""
    if not value.startswith("\n"):
        return value
    parsed = {}
    for line in value.splitlines():
        line = line.strip()
        if line:
            key, separator, rest = line.partition("=")
            if not separator:
                raise ValueError("a sub-setting line without '='")
            parsed[key.strip()] = rest.strip()
    return parsed


# --- paths ------------------------------------------------------------------------------


def shared_credentials_path() -> str:
    """The shared credentials file, resolved the way botocore resolves it."""
    path = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.join("~", ".aws", "credentials")
    return os.path.expanduser(os.path.expandvars(path))


def store_path() -> str:
    """stscreds' own file of long-term keys."""
    return os.path.join(os.path.expanduser("~"), ".stscreds", "credentials")


def check_profile_name(profile: str) -> str:
    """Refuse names that cannot be a section header, or that configparser treats specially."""
    if not profile or profile != profile.strip() or any(c in profile for c in "[]\r\n") or profile == _DEFAULT_SECTION:
        raise UsageError(f"invalid profile name {profile!r}")
    return profile


# --- expiry, in seconds since the epoch (datetime costs an import of re) ----------------


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_expiration(value: str) -> float | None:
    """Seconds since the epoch of `2026-11-23T19:41:57Z` (also `+01:00` offsets, fractions
    of a second, a space for the T, no zone meaning UTC), or None when it is not one."""
    text = value.strip()
    offset = 0
    if text.endswith(("Z", "z")):
        text = text[:-1]
    elif len(text) > 19 and text[-6] in "+-" and text[-3] == ":":
        sign = -1 if text[-6] == "-" else 1
        zone = text[-5:-3] + text[-2:]
        if not zone.isdigit():
            return None
        offset = sign * (int(zone[:2]) * 3600 + int(zone[2:]) * 60)
        text = text[:-6]
    date, time_part = text[:10], text[11:]
    if len(text) < 19 or text[10] not in "Tt " or date[4] != "-" or date[7] != "-":
        return None
    clock, _, fraction = time_part.partition(".")
    if len(clock) != 8 or clock[2] != ":" or clock[5] != ":" or (fraction and not fraction.isdigit()):
        return None
    fields = (date[:4], date[5:7], date[8:], clock[:2], clock[3:5], clock[6:])
    if not all(field.isdigit() and field.isascii() for field in fields):
        return None
    year, month, day, hour, minute, second = (int(field) for field in fields)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    month_days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not (1 <= month <= 12 and 1 <= day <= month_days[month - 1] and hour < 24 and minute < 60 and second < 60):
        return None
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return seconds + float("0." + fraction if fraction else 0) - offset


def format_expiration(moment: datetime) -> str:
    """2026-11-23T19:41:57Z: UTC, to the second, as the AWS CLI shows expirations."""
    return format_timestamp(moment.timestamp())


def format_timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def session_end(section: Profile | None) -> float | None:
    """When the complete session in `section` ends (seconds since the epoch), else None."""
    if not section or not all(isinstance(section.get(key), str) and section[key] for key in CREDENTIAL_KEYS):
        return None
    expiration = section.get(EXPIRATION, "")
    return parse_expiration(expiration) if isinstance(expiration, str) else None


def valid_session(section: Profile | None, now: float, margin: float = EXPIRY_MARGIN_SECONDS) -> bool:
    """True when the section holds a complete session that outlives `now` by `margin`."""
    end = session_end(section)
    return end is not None and end - margin > now


def _managed_values(section: Profile | None, now: float, margin: float) -> dict[str, str] | None:
    """The managed keys of `section` while it holds a session that outlives `now` by `margin`."""
    if section is None or not valid_session(section, now, margin):
        return None
    return {key: value for key in MANAGED_KEYS if isinstance(value := section.get(key), str)}


def looks_like_access_key_id(text: str) -> bool:
    """AKIA..., ASIA...: 16 to 128 capital letters and digits, as IAM documents them."""
    return 16 <= len(text) <= 128 and text.isascii() and text.isalnum() and text == text.upper()


# --- configparser's grammar, line by line -------------------------------------------------


_COMMENT_PREFIXES = ("#", ";")


def _indent(line: str) -> str:
    """The line's leading whitespace (configparser's indent level is its length)."""
    return line[: len(line) - len(line.lstrip())]


class _Unparsable(Exception):
    """Where configparser would raise; the fast path then leaves the file to configparser."""


class _Option:
    def __init__(self, line: int, stripped: str, cut: int) -> None:
        self.first = self.last = line
        rest = stripped[cut + 1 :]
        self.value_start = len(stripped) - len(rest.lstrip())  # where the value begins
        self.pieces = [rest.strip()]

    @property
    def value(self) -> str:
        return "\n".join(self.pieces).rstrip()


class _Section:
    def __init__(self, header: int) -> None:
        self.header = header
        self.options: dict[str, _Option] = {}

    @property
    def last_content_line(self) -> int:
        """Where new keys go after: the end of the last key's value, or the header."""
        return max([self.header] + [option.last for option in self.options.values()])

    @property
    def last_indent_line(self) -> int:
        """The line that set configparser's indent level there: the last key's first line."""
        return max([self.header] + [option.first for option in self.options.values()])


def _scan(lines: list[str]) -> dict[str, _Section]:
    """A mirror of `RawConfigParser._read` (default settings, as botocore uses it) that keeps
    where each section and key lies and what each value is. Written without `re` so that
    `read` can use it; raises _Unparsable where configparser would raise."""
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    option: _Option | None = None
    indent_level = 0
    for index, line in enumerate(lines):
        value = line.strip()
        if value.startswith(_COMMENT_PREFIXES):
            continue  # a comment neither ends a multi-line value nor adds to it
        if not value:
            if option is not None:
                option.pieces.append("")  # empty_lines_in_values
            continue
        indent = len(_indent(line))
        if option is not None and indent > indent_level:
            option.pieces.append(value)  # a continuation line
            option.last = index
            continue
        indent_level = indent
        close = value.rfind("]")
        if value[0] == "[" and close >= 2:  # SECTCRE: \[(?P<header>.+)\], matched at the start
            name = value[1:close]
            if name in sections and name != _DEFAULT_SECTION:
                raise _Unparsable(index)  # DuplicateSectionError
            current = sections.setdefault(name, _Section(index))
            option = None
            continue
        if current is None:
            raise _Unparsable(index)  # MissingSectionHeaderError
        cuts = [i for i in (value.find("="), value.find(":")) if i >= 0]
        if not cuts or not value[: min(cuts)].rstrip():
            raise _Unparsable(index)  # ParsingError: not `key = value`
        cut = min(cuts)
        name = value[:cut].rstrip().lower()
        if name in current.options:
            raise _Unparsable(index)  # DuplicateOptionError
        option = current.options[name] = _Option(index, value, cut)
    return sections


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split where a text-mode read splits (\\n, \\r\\n, \\r) and
    nowhere else (str.splitlines also splits at \\f, \\x1c, \\u2028...)."""
    lines: list[str] = []
    pending = ""
    for piece in text.splitlines(keepends=True):
        pending += piece
        if pending.endswith(("\n", "\r")):
            lines.append(pending)
            pending = ""
    if pending:
        lines.append(pending)
    return lines


# --- reading the shared credentials file ----------------------------------------------------


def fast_current_session(profile: str, now: float) -> dict[str, str] | None:
    """What `current_session` returns, for the files it is sure about; None for the rest.

    The fast path of `read` and `env`: no configparser, no datetime, no re. Anything unusual
    (a file that does not parse, a [DEFAULT] section, an unreadable file) gives None, and the
    full CLI answers with botocore's own parser instead.
    """
    try:
        with open(shared_credentials_path()) as stream:
            sections = _scan(stream.read().split("\n"))
    except (OSError, UnicodeDecodeError, _Unparsable):
        return None
    if _DEFAULT_SECTION in sections:
        return None
    try:  # every section: botocore refuses the whole file for one bad multi-line value
        profiles = {name: {k: _botocore_value(o.value) for k, o in s.options.items()} for name, s in sections.items()}
    except ValueError:
        return None
    return _managed_values(profiles.get(profile), now, EXPIRY_MARGIN_SECONDS)


def _parse_error(path: str, error: Exception) -> MalformedFileError:
    """Name the file and the line, as the issue asks, without quoting secret values."""
    import configparser

    if isinstance(error, configparser.MissingSectionHeaderError):
        return MalformedFileError(path, "a line before the first [section] header", error.lineno)
    if isinstance(error, configparser.DuplicateSectionError):
        return MalformedFileError(path, f"section [{error.section}] appears twice", error.lineno)
    if isinstance(error, configparser.DuplicateOptionError):
        return MalformedFileError(path, f"key {error.option!r} appears twice in [{error.section}]", error.lineno)
    if isinstance(error, configparser.ParsingError):
        line = error.errors[0][0] if error.errors else None
        return MalformedFileError(path, "expected 'key = value', a [section] header or a comment", line)
    if isinstance(error, UnicodeDecodeError):
        return MalformedFileError(path, f"not readable as {error.encoding} text")
    return MalformedFileError(path, str(error))


def _parse(text: str, path: str) -> configparser.RawConfigParser:
    import configparser

    parser = configparser.RawConfigParser()
    try:
        # newline=None gives the universal-newline splitting a text-mode file read gets.
        parser.read_file(io.StringIO(text, newline=None), source=path)
    except configparser.Error as error:
        raise _parse_error(path, error) from None
    return parser


def _as_dict(parser: configparser.RawConfigParser, path: str) -> dict[str, Profile]:
    """What `botocore.configloader.raw_config_parse` returns, or its error."""
    try:
        return {s: {o: _botocore_value(parser.get(s, o)) for o in parser.options(s)} for s in parser.sections()}
    except ValueError as error:
        raise MalformedFileError(path, f"botocore cannot read a multi-line value: {error}") from None


def read_shared_credentials(path: str) -> dict[str, Profile]:
    """Every profile as botocore reads it; {} when the file does not exist."""
    return _load(path)[1]


def current_session(profile: str, now: float, margin: float = EXPIRY_MARGIN_SECONDS) -> dict[str, str] | None:
    """The managed keys of [profile] while its session outlives `now` by `margin`, else None.
    No network, no prompt. Reports a broken file, which the fast path leaves to this function."""
    return _managed_values(read_shared_credentials(shared_credentials_path()).get(profile), now, margin)


# --- editing one section, keeping every other byte --------------------------------------


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _newline_of(lines: list[str]) -> str:
    for line in lines:
        if _ending(line):
            return _ending(line)
    return "\n"


def _check_value(key: str, value: str) -> None:
    # A newline would start a new line in the file; leading/trailing space would be lost.
    if value != value.strip() or any(c in value for c in "\r\n") or not value:
        raise ValueError(f"unwritable value for {key}")


def update_section(text: str, profile: str, values: dict[str, str], path: str = "<text>") -> str:
    """Return `text` with `values` set in section `[profile]`, every other byte unchanged.

    Keys already in the section keep their place, spelling and spacing; only the value
    changes. New keys go after the section's last key; a missing section is appended.
    The result is re-parsed: if any other section, or any other key of this one, would read
    differently, StscredsError is raised and the caller writes nothing.
    """
    check_profile_name(profile)
    for key, value in values.items():
        _check_value(key, value)
    before = _parse(text, path)  # also reports a broken file with its line
    lines = _split_lines(text)
    newline = _newline_of(lines)
    section = _scan(lines).get(profile)

    if section is None:
        if lines and not _ending(lines[-1]):
            lines[-1] += newline
        block = [f"[{profile}]{newline}"] + [f"{k} = {v}{newline}" for k, v in values.items()]
        if lines:
            block.insert(0, newline)
        lines.extend(block)
    else:
        drop: set[int] = set()
        missing = []
        for key, value in values.items():
            option = section.options.get(key)
            if option is None:
                missing.append((key, value))
                continue
            line = lines[option.first]
            lines[option.first] = f"{_indent(line)}{line.strip()[: option.value_start]}{value}{_ending(line)}"
            # A multi-line value's continuation lines go; comments among them stay.
            drop.update(
                i
                for i in range(option.first + 1, option.last + 1)
                if lines[i].strip() and not lines[i].strip().startswith(_COMMENT_PREFIXES)
            )
        if missing:
            anchor = section.last_content_line
            # The indentation of the last key (not of its continuation lines): deeper would
            # make the new key a continuation, shallower would turn an indented header
            # further down into a continuation of the new key.
            indent = _indent(lines[section.last_indent_line])
            # End new lines as the anchor line ends: that ending already stood before what
            # follows. Another could fuse with it ("\r" then a blank "\n" line reads "\r\n").
            newline = _ending(lines[anchor]) or newline
            if not _ending(lines[anchor]):
                lines[anchor] += newline
            new_lines = [f"{indent}{k} = {v}{newline}" for k, v in missing]
            if anchor == len(lines) - 1 and not text.endswith(("\n", "\r")):
                new_lines[-1] = new_lines[-1][: -len(newline)]  # keep "no final newline"
            lines[anchor + 1 : anchor + 1] = new_lines
        lines = _keep_apart([line for i, line in enumerate(lines) if i not in drop])

    result = "".join(lines)
    _verify_edit(before, result, profile, values, path)
    return result


def _keep_apart(lines: list[str]) -> list[str]:
    """Stop a lone "\r" ending from fusing with a following blank "\n" line into one "\r\n"
    line break, which would lose the blank line. No file read in text mode has that pair, so
    only an edit (a dropped continuation line) can bring one about."""
    for i in range(len(lines) - 1):
        if lines[i].endswith("\r") and lines[i + 1].startswith("\n"):
            lines[i] += "\n"
    return lines


def _verify_edit(
    before: configparser.RawConfigParser, result: str, profile: str, values: dict[str, str], path: str
) -> None:
    """Re-read the edited text as botocore would: only [profile]'s `values` may differ."""
    old = _as_dict(before, path)
    try:
        new: dict[str, Profile] | None = _as_dict(_parse(result, path), path)
    except MalformedFileError:
        new = None  # e.g. a new section inheriting a [DEFAULT] value botocore cannot read
    # A new section also shows the [DEFAULT] section's keys, as every section does.
    defaults = {k: _botocore_value(v) for k, v in before.defaults().items()} if new is not None else {}
    expected = {**old, profile: {**defaults, **old.get(profile, {}), **values}}
    if new != expected:
        # The user's file is fine; writing our change would not leave it so.
        raise StscredsError(
            f"{path}: not writing [{profile}]: botocore would then read other settings differently; nothing was written"
        )


# --- atomic, permission-safe writes ----------------------------------------------------


def write_atomically(path: str, data: bytes, mode: int = FILE_MODE) -> None:
    """Replace the file at `path` (or a symlink's target) with `data`, all or nothing."""
    target = os.path.realpath(path)  # write through symlinks, so the link itself survives
    folder = os.path.dirname(target)
    temp = os.path.join(folder, f".{os.path.basename(target)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as error:
        raise FileAccessError("write", path, error) from None
    try:
        try:
            os.fchmod(fd, mode)  # the umask may have removed bits, or left others
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException as error:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):
            raise FileAccessError("write", path, error) from None
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _make_folder(folder: str, mode: int, enforce: bool) -> None:
    """Create `folder` with `mode` whatever the umask; `enforce` also fixes an existing one."""
    try:
        os.makedirs(folder, mode=mode)
        os.chmod(folder, mode)
    except FileExistsError:
        if enforce:
            os.chmod(folder, mode)
    except OSError as error:
        raise FileAccessError("create", folder, error) from None


def _file_encoding() -> str:
    """The encoding open() uses without one, which is what botocore reads the file with."""
    import locale

    return locale.getpreferredencoding(False)


def load_shared_file(path: str) -> str:
    """The file's text, checked to read as botocore reads it; "" when it does not exist."""
    return _load(path)[0]


def _load(path: str) -> tuple[str, dict[str, Profile]]:
    """The shared credentials file's text, decoded as botocore decodes it (the locale's
    encoding), and its profiles as botocore reads them. The one place that opens it for
    the full CLI, so every error about it reads the same."""
    try:
        with open(path, encoding=_file_encoding(), newline="") as stream:
            text = stream.read()
    except FileNotFoundError:
        return "", {}
    except UnicodeDecodeError as error:
        raise _parse_error(path, error) from None
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    return text, _as_dict(_parse(text, path), path)


def write_session(path: str, profile: str, values: dict[str, str]) -> None:
    """Set `values` in `[profile]` of the shared credentials file, atomically."""
    text = load_shared_file(path)  # re-read now: it may have changed while we prompted
    updated = update_section(text, profile, values, path)
    target = os.path.realpath(path)
    # ~/.aws may not exist on a new machine; the AWS CLI creates it the same way.
    _make_folder(os.path.dirname(target), STORE_DIR_MODE, enforce=False)
    write_atomically(path, updated.encode(_file_encoding()))


# --- stscreds' own store of long-term keys (configobj) -----------------------------------


def _open_store(path: str):  # type: ignore[no-untyped-def]
    from configobj import ConfigObj, ConfigObjError  # only `init` and `auth` need it

    try:
        # interpolation off: a '%' or '$' in a value must stay what it is.
        return ConfigObj(path, encoding="utf-8", interpolation=False, file_error=False)
    except ConfigObjError as error:
        line = getattr(error, "line_number", None)
        raise MalformedFileError(path, "not a valid stscreds credentials file", line) from None
    except UnicodeDecodeError:
        raise MalformedFileError(path, "not readable as utf-8 text") from None
    except OSError as error:
        raise FileAccessError("read", path, error) from None


# Settings kept beside the pair in the store, per profile.
USER_ARN = "user_arn"  # from iam:GetUser at init and auth, for `status`
MFA_COMMAND = "mfa_command"  # prints an MFA code, e.g. `ykman oath accounts code --single aws`
STORE_SETTINGS = (USER_ARN, MFA_COMMAND)


def _store_section(profile: str, path: str) -> dict[str, str] | None:
    if not os.path.exists(path):
        return None
    section = _open_store(path).get(profile)
    return dict(section) if isinstance(section, dict) else None


def load_long_term_keys(profile: str, path: str | None = None) -> tuple[str, str]:
    """The stored (access key id, secret access key) for `profile`."""
    path = path or store_path()
    hint = "stscreds init" if profile == DEFAULT_PROFILE else f"stscreds init --profile {profile}"
    if not os.path.exists(path):
        raise NotInitialisedError(f"no long-term keys stored yet: run `{hint}` first")
    section = _store_section(profile, path)
    if not section or not section.get(ACCESS_KEY_ID) or not section.get(SECRET_ACCESS_KEY):
        raise NotInitialisedError(f"no long-term keys for profile {profile!r} in {path}: run `{hint}` first")
    access_key_id, secret = section[ACCESS_KEY_ID], section[SECRET_ACCESS_KEY]
    if not isinstance(access_key_id, str) or not looks_like_access_key_id(access_key_id):
        raise MalformedFileError(path, f"[{profile}] {ACCESS_KEY_ID} does not look like an AWS access key ID")
    if not isinstance(secret, str) or any(c.isspace() for c in secret):
        raise MalformedFileError(path, f"[{profile}] {SECRET_ACCESS_KEY} is not one word")
    return access_key_id, secret


def load_store_settings(profile: str, path: str | None = None) -> dict[str, str]:
    """`profile`'s settings beside the pair (USER_ARN, MFA_COMMAND); {} when there are none."""
    section = _store_section(profile, path or store_path()) or {}
    return {key: value for key in STORE_SETTINGS if isinstance(value := section.get(key), str) and value}


def save_long_term_keys(
    profile: str,
    access_key_id: str,
    secret_access_key: str,
    path: str | None = None,
    settings: dict[str, str] | None = None,
) -> str:
    """Store the pair in `[profile]`, keeping other profiles and this profile's settings
    (updated with `settings`; an empty value removes one). Returns the file's path."""
    return _edit_store(
        profile, {ACCESS_KEY_ID: access_key_id, SECRET_ACCESS_KEY: secret_access_key, **(settings or {})}, path
    )


def save_store_settings(profile: str, settings: dict[str, str], path: str | None = None) -> None:
    """Update `profile`'s settings beside its pair; writes only when one changes."""
    path = path or store_path()
    if any(load_store_settings(profile, path).get(key, "") != value for key, value in settings.items()):
        _edit_store(profile, settings, path)


def _edit_store(profile: str, values: dict[str, str], path: str | None) -> str:
    path = path or store_path()
    _make_folder(os.path.dirname(path), STORE_DIR_MODE, enforce=True)
    store = _open_store(path)
    section = {**(store.get(profile) or {}), **values}
    store[profile] = {key: value for key, value in section.items() if value}
    buffer = io.BytesIO()
    store.write(buffer)
    write_atomically(path, buffer.getvalue())
    return path


# --- one authentication at a time ------------------------------------------------------------

# How long a second stscreds waits for the first to finish asking for an MFA code: long
# enough to find the other terminal and type a code. STSCREDS_LOCK_TIMEOUT overrides it.
LOCK_WAIT_SECONDS = 120.0
_LOCK_POLL_SECONDS = 0.1


def lock_path() -> str:
    return os.path.join(os.path.dirname(store_path()), "lock")


def lock_wait_seconds() -> float:
    text = os.environ.get("STSCREDS_LOCK_TIMEOUT", "")
    try:
        return max(0.0, float(text)) if text else LOCK_WAIT_SECONDS
    except ValueError:
        raise UsageError(f"STSCREDS_LOCK_TIMEOUT must be a number of seconds, not {text!r}") from None


class AuthLock:
    """Lets one stscreds at a time authenticate, so that eight shells opened together ask for
    one MFA code: the others wait here, then find the fresh session in the file.

    An exclusive `flock` on ~/.stscreds/lock: the kernel drops it when its holder exits or is
    killed, so no stale lock can outlive a crashed process. The file holds the holder's pid,
    for the message the others show.
    """

    def __init__(
        self,
        on_wait: Callable[[str], None],
        wait_seconds: float | None = None,
        path: str | None = None,
    ) -> None:
        self.on_wait = on_wait
        self.wait_seconds = lock_wait_seconds() if wait_seconds is None else wait_seconds
        self.path = path or lock_path()
        self._fd: int | None = None

    def __enter__(self) -> AuthLock:
        import fcntl

        _make_folder(os.path.dirname(self.path), STORE_DIR_MODE, enforce=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except OSError as error:
            raise FileAccessError("open", self.path, error) from None
        try:
            if not self._try_lock(fcntl, fd):
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                self.on_wait(
                    f"Another stscreds (pid {holder}) is authenticating; waiting up to {self.wait_seconds:g} s for it."
                )
                deadline = time.monotonic() + self.wait_seconds
                while not self._try_lock(fcntl, fd):
                    if time.monotonic() >= deadline:
                        raise BusyError(
                            f"gave up after {self.wait_seconds:g} s waiting for another stscreds (pid {holder}) "
                            "to finish authenticating; finish or stop it, then try again"
                        )
                    time.sleep(_LOCK_POLL_SECONDS)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)  # also releases the lock, if we got it
            raise
        self._fd = fd
        return self

    def _try_lock(self, fcntl, fd: int) -> bool:  # type: ignore[no-untyped-def]
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as error:  # e.g. a file system without locks
            raise FileAccessError("lock", self.path, error) from None
        return True

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
