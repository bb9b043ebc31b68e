"""A role profile: `role_arn`, assumed with sts:AssumeRole signed with the credentials of its
`source_profile` (another role, an MFA session, an IAM Identity Center role...: resolve.py
decides which, as botocore does), never with long-term keys. Kept in stscreds' cache, with
the settings they were made from."""

from __future__ import annotations

from stscreds.credentials import RENEW_MARGIN_SECONDS
from stscreds.errors import AwsError, MfaDeviceError, NoInputError, UsageError
from stscreds.sources import Source

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import AwsApi
    from stscreds.credentials import Credentials
    from stscreds.resolve import Resolved
    from stscreds.sources import Renewer, Root

# AWS limits a role assumed with session credentials (role chaining) to one hour.
MAX_CHAINED_ROLE_SECONDS = 3600
MIN_ROLE_SECONDS = 900
_SESSION_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")
# Settings that go into AWS's request as they are: a value continued onto a next line would
# be refused by AWS, or by the cache, only after a call.
_ONE_LINE_SETTINGS = ("role_arn", "role_session_name", "mfa_serial", "external_id", "source_profile")


class AssumeRoleSource(Source):
    """A role profile of the AWS config file, assumed with `parent`'s credentials."""

    kind = "role"

    def __init__(self, resolved: Resolved, parent: Source) -> None:
        self.profile = resolved.profile
        self.settings = resolved.settings
        self.parent = parent
        self.role_arn = self.settings["role_arn"]
        self.lock_name = resolved.lock_name
        self.store = resolved.store

    def __repr__(self) -> str:
        return f"role profile {self.profile!r}"

    def chain(self) -> list[Source]:
        return [self, *self.parent.chain()]

    def root(self) -> Root:
        return self.parent.root()

    # --- what the config says, checked before any lock, prompt or call ---------------------

    @property
    def duration_seconds(self) -> int:
        text = self.settings.get("duration_seconds", "")
        if not text:
            return MAX_CHAINED_ROLE_SECONDS
        if not (text.isascii() and text.isdigit() and len(text) < 10) or int(text) < MIN_ROLE_SECONDS:
            raise UsageError(
                f"profile {self.profile!r}: duration_seconds {text!r} must be a whole number of seconds, "
                f"{MIN_ROLE_SECONDS} or more"
            )
        return int(text)

    @property
    def mfa_serial(self) -> str | None:
        """The MFA device this role's chain names: the nearest mfa_serial on the way down."""
        for source in self.chain():
            if isinstance(source, AssumeRoleSource) and source.settings.get("mfa_serial"):
                return source.settings["mfa_serial"]
        return None

    def prepare(self, renewer: Renewer) -> None:
        for key in _ONE_LINE_SETTINGS:
            value = self.settings.get(key, "")
            if "\n" in value or "\r" in value:
                raise UsageError(
                    f"profile {self.profile!r}: {key} is continued onto a next line (an indented line below it); "
                    "write it on one line"
                )
        parts = self.role_arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise UsageError(
                f"profile {self.profile!r}: role_arn {self.role_arn!r} is not a role's ARN "
                "(arn:aws:iam::123456789012:role/NAME)"
            )
        self.duration_seconds  # noqa: B018 - refuses a bad value now, before any call
        self.parent.prepare(renewer)
        self.store.prepare()

    # --- assuming it ------------------------------------------------------------------------

    def fetch(self, renewer: Renewer) -> Credentials:
        try:
            parent = renewer.get_from(self.parent, RENEW_MARGIN_SECONDS)
        except NoInputError as error:
            raise NoInputError(f"profile {self.profile!r} is assumed from {self.parent!r}: {error}") from None
        self._check_mfa_device(renewer)
        api = renewer.make_api(
            parent.access_key_id,
            parent.secret_access_key,
            parent.session_token,
            self.chain()[-1].profile,
            region=self.settings.get("region") or None,
        )
        duration = self.duration_seconds
        if duration > MAX_CHAINED_ROLE_SECONDS:
            renewer.ui.say(
                f"Profile {self.profile!r}: duration_seconds {duration} is more than the hour AWS allows a role "
                f"assumed with session credentials; using {MAX_CHAINED_ROLE_SECONDS} s (it renews by itself)."
            )
            duration = MAX_CHAINED_ROLE_SECONDS
        try:
            return api.assume_role(
                self.role_arn, self._session_name(api), duration, self.settings.get("external_id") or None
            )
        except AwsError as error:
            if error.code != "AccessDenied":
                raise
            raise AwsError(
                f"profile {self.profile!r}: AWS refused to let you assume {self.role_arn} (AccessDenied): its trust "
                "policy does not allow this user, or asks for something this session lacks"
            ) from None

    def _check_mfa_device(self, renewer: Renewer) -> None:
        """A role that names an MFA device is assumed only with a session of that device's user."""
        from stscreds.sources.session import SessionTokenSource

        serial, root = self.mfa_serial, self.chain()[-1]
        if serial is None or not isinstance(root, SessionTokenSource):
            return
        devices = root.mfa_devices(renewer, renewer.get_from(root, RENEW_MARGIN_SECONDS))
        if serial not in devices:
            raise MfaDeviceError(
                f"profile {self.profile!r} names mfa_serial {serial}, which is not an MFA device of the user whose "
                f"session it would use (profile {root.profile!r}: {', '.join(devices) or 'none'}); fix mfa_serial"
            )

    def _session_name(self, api: AwsApi) -> str:
        """role_session_name, else the name of whoever signs (the IAM user), which CloudTrail
        then shows for the role."""
        from stscreds import keystore

        name = self.settings.get("role_session_name") or ""
        if not name:
            root = self.chain()[-1]
            arn = (keystore.settings(root.profile).get(keystore.USER_ARN) if root.kind == "session" else None) or (
                api.caller_arn()
            )
            name = arn.rpartition("/")[2]
        name = "".join(c if c in _SESSION_NAME_CHARACTERS else "-" for c in name)[:64]
        return name if len(name) >= 2 else f"stscreds-{name}"
