"""INI files as botocore reads them, and a byte-exact editor for them.

botocore reads `~/.aws/credentials` and `~/.aws/config` with `configparser.RawConfigParser` and
then parses values that start with a newline as nested settings (`s3 =` blocks). This module
mirrors configparser's line grammar without `re` (`_scan`), so that the fast path can read a
plain file for the cost of reading it; anything it is not sure about ([DEFAULT] sections,
anything configparser would refuse) is read by configparser itself, which then also reports
errors with their line. Each file is read once per process, and again only when it changed.

The editor changes the lines of the keys it sets, in the sections it sets them in, and nothing
else: comments, spacing, key spelling, line endings and a missing final newline stay byte for
byte. Each edit is re-read with configparser and compared before it is returned: if anything
else would read differently, it refuses, and the caller writes nothing.
"""

from __future__ import annotations

import io  # loaded during interpreter start-up anyway
import os
import stat

from stscreds.errors import FileAccessError, MalformedFileError, StscredsError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (which is not free)
if TYPE_CHECKING:
    import configparser
    from collections.abc import Mapping

    # What update_sections is given: per section, the values to set (None: remove the key).
    Updates = Mapping[str, Mapping[str, "str | None"]]

DEFAULT_SECTION = "DEFAULT"  # configparser.DEFAULTSECT: its keys apply to every section
_COMMENT_PREFIXES = ("#", ";")

# One section as botocore reads it: a value that starts on the next line is a sub-section.
Section = dict[str, "str | dict[str, str]"]


def nested_value(value: str) -> str | dict[str, str]:
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


# --- configparser's grammar, line by line, without re -----------------------------------------


def _indent(line: str) -> str:
    """The line's leading whitespace (configparser's indent level is its length)."""
    return line[: len(line) - len(line.lstrip())]


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _significant(line: str) -> bool:
    """Not blank and not a comment: a line configparser's indentation rules look at."""
    value = line.strip()
    return bool(value) and not value.startswith(_COMMENT_PREFIXES)


class _Unparsable(Exception):
    """Where configparser would raise; the reader then leaves the file to configparser."""


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
    def last_key_line(self) -> int | None:
        """The last key's first line: it set configparser's indent level there."""
        return max((option.first for option in self.options.values()), default=None)


def _scan(lines: list[str]) -> dict[str, _Section]:
    """A mirror of `RawConfigParser._read` (default settings, as botocore uses it) that keeps
    where each section and key lies and what each value is. Raises _Unparsable where
    configparser would raise."""
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
            if name in sections and name != DEFAULT_SECTION:
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


def split_lines(text: str) -> list[str]:
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


def _fast_sections(text: str) -> dict[str, Section] | None:
    """What botocore reads, for the files the mirror is sure about; None for the rest."""
    try:
        scanned = _scan(split_lines(text))
    except _Unparsable:
        return None
    if DEFAULT_SECTION in scanned:
        return None  # its keys show in every section: configparser knows how
    try:  # every section: botocore refuses the whole file for one bad multi-line value
        return {name: {k: nested_value(o.value) for k, o in s.options.items()} for name, s in scanned.items()}
    except ValueError:
        return None


# --- configparser itself, for everything else ----------------------------------------------


def _parse_error(path: str, error: Exception) -> MalformedFileError:
    """Name the file and the line, without quoting values (they may be secrets)."""
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


def _as_dict(parser: configparser.RawConfigParser, path: str) -> dict[str, Section]:
    """What `botocore.configloader.raw_config_parse` returns, or its error."""
    try:
        return {s: {o: nested_value(parser.get(s, o)) for o in parser.options(s)} for s in parser.sections()}
    except ValueError as error:
        raise MalformedFileError(path, f"botocore cannot read a multi-line value: {error}") from None


# --- reading files, once --------------------------------------------------------------------

MISSING, REGULAR, NOT_REGULAR = "missing", "regular", "not a regular file"


class Document:
    """One INI file as read now: its exact text, for the editor, and its sections as botocore
    reads them. A missing file, and anything that is not a regular file (botocore reads no
    file there either: /dev/null, a FIFO, a folder), reads as empty."""

    __slots__ = ("_sections", "kind", "path", "text")

    def __init__(self, path: str, text: str, kind: str) -> None:
        self.path = path
        self.text = text
        self.kind = kind
        self._sections: dict[str, Section] | None = None

    @property
    def sections(self) -> dict[str, Section]:
        if self._sections is None:
            fast = _fast_sections(self.text)
            self._sections = fast if fast is not None else _as_dict(_parse(self.text, self.path), self.path)
        return self._sections


# path -> (identity of the file read, its Document): a command that looks at a file again
# (after waiting for a lock, say) reads it again only if it changed meanwhile.
_read_cache: dict[str, tuple[tuple[int, int, int, int], Document]] = {}


