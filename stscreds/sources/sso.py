"""An IAM Identity Center role: a profile naming `sso_account_id` and `sso_role_name`, and an
sso-session (or, the legacy form, a start URL and region) to log in to. Credentials come
from sso:GetRoleCredentials with the login's token and are kept in stscreds' cache."""

from __future__ import annotations

from stscreds.errors import NoInputError, UsageError
from stscreds.sources import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.credentials import Credentials
    from stscreds.resolve import Resolved
    from stscreds.sources import Renewer
    from stscreds.sso import SsoSession


class SsoSource(Source):
    """Role credentials of an IAM Identity Center profile."""

    kind = "sso"

    def __init__(self, resolved: Resolved) -> None:
        self.profile = resolved.profile
        self.sso = resolved.settings
        self.lock_name = resolved.lock_name
        self.store = resolved.store

    def __repr__(self) -> str:
        return f"IAM Identity Center profile {self.profile!r}"

    @property
    def session(self) -> SsoSession:
        from stscreds import sso
        from stscreds.config import load_config

        return sso.session_for(self.sso, load_config().sso_sessions, self.profile)

    def prepare(self, renewer: Renewer) -> None:
        self.session  # noqa: B018 - an unknown sso-session or a missing start URL, now
        missing = [key for key in ("sso_account_id", "sso_role_name") if not self.sso[key]]
        if missing:
            raise UsageError(f"profile {self.profile!r} has no {' or '.join(missing)}")
        self.store.prepare()

    def root(self) -> SsoLogin:
        return SsoLogin(self.session, f"stscreds sso login --profile {self.profile}")

    def fetch(self, renewer: Renewer) -> Credentials:
        from stscreds import sso

        login = self.root()
        account, role = self.sso["sso_account_id"], self.sso["sso_role_name"]
        token = login.token(renewer)
        try:
            return sso.role_credentials(self.session, token, account, role)
        except sso.SsoError as error:
            if error.code == "ForbiddenException":
                raise sso.SsoError(
                    f"profile {self.profile!r}: IAM Identity Center does not let you use role {role} in account "
                    f"{account} (ForbiddenException): you are not assigned to it"
                ) from None
            if error.code != "UnauthorizedException":
                raise
        # The portal no longer takes the login (signed out elsewhere, say): sign in anew.
        token = login.token(renewer, fresh=True)
        return sso.role_credentials(self.session, token, account, role)


class SsoLogin:
    """An IAM Identity Center login: one at a time per sso-session, under its own lock."""

    def __init__(self, session: SsoSession, hint: str, open_browser: bool = True) -> None:
        self.session = session
        self.hint = hint
        self.open_browser = open_browser
        from stscreds.resolve import lock_name  # resolve builds sources: no import of it at the top

        self.lock_name = lock_name("sso-session", session.label)

    def token(self, renewer: Renewer, fresh: bool = False) -> str:
        from stscreds import sso
        from stscreds.lock import SourceLock

        ui = renewer.ui
        login = sso.Login(
            say=getattr(ui, "show", ui.say),
            can_ask=ui.interactive,
            open_browser=self.open_browser,
            clock=renewer.clock,
        )
        with SourceLock(self.lock_name, ui.say):
            if fresh:
                if not login.can_ask:
                    raise NoInputError(f"IAM Identity Center no longer accepts the login: run `{self.hint}`")
                return sso.device_login(self.session, login)
            return sso.valid_token(self.session, login, self.hint)

    def make_ready(self, renewer: Renewer, min_seconds: float) -> None:
        self.token(renewer)
