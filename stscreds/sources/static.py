"""Keys that a profile holds of its own and stscreds does not manage: written into the shared
credentials file (or the config file) by the user or by another tool (aws configure,
saml2aws...). botocore uses them as they are; so does stscreds, while temporary ones last. It
never renews them, and never signs with long-term ones: those it offers to take into its
key store instead."""

from __future__ import annotations

from stscreds.credentials import ACCESS_KEY_ID, SESSION_TOKEN, Credentials
from stscreds.errors import StscredsError, UsageError, mask
from stscreds.sources import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.sources import Renewer


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
        raise StscredsError(f"stscreds does not write keys it does not manage ({self.path})")


class StaticSource(Source):
    """A profile's own keys, from `path` (the shared credentials file, or the config file)."""

    kind = "static"

    def __init__(self, profile: str, values: dict[str, str], path: str) -> None:
        self.profile = profile
        self.lock_name = f"static.{profile}"
        self.store: StaticStore = StaticStore(values, path)
        self.long_term = not values.get(SESSION_TOKEN)

    def describe(self) -> dict[str, str]:
        return {"keys": "long-term" if self.long_term else "temporary"}

    def prepare(self, renewer: Renewer) -> None:
        if self.long_term:
            from stscreds.sources.session import flag

            key = mask(self.store.values.get(ACCESS_KEY_ID, ""))
            raise UsageError(
                f"profile {self.profile!r} holds long-term keys ({key}) in {self.store.path} that stscreds does not "
                f"manage and never signs with: keep them in stscreds with `stscreds init --import{flag(self.profile)}`"
            )

    def fetch(self, renewer: Renewer) -> Credentials:
        from stscreds.sources.session import flag

        current = self.store.load()
        when = f"that ended at {current.expiration_text}" if current else "with no end time stscreds can read"
        raise StscredsError(
            f"profile {self.profile!r} holds temporary keys {when} in {self.store.path}, not stscreds': renew them "
            f"with the tool that wrote them, or run `stscreds init{flag(self.profile)}` first to have stscreds do it"
        )