def file_identity(status: os.stat_result) -> tuple[int, int, int, int]:
    """What tells one version of a file from another: read again only when it changes."""
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def read(path: str, encoding: str | None = None) -> Document:
    """The file at `path` as botocore would read it (the locale's encoding, as open() uses,
    unless `encoding` is given: stscreds' own key store is UTF-8)."""
    if not path:  # an empty AWS_SHARED_CREDENTIALS_FILE names no file, for botocore too
        return Document(path, "", MISSING)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return Document(path, "", MISSING)
    except NotADirectoryError:  # a path under a plain file
        return Document(path, "", MISSING)
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    if not stat.S_ISREG(status.st_mode):
        return Document(path, "", NOT_REGULAR)
    cached = _read_cache.get(path)
    if cached is not None and cached[0] == file_identity(status):
        return cached[1]
    try:
        # O_NONBLOCK: if a FIFO took the file's place since the stat, opening must not wait.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return Document(path, "", MISSING)
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            return Document(path, "", NOT_REGULAR)
        with open(fd, newline="", encoding=encoding) as stream:  # closes fd
            text = stream.read()
    except UnicodeDecodeError as error:
        raise MalformedFileError(path, f"not readable as {error.encoding} text") from None
    except OSError as error:
        raise FileAccessError("read", path, error) from None
    document = Document(path, text, REGULAR)
    _read_cache[path] = (file_identity(status), document)
    return document


def remember(path: str, text: str) -> None:
    """Record what we just wrote to `path`, so that reading it back costs nothing."""
    try:
        status = os.stat(path)
    except OSError:
        _read_cache.pop(path, None)
        return
    _read_cache[path] = (file_identity(status), Document(path, text, REGULAR))


def file_encoding() -> str:
    """The encoding open() uses without one, which is what botocore reads files with."""
    import locale

    return locale.getpreferredencoding(False)


# --- editing sections, keeping every other byte --------------------------------------------


def check_section_name(name: str) -> str:
    """Refuse names that cannot be a section header, or that configparser treats specially."""
    if (
        not name
        or name != name.strip()
        or any(c in name for c in "[]\r\n")
        or name == DEFAULT_SECTION
        or not name.isprintable()
        or _has_surrogates(name)
    ):
        raise ValueError(f"invalid section name {name!r}")
    return name


