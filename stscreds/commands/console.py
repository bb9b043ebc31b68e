"""`stscreds console`: a link that signs a browser in to the AWS Management Console as a profile.

The credentials come through the broker (renewed if need be, one prompt at most), then the
federation endpoint's getSigninToken (federation.py). Only role sessions (a role profile, an IAM
Identity Center role, keys of another tool's that are a role's) may sign in to the console: an
MFA session from sts:GetSessionToken cannot (AWS's "Compare AWS STS credentials": "SSO to console
is not allowed"), and neither can long-term keys; both are said in one line before any call.
A login profile (stscreds login) is decided by its login session's ARN, before any call: a role
session's (a federated identity's login) may sign in; an IAM user's or the root user's is
refused as their other sessions are (AWS documents nothing about login credentials here).

How long the console session lasts: as long as the credentials it is made from (SessionDuration
is never sent, see federation.py). So `--duration D` means "the console must last at least D":
credentials with less than D left are renewed first (a role is assumed again, an IAM Identity
Center role fetched again), and a D that fresh credentials cannot reach is refused: before any
call for a role (AWS gives a role assumed with temporary credentials, as stscreds assumes every
role, one hour at most), after the fetch for the others (an IAM Identity Center permission
set's session duration is not known beforehand). Without --duration, credentials with less
than 15 minutes left (the link's own life) are renewed. A login's credentials last 15 minutes
at most and are refreshed within 5 minutes of their end (as botocore refreshes them): its
console lasts what they have left, and --duration is refused before any call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from stscreds import federation
from stscreds.broker import Broker
from stscreds.config import load_config
from stscreds.credentials import RENEW_MARGIN_SECONDS, Credentials, format_timestamp
from stscreds.errors import StscredsError, UsageError
from stscreds.resolve import Resolved, Resolver, stored
from stscreds.sources.role import MAX_CHAINED_ROLE_SECONDS

# Without --duration: at least the life of the link itself.
DEFAULT_MIN_SECONDS = federation.LINK_SECONDS
MIN_SECONDS = 15 * 60
MAX_SECONDS = 12 * 3600  # the longest console session AWS offers (SessionDuration's 43200 s)


@dataclass(frozen=True)
class ConsoleLink:
    """The sign-in link (a secret for 15 minutes: its repr leaves it out) and what it signs in as."""

    url: str = field(repr=False)
    profile: str
    kind: str  # of the profile it stands for: role, sso, login, static
    destination: str
    ends_at: float  # when the console session ends: when the credentials do

    @property
    def ends_text(self) -> str:
        return format_timestamp(self.ends_at)


def parse_duration(text: str) -> int:
    """--duration: auth's forms (1h, 90m, 3600s), 15 minutes to 12 hours."""
    from stscreds.commands.auth import parse_duration as seconds_of

    seconds = seconds_of(text)
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise UsageError(f"--duration {text!r} is {seconds} s; a console session lasts 15m to 12h")
    return seconds


