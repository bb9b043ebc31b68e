"""The files stscreds reads and writes.

* The shared AWS credentials file (`~/.aws/credentials` or `AWS_SHARED_CREDENTIALS_FILE`)
  belongs to the user and to every other AWS tool. We read it with exactly the parser
  botocore uses (`configparser.RawConfigParser`), and we edit it line by line: only the
  lines of the managed keys in the managed section change, every other byte stays, and each
  edit is re-read and compared before it is written.
* `~/.stscreds/credentials` is ours and holds the long-term key pair, via configobj.

All writes are atomic (temp file in the same folder, fsync, rename), follow symlinks and
leave the file 0600 whatever the umask.

This module is on `stscreds read`'s fast path, so it imports only cheap standard-library
modules at the top; configobj is imported where it is used.
"""

from __future__ import annotations

import configparser
import io
import os
import re
from datetime import datetime, timedelta, timezone

from stscreds.errors import FileAccessError, MalformedFileError, NotInitialisedError, UsageError

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
EXPIRY_MARGIN = timedelta(minutes=5)

DEFAULT_PROFILE = "default"
STORE_DIR_MODE = 0o700
FILE_MODE = 0o600


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
    if (
        not profile
        or profile != profile.strip()
        or any(c in profile for c in "[]\r\n")
        or profile == configparser.DEFAULTSECT
    ):
        raise UsageError(f"invalid profile name {profile!r}")
    return profile


# --- reading the shared credentials file as botocore does -------------------------------


def _parse_error(path: str, error: Exception) -> MalformedFileError:
    """Name the file and the line, as the issue asks, without quoting secret values."""
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
    parser = configparser.RawConfigParser()
    try:
        # newline=None gives the universal-newline splitting a text-mode file read gets.
        parser.read_file(io.StringIO(text, newline=None), source=path)
    except configparser.Error as error:
        raise _parse_error(path, error) from None
    return parser


def _as_dict(parser: configparser.RawConfigParser) -> dict[str, dict[str, str]]:
    """What `botocore.configloader.raw_config_parse` returns (nested values aside)."""
    return {s: {o: parser.get(s, o) for o in parser.options(s)} for s in parser.sections()}


def read_shared_credentials(path: str) -> dict[str, dict[str, str]]:
    """Every profile in the shared credentials file; {} when the file does not exist.

    Opens the file the way botocore does (text mode, the locale's encoding), so the values
    are the ones every AWS SDK will see.
    """
    parser = configparser.RawConfigParser()
    try:
        with open(path) as stream:
            parser.read_file(stream, source=path)
    except FileNotFoundError:
        return {}
    except (configparser.Error, UnicodeDecodeError) as error:
        raise _parse_error(path, error) from None
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    return _as_dict(parser)


def parse_expiration(value: str) -> datetime | None:
    """The recorded end of a session, or None when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def format_expiration(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def valid_session(section: dict[str, str] | None, now: datetime) -> bool:
    """True when the section holds a complete session that outlives `now` by the margin."""
    if not section or not all(section.get(key) for key in CREDENTIAL_KEYS):
        return False
    expiration = parse_expiration(section.get(EXPIRATION, ""))
    return expiration is not None and expiration - EXPIRY_MARGIN > now


def current_value(key: str, profile: str, now: datetime) -> str | None:
    """KEY's value while the session in [profile] is valid, else None. No network, no prompt.

    This is the whole of `read` in the common case: the fast path and the CLI both run it.
    """
    section = read_shared_credentials(shared_credentials_path()).get(profile)
    if section is not None and valid_session(section, now):
        return section.get(key)
    return None


# --- editing one section, keeping every other byte --------------------------------------

# configparser's own patterns, so we split the file exactly where it does.
_SECTION_HEADER = configparser.RawConfigParser.SECTCRE
_OPTION_LINE = configparser.RawConfigParser.OPTCRE
_NON_SPACE = re.compile(r"\S")
_COMMENT_PREFIXES = ("#", ";")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _split_lines(text: str) -> list[str]:
    """Lines with their endings, split where a text-mode read splits (\\n, \\r\\n, \\r)."""
    lines = _LINE.findall(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


class _Section:
    """Where one section lies: its header line, its option lines, where it ends."""

    def __init__(self, header: int) -> None:
        self.header = header
        self.options: dict[str, list[int]] = {}  # name -> [first line, last continuation line]

    @property
    def last_content_line(self) -> int:
        """Where new keys go after: the end of the last key's value, or the header."""
        return max([self.header] + [span[1] for span in self.options.values()])

    @property
    def last_indent_line(self) -> int:
        """The line that set configparser's indent level there: the last key's first line."""
        return max([self.header] + [span[0] for span in self.options.values()])


