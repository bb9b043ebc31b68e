"""A login profile: `login_session = ARN`, made by `stscreds login` or AWS CLI v2's `aws login`.
Its credentials come from the AWS Sign-In token cache that AWS CLI v2 and botocore share
(signin.py), refreshed within 5 minutes of their end; stscreds keeps them in its own cache too,
so that the fast path serves them without reading JSON or loading any cryptography."""

from __future__ import annotations

from stscreds.credentials import RENEW_MARGIN_SECONDS
from stscreds.errors import NoInputError, UsageError
from stscreds.sources import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stscreds.credentials import Credentials
    from stscreds.resolve import Resolved
    from stscreds.sources import Renewer


class LoginSource(Source):
    """The credentials of one login session, for profile `profile`. Its lock is the login
    session's: profiles that name the same session take turns, and one of them refreshes."""

    kind = "login"
    # Login credentials last 15 minutes at most: a consumer's wish for more is met by what a
    # login gives, refreshed within 5 minutes of its end, as botocore refreshes it.
    renew_within = RENEW_MARGIN_SECONDS

    def __init__(self, resolved: Resolved) -> None:
        self.profile = resolved.profile
        self.session = resolved.settings["login_session"]
        self.region = resolved.settings.get("region") or None
        self.lock_name = resolved.lock_name
        self.store = resolved.store

    def __repr__(self) -> str:
        return f"login profile {self.profile!r}"

    @property
    def hint(self) -> str:
        from stscreds.sources.session import flag

        return f"stscreds login{flag(self.profile)}"

    def prepare(self, renewer: Renewer) -> None:
        from stscreds import signin

        if not signin.looks_like_session(self.session):
            raise UsageError(
                f"profile {self.profile!r}: login_session {self.session!r} is not a login session's ARN; "
                f"run `{self.hint}` to set it"
            )
        self.store.prepare()

    def fetch(self, renewer: Renewer) -> Credentials:
        """The cached login's credentials while they have more than 5 minutes left (another
        tool may have refreshed them), else refreshed; else a new sign-in on a terminal."""
        from stscreds import paths, signin

        token = signin.load_token(self.session)
        if token is None:
            return self._sign_in_again(renewer, f"there is no login for its session in {paths.login_cache_dir()}")
        try:
            return self._from(token, renewer)
        except signin.LoginExpiredError as error:
            reason = str(error)
        again = signin.load_token(self.session)  # refreshed by another tool (botocore, the AWS CLI) meanwhile?
        if again is not None and again.get("refreshToken") != token.get("refreshToken"):
            try:
                return self._from(again, renewer)
            except signin.LoginExpiredError as error:
                reason = str(error)
        return self._sign_in_again(renewer, reason)

    def _from(self, token: dict[str, Any], renewer: Renewer) -> Credentials:
        from stscreds import signin

        current = signin.token_credentials(token)
        if current is not None and current.outlives(signin.REFRESH_SECONDS, renewer.clock()):
            return current
        if not signin.refreshable(token):
            raise signin.LoginExpiredError("the cached login has no refresh token or key")
        refreshed = signin.refresh(self.session, token, self.profile, self.region, renewer.clock)
        signin.save_token(self.session, refreshed)
        credentials = signin.token_credentials(refreshed)
        assert credentials is not None  # made just now from a checked answer
        return credentials

    def _sign_in_again(self, renewer: Renewer, reason: str) -> Credentials:
        """On a terminal, the browser sign-in again; elsewhere, one line saying what to run."""
        from stscreds import signin

        ui = renewer.ui
        if not ui.interactive:
            raise NoInputError(
                f"profile {self.profile!r} needs a new sign-in ({reason}) and there is no terminal to sign in on: "
                f"run `{self.hint}`"
            )
        getattr(ui, "show", ui.say)(f"Profile {self.profile!r} needs a new sign-in: {reason}.")
        signed = signin.sign_in(ui, self.profile, self.region, clock=renewer.clock)
        signin.save_token(signed.session, signed.token)
        if signed.session != self.session:
            raise UsageError(
                f"you signed in as {signed.session}, but profile {self.profile!r} uses the login session "
                f"{self.session}: run `{self.hint}` to switch it"
            )
        credentials = signin.token_credentials(signed.token)
        assert credentials is not None
        return credentials
