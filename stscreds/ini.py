"""INI files as botocore reads them, and a byte-exact editor for them.

botocore reads `~/.aws/credentials` and `~/.aws/config` with `configparser.RawConfigParser` and
then parses values that start with a newline as nested settings (`s3 =` blocks). This module
mirrors configparser's line grammar without `re` (`_scan`), so that the fast path can read a
plain file for the cost of reading it; anything it is not sure about ([DEFAULT] sections,
anything configparser would refuse) is read by configparser itself, which then also reports
errors with their line. Each file is read once per process, and again only when it changed.

The byte-exact editor, which only writers need, is in ini_edit.py.
"""

from __future__ import annotations

import io  # loaded during interpreter start-up anyway
import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.errors import MalformedFileError


TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (which is not free)
if TYPE_CHECKING:
    import configparser

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

    from stscreds.errors import MalformedFileError  # see errors.py: not at the top

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
    from stscreds.errors import MalformedFileError  # see errors.py: not at the top

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


def _cannot(verb: str, path: str, error: OSError) -> Exception:
    from stscreds.errors import FileAccessError  # see errors.py: only a failing read needs it

    return FileAccessError(verb, path, error)


def _malformed(path: str, detail: str) -> Exception:
    from stscreds.errors import MalformedFileError  # see errors.py: only a failing read needs it

    return MalformedFileError(path, detail)


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
        raise _cannot("read", path, error) from None
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
        raise _cannot("read", path, error) from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            return Document(path, "", NOT_REGULAR)
        with open(fd, newline="", encoding=encoding) as stream:  # closes fd
            text = stream.read()
    except UnicodeDecodeError as error:
        raise _malformed(path, f"not readable as {error.encoding} text") from None
    except OSError as error:
        raise _cannot("read", path, error) from None
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


# --- names that can be sections ------------------------------------------------------------


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
