"""Keys that a profile holds of its own and stscreds does not manage: written into the shared
credentials file (or the config file) by the user or by another tool (aws configure,
saml2aws...). botocore uses them as they are; so does stscreds, while temporary ones last. It
never renews them, and never signs with long-term ones: those it offers to take into its
key store instead."""

from __future__ import annotations

from stscreds.credentials import ACCESS_KEY_ID, SESSION_TOKEN, mask
from stscreds.errors import StscredsError, UsageError
from stscreds.sources import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.credentials import Credentials
    from stscreds.credentials_file import StaticStore
    from stscreds.resolve import Resolved
    from stscreds.sources import Renewer


class StaticSource(Source):
    """A profile's own keys, from `path` (the shared credentials file, or the config file)."""

    kind = "static"

    def __init__(self, resolved: Resolved) -> None:
        self.profile = resolved.profile
        self.lock_name = resolved.lock_name
        self.store: StaticStore = resolved.store  # type: ignore[assignment]
        self.long_term = not resolved.settings.get(SESSION_TOKEN)

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
