"""stscreds' cache of role credentials: roles assumed with an MFA session, and IAM Identity
Center roles.

`~/.stscreds/cache` has one [profile] section per role profile, with the four keys the shared
credentials file uses, plus the profile's settings that the credentials were made from: keys
of a role whose `role_arn` has since changed in the config are not served. Not
`~/.aws/credentials`: for a profile with `role_arn` in the config, botocore assumes the role
itself and ignores keys there, and the user's file keeps only what `auth` writes.

The file is stscreds' own, so it is written whole (no byte-exact editing needed), under a lock,
so that renewals running in parallel, in threads or processes, lose no update. A file that does
not parse is treated as empty and replaced at the next write: it is only a cache.
"""

from __future__ import annotations

from stscreds import ini, paths
from stscreds.credentials import Credentials


def sections() -> dict[str, dict[str, str]]:
    """Every cached profile's values; {} when there is no cache (or only a broken one)."""
    try:
        parsed = ini.read(paths.cache_file()).sections
    except Exception as error:  # the class is errors.py's, not imported until needed (see there)
        from stscreds.errors import MalformedFileError, debug

        if not isinstance(error, MalformedFileError):
            raise
        debug(__name__, "ignoring a broken cache: %s", error)
        return {}
    return {name: {k: v for k, v in values.items() if isinstance(v, str)} for name, values in parsed.items()}


# Which login or MFA session the credentials were got with (a source's lock name): kept beside
# them, so that what was got with one identity is never served once the chain leads to another,
# and so that what derives from a session can be forgotten with it.
ROOT = "root"


class CacheStore:
    """The cached credentials of one role profile, valid only for the settings in `origin`
    (its role ARN, source profile...: "" for a setting that is not set) and got through
    `root` (the lock name of the session or login at the end of its chain)."""

    def __init__(self, profile: str, origin: dict[str, str], root: str) -> None:
        self.profile = profile
        self.origin = {**origin, ROOT: root}
        self.path = paths.cache_file()

    def __repr__(self) -> str:
        return f"[{self.profile}] of {self.path}"

    def load(self) -> Credentials | None:
        section = sections().get(self.profile)
        if not section or any(section.get(key, "") != value for key, value in self.origin.items()):
            return None
        return Credentials.from_ini(section)

    def prepare(self) -> None:
        """Before any call: the cache can be written, and the settings kept beside the
        credentials can be stored (a value continued onto an indented next line cannot: refused
        now, not once AWS has answered)."""
        from stscreds import atomic, ini_edit  # writers only: the fast path reads this module
        from stscreds.errors import UsageError

        for key, value in self.origin.items():
            if not value:
                continue
            try:
                ini_edit.check_value(key, value)
            except ValueError:
                problem = (
                    "is continued onto a next line (an indented line below it); write it on one line"
                    if "\n" in value or "\r" in value
                    else "holds what stscreds' cache cannot keep (bytes that are not text?); write it again"
                )
                raise UsageError(f"profile {self.profile!r}: {key} {problem}") from None
        atomic.check_writable(self.path, "cache")

    def save(self, credentials: Credentials) -> None:
        update({self.profile: {**credentials.as_ini(), **{k: v for k, v in self.origin.items() if v}}})


def update(changes: dict[str, dict[str, str] | None]) -> None:
    """Set (or, for None, remove) these profiles' sections in one atomic write."""
    from stscreds import atomic, ini_edit
    from stscreds.lock import SourceLock

    with SourceLock("file.cache", lambda message: None):
        current = sections()  # under the lock: what other renewals wrote meanwhile
        for name, values in changes.items():
            if values is None:
                current.pop(name, None)
            else:
                current[name] = values
        text = ini_edit.render(current)
        atomic.make_folders(paths.stscreds_dir(), enforce=True)
        path = paths.cache_file()
        atomic.write_file(path, text.encode(ini.file_encoding()))  # as ini.read decodes it
        ini.remember(path, text)


def remove(profiles: list[str]) -> list[str]:
    """Forget these profiles' cached credentials, in one write; the ones that were there."""
    cached = sections()
    present = [name for name in dict.fromkeys(profiles) if name in cached]
    if present:
        update(dict.fromkeys(present))
    return present


def derived_from(root: str) -> list[str]:
    """The profiles whose cached credentials were got through `root` (a source's lock name)."""
    return [name for name, values in sections().items() if values.get(ROOT) == root]
