"""Sources of credentials, behind one interface; one module per kind.

A source knows how to get one profile's credentials and where they are kept (its store); the
broker (broker.py) decides when to get them, and resolve.py what a profile name stands for
(a `Resolved`, from which `build` makes one of these). Each source has a lock name: renewals
of one source take turns, across processes.

- `session.SessionTokenSource`: sts:GetSessionToken with a stscreds profile's long-term keys
  and an MFA code; kept in the profile's section of the shared credentials file.
- `role.AssumeRoleSource`: sts:AssumeRole signed with the credentials of the profile's
  `source_profile` (another source, renewed first if need be); kept in stscreds' cache.
- `sso.SsoSource`: sso:GetRoleCredentials with the IAM Identity Center login; kept in
  stscreds' cache.
- `login.LoginSource`: a login profile's (`login_session`, `stscreds login` or `aws login`):
  the AWS Sign-In token cache AWS CLI v2 and botocore share, refreshed with
  signin:CreateOAuth2Token; kept in stscreds' cache.
- `static.StaticSource`: credentials another tool wrote into a profile; served while they
  last, never renewed.

Importing a source module is cheap (the fast path resolves a profile to find its store);
what fetching needs is imported when it fetches.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from stscreds.aws import ApiFactory
    from stscreds.credentials import Credentials, Store
    from stscreds.prompts import UI, MfaPrompter
    from stscreds.resolve import Resolved

    Clock = Callable[[], float]  # seconds since the epoch, like time.time

    class Renewer(Protocol):
        """What a source may use while it fetches: the broker (broker.py), seen from below."""

        ui: UI
        clock: Clock

        @property
        def make_api(self) -> ApiFactory: ...

        def mfa_for(self, profile: str) -> MfaPrompter: ...

        def get_from(
            self, source: Source, min_seconds: float = ..., fallback_seconds: float | None = None
        ) -> Credentials: ...

    class Root(Protocol):
        """What a source rests on and may need a person for (see Source.root)."""

        lock_name: str

        def make_ready(self, renewer: Renewer, min_seconds: float) -> None: ...


class Source:
    """One way of getting credentials for one profile."""

    profile: str
    kind: str  # what `status` and `list` call it: "session", "role", "sso", "login", "static"
    lock_name: str  # renewals of one source take turns under this lock
    store: Store
    # Said before a renewal the person did not ask for (an expired session, not `auth`);
    # None for sources that renew silently.
    renewal_notice: str | None = None
    # Seconds before their end within which the credentials are renewed whatever margin a
    # consumer asks for (a login's last 15 minutes at most); None: the consumer's margin.
    renew_within: float | None = None

    def __repr__(self) -> str:
        return f"{self.kind} profile {self.profile!r}"

    def prepare(self, renewer: Renewer) -> None:
        """Everything that can be checked before a lock, a prompt or a call to AWS."""
        self.store.prepare()

    def fetch(self, renewer: Renewer) -> Credentials:
        raise NotImplementedError

    def saved(self, renewer: Renewer, credentials: Credentials) -> None:
        """Bookkeeping after the credentials are stored; must not fail."""

    def root(self) -> Root:
        """What this source rests on and may need a person for: the MFA session at the end of a
        role's chain, an IAM Identity Center login. `Broker.get_many` makes it ready first."""
        return self

    def make_ready(self, renewer: Renewer, min_seconds: float) -> None:
        renewer.get_from(self, min_seconds)

    def chain(self) -> list[Source]:
        """This source and those it rests on, down to its root's source."""
        return [self]


def build(resolved: Resolved) -> Source:
    """The source that fetches the credentials `resolved` stands for: one branch per kind,
    each kind's module imported only when it is needed."""
    if resolved.kind == "session":
        from stscreds.sources.session import SessionTokenSource

        return SessionTokenSource(resolved.profile, mfa_serial=resolved.mfa_serial)
    if resolved.kind == "role":
        from stscreds.sources.role import AssumeRoleSource

        assert resolved.parent is not None
        return AssumeRoleSource(resolved, build(resolved.parent))
    if resolved.kind == "sso":
        from stscreds.sources.sso import SsoSource

        return SsoSource(resolved)
    if resolved.kind == "login":
        from stscreds.sources.login import LoginSource

        return LoginSource(resolved)
    from stscreds.sources.static import StaticSource

    return StaticSource(resolved)