def _has_surrogates(text: str) -> bool:
    """Bytes of a command-line argument that were not valid in the locale's encoding."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_value(key: str, value: str) -> None:
    # A newline would start a new line in the file; leading/trailing space would be lost.
    if not value or value != value.strip() or any(c in value for c in "\r\n") or _has_surrogates(value):
        raise ValueError(f"unwritable value for {key}")


def _newline_of(lines: list[str]) -> str:
    for line in lines:
        if _ending(line):
            return _ending(line)
    return "\n"


def update_sections(text: str, updates: Updates, path: str = "<text>") -> str:
    """Return `text` with each section of `updates` given its values, every other byte unchanged.

    Keys already in a section keep their place, spelling and spacing; only the value changes.
    New keys go after the section's last key; a missing section is appended. A value of None
    removes the key's line (and its continuation lines; comments among them stay). The result
    is re-read as botocore reads it: if anything but these values would read differently,
    StscredsError is raised and the caller writes nothing.
    """
    for name, values in updates.items():
        check_section_name(name)
        for key, value in values.items():
            if value is not None:
                check_value(key, value)
    before = _parse(text, path)  # also reports a broken file with its line
    lines = split_lines(text)
    for name, values in updates.items():
        lines = _set_values(lines, name, values)
    result = "".join(lines)
    _verify_edit(before, result, updates, path)
    return result


def _set_values(lines: list[str], name: str, updates: Mapping[str, str | None]) -> list[str]:
    newline = _newline_of(lines)
    section = _scan(lines).get(name)
    values = {key: value for key, value in updates.items() if value is not None}
    if section is None:
        if not values:
            return lines
        ends_with_newline = not lines or bool(_ending(lines[-1]))
        if lines and not ends_with_newline:
            lines[-1] += newline
        block = [f"[{name}]{newline}"] + [f"{k} = {v}{newline}" for k, v in values.items()]
        if lines and lines[-1].strip():
            block.insert(0, newline)
        return lines + block

    drop: set[int] = set()
    missing = []
    for key in updates.keys() - values.keys():
        option = section.options.get(key)
        if option is not None:  # the key's lines go; comments among them stay
            drop.update(i for i in range(option.first, option.last + 1) if _significant(lines[i]))
    for key, value in values.items():
        option = section.options.get(key)
        if option is None:
            missing.append((key, value))
            continue
        line = lines[option.first]
        lines[option.first] = f"{_indent(line)}{line.strip()[: option.value_start]}{value}{_ending(line)}"
        # A multi-line value's continuation lines go; comments among them stay.
        drop.update(i for i in range(option.first + 1, option.last + 1) if _significant(lines[i]))
    if missing:
        anchor = section.last_content_line
        indent = _new_key_indent(lines, section, anchor)
        # End new lines as the anchor line ends: that ending already stood before what
        # follows. Another could fuse with it ("\r" then a blank "\n" line reads "\r\n").
        newline = _ending(lines[anchor]) or newline
        last_line_unended = anchor == len(lines) - 1 and not _ending(lines[anchor])
        if not _ending(lines[anchor]):
            lines[anchor] += newline
        new_lines = [f"{indent}{k} = {v}{newline}" for k, v in missing]
        if last_line_unended:
            new_lines[-1] = new_lines[-1][: -len(newline)]  # keep "no final newline"
        lines[anchor + 1 : anchor + 1] = new_lines  # after every dropped line: no index moves
    kept = [line for i, line in enumerate(lines) if i not in drop]
    if kept and not missing and len(lines) - 1 in drop and not _ending(lines[-1]):
        kept[-1] = kept[-1].rstrip("\r\n")  # the file had no final newline: it still has none
    return _keep_apart(kept)


def _new_key_indent(lines: list[str], section: _Section, anchor: int) -> str:
    """How far to indent keys added after `anchor`, so that configparser reads each as a key
    and everything after them as before. After a key, its own indentation: deeper would make
    a new key its continuation. Right after a header, the indentation of the next line that
    counts (a comment or blank line does not): shallower would turn that line, an indented
    header say, into a continuation of the new key."""
    if section.last_key_line is not None:
        return _indent(lines[section.last_key_line])
    following = next((line for line in lines[anchor + 1 :] if _significant(line)), None)
    return _indent(following if following is not None else lines[section.header])


def _keep_apart(lines: list[str]) -> list[str]:
    """Stop a lone "\r" ending from fusing with a following blank "\n" line into one "\r\n"
    line break, which would lose the blank line. No file read in text mode has that pair, so
    only an edit (a dropped continuation line) can bring one about."""
    for i in range(len(lines) - 1):
        if lines[i].endswith("\r") and lines[i + 1].startswith("\n"):
            lines[i] += "\n"
    return lines


def _verify_edit(before: configparser.RawConfigParser, result: str, updates: Updates, path: str) -> None:
    """Re-read the edited text as botocore would: only the updated values may differ."""
    names = ", ".join(f"[{name}]" for name in updates)
    refusal = StscredsError(
        f"{path}: not writing {names}: botocore would then read other settings differently; nothing was written"
    )
    old = _as_dict(before, path)
    try:
        new = _as_dict(_parse(result, path), path)
    except MalformedFileError:
        raise refusal from None  # e.g. a new section inheriting a [DEFAULT] value botocore cannot read
    expected = dict(old)
    for name, updated in updates.items():
        values = {key: value for key, value in updated.items() if value is not None}
        if name in old:
            base = old[name]
        elif not values:
            continue  # nothing to remove from a section that is not there
        else:  # a new section shows every [DEFAULT] key it does not set, nested as botocore nests it
            try:
                base = {k: nested_value(v) for k, v in before.defaults().items() if k not in values}
            except ValueError:
                raise refusal from None
        expected[name] = {k: v for k, v in {**base, **values}.items() if k not in updated or updated[k] is not None}
    if new != expected:
        raise refusal


def render(sections: Mapping[str, Mapping[str, str | Mapping[str, str]]]) -> str:
    """A whole file of sections (nested settings, like `s3 =` blocks, indented under their key;
    an empty value, like `cli_pager =`, as it was), for files that stscreds writes whole."""
    blocks = []
    for name, values in sections.items():
        check_section_name(name)
        lines = [f"[{name}]\n"]
        for key, value in values.items():
            if not isinstance(value, str):
                lines.append(f"{key} =\n")
                for sub_key, sub_value in value.items():
                    check_value(sub_key, sub_value)
                    lines.append(f"    {sub_key} = {sub_value}\n")
            elif not value:
                lines.append(f"{key} =\n")
            else:
                check_value(key, value)
                lines.append(f"{key} = {value}\n")
        blocks.append("".join(lines))
    return "\n".join(blocks)


# --- writing files that others read too ----------------------------------------------------


def writable_document(path: str, what: str, variable: str) -> Document:
    """The file at `path` as it is now, when an edit of it can be written: refused in one line
    when `variable` names no file (it is set but empty) or something that is not a regular file."""
    if not path:
        raise StscredsError(
            f"{variable} is set but empty, so botocore and the AWS CLI read no {what}; unset it or name a file; "
            "nothing was written"
        )
    document = read(path)
    if document.kind == NOT_REGULAR:
        from stscreds.atomic import NotRegularFileError

        raise NotRegularFileError(path, what)
    return document


def edit_file(path: str, updates: Updates, what: str, variable: str) -> None:
    """Set `updates` in the file at `path` with the byte-exact editor, in one atomic write.
    Writers of one file take turns (a lock per file): each reads it again under the lock."""
    from stscreds import atomic
    from stscreds.lock import SourceLock

    with SourceLock(f"file.{os.path.realpath(path)}", lambda message: None):
        text = update_sections(writable_document(path, what, variable).text, updates, path)
        # ~/.aws may not exist on a new machine; the AWS CLI creates it the same way.
        atomic.make_folders(os.path.dirname(os.path.realpath(path)))
        atomic.write_file(path, text.encode(file_encoding()))
        remember(path, text)