def console_link(
    profile: str,
    broker: Broker,
    destination: str | None = None,
    duration_seconds: int | None = None,
    environ: dict[str, str] | None = None,
) -> ConsoleLink:
    """The link for `profile`, its credentials renewed first if they would not last
    `duration_seconds` (default: 15 minutes). Every mistake is refused before any prompt or call."""
    environ = dict(os.environ) if environ is None else environ
    config = load_config()
    resolver = Resolver(config)
    resolved = resolver.resolve(profile)
    known_to_federate = _check_kind(profile, resolved, resolver.aliases)
    # The region as botocore reads it for this profile: the variable, else the profile's own.
    region = environ.get("AWS_DEFAULT_REGION") or config.settings(profile).get("region") or None
    # Its partition: the region's, else (no region) the IAM Identity Center region's or the destination's.
    hint = region or (resolved.settings.get("sso_region") if resolved.kind == "sso" else None)
    name = federation.partition(hint)
    if destination is not None:
        target = federation.partition_of_console(destination)
        if target is None:
            raise UsageError(
                f"--destination {destination[:80]!r} is not a page of the AWS console "
                "(https://console.aws.amazon.com/..., or a region's: https://eu-west-1.console.aws.amazon.com/...)"
            )
        if hint is None:
            name = target
        elif target != name:
            raise UsageError(f"--destination is a console of partition {target}, but profile {profile!r} is in {name}")
    url = federation.endpoint(name, environ)
    where = destination or federation.console_home(name, region)
    wanted_seconds = duration_seconds or DEFAULT_MIN_SECONDS
    if resolved.kind == "login":
        if duration_seconds is not None:
            raise UsageError(
                f"--duration: profile {profile!r} is a login profile, whose credentials last 15 minutes at most, and "
                "a console session lasts as long as its credentials: leave --duration out"
            )
        wanted_seconds = RENEW_MARGIN_SECONDS  # what a login keeps: it is refreshed within 5 minutes of its end
    if resolved.kind == "role" and wanted_seconds > MAX_CHAINED_ROLE_SECONDS:
        raise UsageError(
            f"--duration asks for more than an hour, but profile {profile!r} is a role assumed with temporary "
            "credentials, which AWS lets last an hour at most, and a console session lasts as long as its credentials"
        )
    credentials = broker.get(profile, wanted_seconds)
    if not credentials.outlives(wanted_seconds - 60, broker.clock()):  # a fresh fetch may be a few seconds short
        raise StscredsError(
            f"the credentials of profile {profile!r} last only until {credentials.expiration_text}, and a console "
            "session lasts as long as its credentials: ask for a shorter --duration"
        )
    if not known_to_federate:
        _check_static(profile, credentials, broker)
    verify: str | bool = environ.get("AWS_CA_BUNDLE") or config.settings(profile).get("ca_bundle") or True
    try:
        token = federation.signin_token(credentials, url, verify=verify)
    except federation.FederationRefusedError as error:
        raise federation.FederationRefusedError(f"profile {profile!r}: {error}") from None
    return ConsoleLink(federation.login_url(url, token, where), profile, resolved.kind, where, credentials.expires_at)


def _check_kind(profile: str, resolved: Resolved, aliases: list[str]) -> bool:
    """A stscreds profile's MFA session cannot sign in to the console: said before any prompt
    or call, with the way out (a role profile on it), and so is a login of an IAM user or the root
    user. True for the kinds that may (a role, an IAM Identity Center role, a login of a role
    session); False for keys of another tool's, which may when they are a
    role's: a session in the shape `auth` writes is another tool's unless stscreds keeps keys
    for the profile (saml2aws writes x_security_token_expires too)."""
    if resolved.kind in ("role", "sso"):
        return True
    stands = f" (which stands for {resolved.profile!r})" if aliases else ""
    if resolved.kind == "login":
        arn = resolved.settings["login_session"]
        if ":assumed-role/" in arn or ":federated-user/" in arn:
            return True
        raise UsageError(
            f"profile {profile!r}{stands} is a login of {arn}, not of a role, and AWS lets only role and federated "
            "sessions sign in to the console: sign in to the console in your browser, or add a role profile on it "
            f"([profile NAME] with role_arn = arn:aws:iam::ACCOUNT:role/ROLE and source_profile = {resolved.profile}) "
            "and run `stscreds console --profile NAME`"
        )
    if resolved.kind != "session" or not stored(resolved.profile):
        return False
    raise UsageError(
        f"profile {profile!r}{stands} is an MFA session (sts:GetSessionToken), and AWS lets only role and federated "
        "sessions sign in to the console: add a role profile on it ([profile NAME] with role_arn = "
        f"arn:aws:iam::ACCOUNT:role/ROLE and source_profile = {resolved.profile}) and run "
        "`stscreds console --profile NAME`"
    )


def _check_static(profile: str, credentials: Credentials, broker: Broker) -> None:
    """Keys another tool wrote: temporary ones of a role (or a federated user) may sign in;
    those of an IAM user's session may not. sts:GetCallerIdentity says which (as aws-vault asks)."""
    api = broker.make_api(credentials.access_key_id, credentials.secret_access_key, credentials.session_token, profile)
    arn = api.caller_arn()
    if ":assumed-role/" in arn or ":federated-user/" in arn:
        return
    raise UsageError(
        f"profile {profile!r} holds the temporary keys of {arn}, not of a role, and AWS lets only role and "
        "federated sessions sign in to the console: use a role profile on it (role_arn and "
        f"source_profile = {profile})"
    )
