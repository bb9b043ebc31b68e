"""The shared credentials file (`~/.aws/credentials`): where a profile's MFA session lives.

The file belongs to the user and to every other AWS tool. A session is four keys in the
profile's section, written with the byte-exact editor, so that nothing else in the file
changes; `prepare` runs before any MFA prompt and fails if the write could not happen (a
file botocore would read differently after the edit, something that is not a regular file, a
read-only folder), so that no code is spent on a command that cannot finish.
"""

from __future__ import annotations

import os

from stscreds import ini, paths
from stscreds.credentials import Credentials

# What `prepare` edits in its trial run: values of the shape every real one has.
_TRIAL = Credentials("trial", "trial", "trial", 0.0)


class SectionStore:
    """Credentials kept in one [section] of an INI file that others read too."""

    def __init__(
        self,
        path: str,
        section: str,
        what: str = "credentials file",
        variable: str = paths.CREDENTIALS_FILE_VARIABLE,
    ) -> None:
        self.path = path
        self.section = section
        self.what = what
        self.variable = variable
        self.created = False  # whether the last `save` added the section

    def __repr__(self) -> str:
        return f"[{self.section}] of {self.path}"

    def load(self) -> Credentials | None:
        """The complete credentials in the section, whatever their expiry; None if there are none."""
        return Credentials.from_ini(ini.read(self.path).sections.get(self.section))

    def prepare(self) -> None:
        """Fail now if `save` would fail: run the edit on the current text and check that the
        file can be written."""
        from stscreds import (
            atomic,  # only writers need it: not the fast path
            ini_edit,  # writers only: not the fast path
        )

        self._refuse_the_key_store()
        document = ini_edit.writable_document(self.path, self.what, self.variable)
        ini_edit.update_sections(document.text, {self.section: _TRIAL.as_ini()}, self.path)
        atomic.check_writable(self.path, self.what)

    def save(self, credentials: Credentials) -> None:
        from stscreds import ini_edit  # writers only: not the fast path

        self._refuse_the_key_store()
        # Whether this write adds the section: then it is stscreds', and `clear` may remove it.
        self.created = self.section not in ini.read(self.path).sections
        # Read again under the file's lock: it may have changed while we prompted.
        ini_edit.edit_file(self.path, {self.section: credentials.as_ini()}, self.what, self.variable)

    def long_term_pair(self) -> tuple[str, str] | None:
        """The (access key ID, secret) of a long-term pair in the section: a key and a secret
        with no session token, which a session written there would replace. None otherwise."""
        section = ini.read(self.path).sections.get(self.section) or {}
        key, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
        if isinstance(key, str) and key and isinstance(secret, str) and secret and not section.get("aws_session_token"):
            return key, secret
        return None

    def forget(self, remove_section: bool = False) -> str:
        """Remove the four keys of a session (temporary credentials: a token among them), every
        other byte kept; never a long-term pair. With `remove_section`, the section goes too when
        nothing but blank lines is left in it. What was removed: "", KEYS or SECTION."""
        from stscreds import atomic, ini_edit  # writers only: not the fast path
        from stscreds.lock import SourceLock

        if not (ini.read(self.path).sections.get(self.section) or {}).get("aws_session_token"):
            return ""
        self._refuse_the_key_store()
        # The lock ini_edit.edit_file takes: writers of one file take turns, each reading it anew.
        with SourceLock(f"file.{os.path.realpath(self.path)}", lambda message: None):
            document = ini_edit.writable_document(self.path, self.what, self.variable)
            text, removed = without_session(document.text, self.section, remove_section, self.path)
            if removed:
                atomic.write_file(self.path, text.encode(ini.file_encoding()))
                ini.remember(self.path, text)
        return removed

    def _refuse_the_key_store(self) -> None:
        paths.check_apart()


# What `SectionStore.forget` removed.
KEYS, SECTION = "keys", "section"


def without_session(text: str, section: str, remove_section: bool, path: str = "<text>") -> tuple[str, str]:
    """`text` without the session in [section] (and, with `remove_section`, without the
    section when nothing else is left in it), and what went: "" (no session there: a
    long-term pair, or nothing), KEYS or SECTION. Raises as the byte-exact editor does when
    botocore would read anything else differently."""
    from stscreds import ini_edit  # writers only: not the fast path
    from stscreds.credentials import INI_KEYS

    if not (ini.Document(path, text, ini.REGULAR).sections.get(section) or {}).get("aws_session_token"):
        return text, ""
    text = ini_edit.update_sections(text, {section: dict.fromkeys(INI_KEYS)}, path)
    shorter = _without_section(text, section, path) if remove_section else None
    return (text, KEYS) if shorter is None else (shorter, SECTION)


def _without_section(text: str, name: str, path: str) -> str | None:
    """`text` without [name], when nothing is left in it but blank lines (no key, no comment),
    every other byte kept; else None. A section at the end of the file goes with the blank
    line before it, which the editor put there when it added the section: the file is then
    what it was before (unless the file ended in a blank line of its own, or in no line break:
    the editor's additions there cannot be told from the user's). Checked as botocore reads
    it: only [name] may be gone."""
    lines = ini.split_lines(text)
    try:
        scanned = ini._scan(lines)
    except ini._Unparsable:
        return None  # a file only configparser reads: leave the section
    section = scanned.get(name)
    if section is None or section.options:
        return None
    end = min((s.header for s in scanned.values() if s.header > section.header), default=len(lines))
    if any(line.strip() for line in lines[section.header + 1 : end]):
        return None  # a comment: someone else's
    first = section.header
    if end == len(lines) and first > 0 and lines[first - 1] in ("\n", "\r\n", "\r"):
        first -= 1
    result = "".join(lines[:first] + lines[end:])
    expected = ini._as_dict(ini._parse(text, path), path)
    expected.pop(name, None)
    try:
        if ini._as_dict(ini._parse(result, path), path) != expected:
            return None
    except Exception:  # errors.py's MalformedFileError (see there): the section stays
        return None
    return result


def session_store(profile: str) -> SectionStore:
    """Where `auth` keeps the MFA session of `profile`: its section of the shared file."""
    return SectionStore(paths.shared_credentials_file(), profile)


class StaticStore:
    """Credentials read from a profile's settings; nothing is ever written here."""

    def __init__(self, values: dict[str, str], path: str) -> None:
        self.values = values
        self.path = path

    def __repr__(self) -> str:
        return f"keys of their own in {self.path}"

    def load(self) -> Credentials | None:
        return Credentials.from_ini(self.values)

    def prepare(self) -> None:

        pass

    def save(self, credentials: Credentials) -> None:

        from stscreds.errors import StscredsError

        raise StscredsError(f"stscreds does not write keys it does not manage ({self.path})")
