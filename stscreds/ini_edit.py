"""The byte-exact editor of INI files that others read too (`~/.aws/credentials`,
`~/.aws/config`), and a renderer of whole files that stscreds writes itself.

The editor changes the lines of the keys it sets, in the sections it sets them in, and nothing
else: comments, spacing, key spelling, line endings and a missing final newline stay byte for
byte. Each edit is re-read with configparser and compared before it is returned: if anything
else would read differently, it refuses, and the caller writes nothing. It reads with ini.py's
grammar; only writers import it, never the fast path.
"""

from __future__ import annotations

import os

from stscreds.errors import MalformedFileError, StscredsError
from stscreds.ini import (
    NOT_REGULAR,
    Document,
    _as_dict,
    _ending,
    _has_surrogates,
    _indent,
    _parse,
    _scan,
    _Section,
    _significant,
    check_section_name,
    file_encoding,
    nested_value,
    read,
    remember,
    split_lines,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import configparser
    from collections.abc import Mapping

    # What update_sections is given: per section, the values to set (None: remove the key).
    Updates = Mapping[str, Mapping[str, "str | None"]]


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


def edit_file(path: str, updates: Updates, what: str, variable: str, keep: bool = False) -> None:
    """Set `updates` in the file at `path` with the byte-exact editor, in one atomic write.
    Writers of one file take turns (a lock per file): each reads it again under the lock.
    `keep` for a file that is not secret (the config file): its mode and hard links are kept,
    as `aws configure set` keeps them (atomic.write_file); otherwise it is left 0600."""
    from stscreds import atomic
    from stscreds.lock import SourceLock

    with SourceLock(f"file.{os.path.realpath(path)}", lambda message: None):
        text = update_sections(writable_document(path, what, variable).text, updates, path)
        # ~/.aws may not exist on a new machine; the AWS CLI creates it the same way.
        atomic.make_folders(os.path.dirname(os.path.realpath(path)))
        atomic.write_file(path, text.encode(file_encoding()), keep=keep)
        remember(path, text)
