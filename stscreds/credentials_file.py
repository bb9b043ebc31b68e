"""The shared credentials file (`~/.aws/credentials`): where a profile's MFA session lives.

The file belongs to the user and to every other AWS tool. A session is four keys in the
profile's section, written with the byte-exact editor, so that nothing else in the file
changes; `prepare` runs before any MFA prompt and fails if the write could not happen (a
file botocore would read differently after the edit, something that is not a regular file, a
read-only folder), so that no code is spent on a command that cannot finish.
"""

from __future__ import annotations

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
        # Read again under the file's lock: it may have changed while we prompted.
        ini_edit.edit_file(self.path, {self.section: credentials.as_ini()}, self.what, self.variable)

    def forget(self) -> bool:
        """Remove the four keys a session is (every other byte kept); whether they were there."""
        from stscreds import ini_edit  # writers only: not the fast path
        from stscreds.credentials import INI_KEYS

        section = ini.read(self.path).sections.get(self.section) or {}
        if not any(key in section for key in INI_KEYS):
            return False
        self._refuse_the_key_store()
        ini_edit.edit_file(self.path, {self.section: dict.fromkeys(INI_KEYS)}, self.what, self.variable)
        return True

    def _refuse_the_key_store(self) -> None:
        paths.check_apart()


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