def _locate_sections(lines: list[str]) -> dict[str, _Section]:
    """Mirror of `RawConfigParser._read` that records line numbers instead of values.

    Only called on text that already parsed, so error cases need no handling.
    """
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    option: str | None = None
    indent_level = 0
    for index, line in enumerate(lines):
        value = line.strip()
        if not value or value.startswith(_COMMENT_PREFIXES):
            continue  # neither blank lines nor comments end a multi-line value
        match = _NON_SPACE.search(line)
        indent = match.start() if match else 0
        if current is not None and option is not None and indent > indent_level:
            current.options[option][1] = index  # a continuation line
            continue
        indent_level = indent
        header = _SECTION_HEADER.match(value)
        if header:
            current = sections.setdefault(header.group("header"), _Section(index))
            option = None
        elif current is not None:
            found = _OPTION_LINE.match(value)
            assert found is not None
            option = found.group("option").rstrip().lower()
            current.options[option] = [index, index]
    return sections


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
    differently, nothing is returned and the caller writes nothing.
    """
    check_profile_name(profile)
    for key, value in values.items():
        _check_value(key, value)
    before = _parse(text, path)
    lines = _split_lines(text)
    newline = _newline_of(lines)
    sections = _locate_sections(lines)
    section = sections.get(profile)

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
            span = section.options.get(key)
            if span is None:
                missing.append((key, value))
                continue
            first, last = span
            line = lines[first]
            indent = line[: len(line) - len(line.lstrip())]
            stripped = line.strip()
            found = _OPTION_LINE.match(stripped)
            assert found is not None
            lines[first] = f"{indent}{stripped[: found.start('value')]}{value}{_ending(line)}"
            # A multi-line value's continuation lines go; comments among them stay.
            drop.update(
                i
                for i in range(first + 1, last + 1)
                if lines[i].strip() and not lines[i].strip().startswith(_COMMENT_PREFIXES)
            )
        if missing:
            anchor = section.last_content_line
            # The indentation of the last key (not of its continuation lines): deeper would
            # make the new key a continuation, shallower would turn an indented header
            # further down into a continuation of the new key.
            model = lines[section.last_indent_line]
            indent = model[: len(model) - len(model.lstrip())]
            # End new lines as the anchor line ends: that ending already stood before what
            # follows. Another could fuse with it ("\r" then a blank "\n" line reads "\r\n").
            newline = _ending(lines[anchor]) or newline
            if not _ending(lines[anchor]):
                lines[anchor] += newline
            new_lines = [f"{indent}{k} = {v}{newline}" for k, v in missing]
            if anchor == len(lines) - 1 and not text.endswith(("\n", "\r")):
                new_lines[-1] = new_lines[-1][: -len(newline)]  # keep "no final newline"
            lines[anchor + 1 : anchor + 1] = new_lines
        lines = [line for i, line in enumerate(lines) if i not in drop]

    result = "".join(lines)
    _verify_edit(before, _parse(result, path), profile, values, path)
    return result


def _verify_edit(
    before: configparser.RawConfigParser,
    after: configparser.RawConfigParser,
    profile: str,
    values: dict[str, str],
    path: str,
) -> None:
    old, new = _as_dict(before), _as_dict(after)
    expected = dict(old)
    expected[profile] = {**old.get(profile, {}), **values}
    if new != expected or before.defaults() != after.defaults():
        raise MalformedFileError(path, f"refusing to edit: the change to [{profile}] would alter other settings")


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
    """The shared credentials file's text (decoded as botocore decodes it), checked to parse."""
    try:
        with open(path, encoding=_file_encoding(), newline="") as stream:
            text = stream.read()
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as error:
        raise _parse_error(path, error) from None
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    _parse(text, path)
    return text


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


def load_long_term_keys(profile: str, path: str | None = None) -> tuple[str, str]:
    """The stored (access key id, secret access key) for `profile`."""
    path = path or store_path()
    hint = "stscreds init" if profile == DEFAULT_PROFILE else f"stscreds init --profile {profile}"
    if not os.path.exists(path):
        raise NotInitialisedError(f"no long-term keys stored yet: run `{hint}` first")
    section = _open_store(path).get(profile)
    if not isinstance(section, dict) or not section.get(ACCESS_KEY_ID) or not section.get(SECRET_ACCESS_KEY):
        raise NotInitialisedError(f"no long-term keys for profile {profile!r} in {path}: run `{hint}` first")
    return str(section[ACCESS_KEY_ID]), str(section[SECRET_ACCESS_KEY])


def save_long_term_keys(profile: str, access_key_id: str, secret_access_key: str, path: str | None = None) -> str:
    """Store the pair in `[profile]`, keeping other profiles. Returns the file's path."""
    path = path or store_path()
    _make_folder(os.path.dirname(path), STORE_DIR_MODE, enforce=True)
    store = _open_store(path)
    store[profile] = {ACCESS_KEY_ID: access_key_id, SECRET_ACCESS_KEY: secret_access_key}
    buffer = io.BytesIO()
    store.write(buffer)
    write_atomically(path, buffer.getvalue())
    return path


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
