"""The AWS calls stscreds makes, and what their failures mean to a user.

Clients are made the way botocore makes them for any SDK user: region, endpoint
(`AWS_ENDPOINT_URL`...), retry mode and attempts come from the environment and
`AWS_CONFIG_FILE`. Only the credentials are ours (the long-term pair, or a session), and the
timeouts are short, so a dead network fails in seconds rather than minutes.

An answer that does not parse as AWS's (a captive portal, a truncated body, a proxy's error
page) is reported in one line without its body: a half-read GetSessionToken answer holds the
new session's secret.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import botocore.exceptions
import botocore.session
from botocore.config import Config
from botocore.configprovider import ConstantProvider
from botocore.parsers import ResponseParserError

from stscreds import ini, paths
from stscreds.credentials import Credentials, mask
from stscreds.errors import (
    AwsError,
    AwsUnreachableError,
    KeysRejectedError,
    MfaCodeRejectedError,
    NotAwsAnswerError,
    UsageError,
)
from stscreds.version import VERSION

FALLBACK_REGION = "us-east-1"  # a new user often has no region configured

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Timeouts:
    """How long to wait for AWS. botocore's own defaults (60 s to connect, 60 s to read, 5
    attempts) leave a shell hanging for minutes on a dead network. IAM and STS answer in well
    under a second; 3 attempts let a throttled or failed call be retried twice."""

    connect: float = 2.0
    read: float = 4.0
    attempts: int = 3  # used only when the user has not set max_attempts themselves

    @property
    def _backoff(self) -> float:
        return sum(2.0**n for n in range(self.attempts - 1))  # botocore waits up to 1 s, then 2 s

    @property
    def silent_server_seconds(self) -> float:
        """The longest wait for a server that accepts the connection and never answers."""
        return self.attempts * self.read + self._backoff

    @property
    def unreachable_seconds(self) -> float:
        """The longest wait when no connection can be made at all."""
        return self.attempts * self.connect + self._backoff


@dataclass(frozen=True)
class User:
    name: str
    arn: str


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    status: str
    created: str  # 2026-11-23T19:41:57Z, "" when AWS did not say


def _instant(moment: Any) -> str:
    from stscreds.credentials import format_timestamp

    return format_timestamp(moment.timestamp()) if hasattr(moment, "timestamp") else ""


# botocore sessions, one per profile whose settings are used and per state of the files and
# variables they are read from. A session is slow to make (~50 ms: it loads its data files)
# and a client made from one is fast (~2 ms), which matters when 100 roles are assumed at
# once. Sessions are not thread-safe: clients are made under the lock; clients themselves are.
_sessions: dict[tuple[object, ...], botocore.session.Session] = {}
_sessions_lock = threading.Lock()
# botocore's data files (endpoints, service models), parsed once per data path and shared by the
# sessions: `auth` makes a second session once it has written the file, and parsing IAM's
# model and the endpoints again cost it ~0.2 s. They are botocore's own files, not settings.
_loaders: dict[object, object] = {}


def _share_data_loader(session: botocore.session.Session) -> None:
    data_path = session.get_config_variable("data_path")
    loader = _loaders.get(data_path)
    if loader is None:
        _loaders[data_path] = session.get_component("data_loader")
    else:
        session.register_component("data_loader", loader)


def _file_identity(path: str) -> tuple[int, ...]:
    try:
        return ini.file_identity(os.stat(path))
    except OSError:
        return ()


def _session_for(profile: str) -> botocore.session.Session:
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("AWS_")))
    files = (_file_identity(paths.config_file()), _file_identity(paths.shared_credentials_file()))
    key = (profile, environment, files)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = botocore.session.Session()
            # The profile's [profile P] settings in ~/.aws/config (region, endpoint, retries)
            # apply when it exists, else [default]'s. Set whatever AWS_PROFILE says: it may
            # name a profile that does not exist (yet), and we sign with explicit keys anyway.
            # (set_config_variable(None) would fall back to AWS_PROFILE.)
            chosen = profile if profile in session.available_profiles else None
            session.get_component("config_store").set_config_provider("profile", ConstantProvider(chosen))
            _share_data_loader(session)
            _sessions[key] = session
        return session


def make_client(
    service: str,
    *,
    profile: str = "default",
    region: str | None = None,
    credentials: dict[str, str | None] | None = None,
    timeouts: Timeouts = Timeouts(),
    single_attempt: bool = False,
) -> Any:
    """A botocore client as stscreds makes every one: the profile's endpoint and retry settings,
    stscreds' short timeouts and user agent, and `credentials` (aws_access_key_id...), or
    unsigned when None (IAM Identity Center and AWS Sign-In take a token instead). The region
    is `region`, else the profile's as botocore reads it (AWS_DEFAULT_REGION first), else
    us-east-1. `single_attempt`: never retried, whatever max_attempts says, for a call that
    creates something (a retry after a lost answer would create it twice)."""
    from botocore import UNSIGNED

    with calling("reading the AWS configuration"):
        session = _session_for(profile)
        retries: dict[str, Any] = {}
        if single_attempt:
            retries["total_max_attempts"] = 1  # botocore lets an explicit total win over the settings
        elif _config_number(session, "max_attempts", "AWS_MAX_ATTEMPTS") is None:
            retries["total_max_attempts"] = timeouts.attempts
        config = Config(
            connect_timeout=timeouts.connect,
            read_timeout=timeouts.read,
            retries=retries or None,
            user_agent_extra=f"stscreds/{VERSION}",
            **({} if credentials is not None else {"signature_version": UNSIGNED}),
        )
        region = region or session.get_config_variable("region") or FALLBACK_REGION
        try:
            with _sessions_lock:
                client = session.create_client(service, region_name=region, config=config, **(credentials or {}))
        except ValueError as error:  # botocore's "Invalid endpoint: notaurl"
            raise UsageError(
                f"{error}: check AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_{service.upper().replace('-', '_')} "
                "and endpoint_url in the AWS config file"
            ) from None
    # --debug: one line per attempt at each call (each client has its own copy of the hooks)
    client.meta.events.register("before-send", _sending)
    client.meta.events.register("response-received", _answered)
    return client


# --- what --debug shows of each call: service, operation, endpoint, status, time -------------

_attempt = threading.local()  # botocore sends each attempt in the thread that made the call


def _sending(request: Any, **_: Any) -> None:
    _attempt.started = time.monotonic()
    _attempt.url = str(getattr(request, "url", ""))


def _answered(
    event_name: str,
    response_dict: Any = None,
    parsed_response: Any = None,
    context: Any = None,
    exception: BaseException | None = None,
    **_: Any,
) -> None:
    """One line for each answer (or failure to get one): `sts AssumeRole
    https://sts.amazonaws.com/ -> 200 in 0.084 s`. No header, body or query string: the
    endpoint is the URL up to its path."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    service, operation = [*event_name.split(".", 2), "", ""][1:3]
    started = getattr(_attempt, "started", None)
    took = f" in {time.monotonic() - started:.3f} s" if started is not None else ""
    endpoint = getattr(_attempt, "url", "").partition("?")[0]
    if exception is not None:
        outcome = type(exception).__name__
    else:
        status = (response_dict or {}).get("status_code", "?")
        error = ((parsed_response or {}).get("Error") or {}).get("Code")
        outcome = f"{status} {error}" if error and error != str(status) else str(status)
    attempt = ((context or {}).get("retries") or {}).get("attempt", 1)
    again = f" (attempt {attempt})" if isinstance(attempt, int) and attempt > 1 else ""
    log.debug("%s %s %s -> %s%s%s", service, operation, endpoint, outcome, took, again)


@contextmanager
def calling(
    action: str,
    client: Any = None,
    access_key_id: str | None = None,
    error_class: type[AwsError] = AwsError,
    service: str = "AWS",
) -> Iterator[None]:
    """Turn botocore's exceptions into one-line StscredsErrors without secrets: the one place
    that says what a failed call to AWS means. `access_key_id` names the key that signed;
    `service` is what a person calls the other end."""
    try:
        yield
    except botocore.exceptions.ClientError as error:
        raise _client_error(action, error, access_key_id, error_class, client) from None
    except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as error:
        raise AwsUnreachableError(f"could not reach {service} for {action}: {error}") from None
    except botocore.exceptions.ProfileNotFound as error:
        raise AwsError(f"{error} (check AWS_PROFILE and AWS_CONFIG_FILE)") from None
    except ResponseParserError:
        raise _not_aws(action, client) from None  # its text holds the body: never shown
    except botocore.exceptions.BotoCoreError as error:
        raise error_class(f"{action} failed: {error}") from None
    except (KeyError, TypeError, AttributeError) as error:
        # botocore's parser, or we, found no expected field: a 200 that is not AWS's.
        log.debug("%s: unexpected answer (%s)", action, type(error).__name__)
        raise _not_aws(action, client) from None


def _client_error(
    action: str,
    error: botocore.exceptions.ClientError,
    access_key_id: str | None,
    error_class: type[AwsError],
    client: Any = None,
) -> AwsError:
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    message = details.get("Message", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if access_key_id is not None:
        key = mask(access_key_id)
        if code == "InvalidClientTokenId":
            return KeysRejectedError(
                f"AWS does not recognise access key {key} (InvalidClientTokenId): check it, or run `stscreds init`"
            )
        if code == "SignatureDoesNotMatch":
            return KeysRejectedError(
                f"the secret access key stored for {key} is wrong (SignatureDoesNotMatch): run `stscreds init` again"
            )
    if action == "sts:GetSessionToken" and code == "AccessDenied":
        return MfaCodeRejectedError(
            f"AWS rejected the MFA code (AccessDenied: {message}); wait for the next code and try again"
        )
    if code.isdigit() or (code == "Unknown" and not message):
        # botocore found no AWS error in the body and named it after the HTTP status: a
        # proxy's 403 or 407 page, a captive portal's; never shown, it may be anything.
        return _not_aws(action, client)
    suffix = f": {message}" if message else ""
    failure = error_class(f"{action} failed with {code} (HTTP {status}){suffix}")
    failure.code = code
    return failure


class AwsApi:
    """The AWS calls of stscreds, signed with one set of credentials: a long-term pair
    (`session_token` None) or temporary credentials. Region, endpoint and retries are the
    profile's (or `region`, when given)."""

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None = None,
        profile: str = "default",
        timeouts: Timeouts = Timeouts(),
        region: str | None = None,
    ) -> None:
        self._access_key_id = access_key_id
        self._credentials: dict[str, str | None] = {
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "aws_session_token": session_token,
        }
        self._profile = profile
        self._timeouts = timeouts
        self._region = region
        self._clients: dict[str, Any] = {}
        log.debug(
            "signing as %s, profile %s, timeouts %g s connect / %g s read",
            mask(access_key_id),
            profile,
            timeouts.connect,
            timeouts.read,
        )

    def _client(self, service: str, single_attempt: bool = False) -> Any:
        name = f"{service} once" if single_attempt else service
        client = self._clients.get(name)
        if client is None:
            client = make_client(
                service,
                profile=self._profile,
                # AWS_DEFAULT_REGION wins over a role profile's region too, as in botocore.
                region=_environment_region() or self._region,
                credentials=self._credentials,
                timeouts=self._timeouts,
                single_attempt=single_attempt,
            )
            self._clients[name] = client
        return client

    @contextmanager
    def _translate_errors(self, action: str, client: Any = None) -> Iterator[None]:
        with calling(action, client, self._access_key_id):
            yield

    def current_user(self) -> User:
        iam = self._client("iam")
        with self._translate_errors("iam:GetUser", iam):
            user = iam.get_user()["User"]
            return User(name=user.get("UserName", ""), arn=user["Arn"])

    def mfa_serials(self, user_name: str) -> list[str]:
        iam = self._client("iam")
        with self._translate_errors("iam:ListMFADevices", iam):
            pages = iam.get_paginator("list_mfa_devices").paginate(UserName=user_name)
            return [device["SerialNumber"] for page in pages for device in page["MFADevices"]]

    def session_token(self, duration_seconds: int, serial: str, code: str) -> Credentials:
        sts = self._client("sts")
        with self._translate_errors("sts:GetSessionToken", sts):
            answer = sts.get_session_token(DurationSeconds=duration_seconds, SerialNumber=serial, TokenCode=code)
            return _credentials(answer["Credentials"])

    def assume_role(
        self, role_arn: str, session_name: str, duration_seconds: int, external_id: str | None = None
    ) -> Credentials:
        sts = self._client("sts")
        extra = {"ExternalId": external_id} if external_id else {}
        with self._translate_errors("sts:AssumeRole", sts):
            answer = sts.assume_role(
                RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration_seconds, **extra
            )
            return _credentials(answer["Credentials"])

    def access_keys(self, user_name: str) -> list[AccessKey]:
        iam = self._client("iam")
        with self._translate_errors("iam:ListAccessKeys", iam):
            pages = iam.get_paginator("list_access_keys").paginate(UserName=user_name)
            return [
                AccessKey(key["AccessKeyId"], key.get("Status", ""), _instant(key.get("CreateDate")))
                for page in pages
                for key in page["AccessKeyMetadata"]
            ]

    def create_access_key(self, user_name: str) -> tuple[AccessKey, str]:
        """A new key of the user's, and its secret. Asked once, never retried: when the answer
        is lost (a timeout, a dropped connection, a 5xx, an answer not AWS's), IAM may have made
        the key all the same, and AnswerLostError says so; the caller looks and reconciles."""
        iam = self._client("iam", single_attempt=True)
        try:
            with self._translate_errors("iam:CreateAccessKey", iam):
                key = iam.create_access_key(UserName=user_name)["AccessKey"]
                made = AccessKey(key["AccessKeyId"], key["Status"], _instant(key.get("CreateDate")))
                return made, key["SecretAccessKey"]
        except AwsError as error:
            # calling() raised it while handling botocore's exception, which is its __context__.
            if _may_have_been_done(error.__context__):
                raise AnswerLostError(str(error).removesuffix("; nothing was written")) from None
            raise

    def set_access_key_status(self, user_name: str, access_key_id: str, status: str) -> None:
        """iam:UpdateAccessKey: "Inactive" stops the key working, "Active" undoes it."""
        iam = self._client("iam")
        with self._translate_errors("iam:UpdateAccessKey", iam):
            iam.update_access_key(UserName=user_name, AccessKeyId=access_key_id, Status=status)

    def delete_access_key(self, user_name: str, access_key_id: str) -> None:
        iam = self._client("iam")
        with self._translate_errors("iam:DeleteAccessKey", iam):
            iam.delete_access_key(UserName=user_name, AccessKeyId=access_key_id)

    def caller_arn(self) -> str:
        sts = self._client("sts")
        with self._translate_errors("sts:GetCallerIdentity", sts):
            return str(sts.get_caller_identity()["Arn"])


class AnswerLostError(AwsError):
    """A call that changes something went out, and no answer came back that says whether it
    was carried out."""


# Failures that happen before a request leaves: nothing was sent, so nothing was done.
_NOT_SENT = (
    botocore.exceptions.EndpointConnectionError,  # ConnectTimeoutError among them
    botocore.exceptions.ProxyConnectionError,
    botocore.exceptions.SSLError,
)


def _may_have_been_done(error: BaseException | None) -> bool:
    """Whether the call that failed with botocore's `error` may have been carried out all the
    same: its request may have reached AWS, and no answer of AWS's says it was refused."""
    if isinstance(error, _NOT_SENT):
        return False
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "Unknown")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        # A 5xx, or a page that is not AWS's (a proxy's, a portal's): no word from AWS on it.
        return status >= 500 or code.isdigit() or (code == "Unknown" and not details.get("Message"))
    return isinstance(
        error,
        (
            botocore.exceptions.ConnectionError,
            botocore.exceptions.HTTPClientError,  # a read timeout, a connection closed mid-answer
            ResponseParserError,
            KeyError,
            TypeError,
            AttributeError,
        ),
    )


def _credentials(answer: dict[str, Any]) -> Credentials:
    values = [answer[name] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    expiration = answer["Expiration"]
    if not all(isinstance(value, str) and value for value in values) or not hasattr(expiration, "tzinfo"):
        raise KeyError("Credentials")
    return Credentials(values[0], values[1], values[2], expiration)


def _not_aws(action: str, client: Any) -> NotAwsAnswerError:
    where = getattr(getattr(client, "meta", None), "endpoint_url", None) or "the endpoint"
    return NotAwsAnswerError(
        f"{where} did not answer {action} like AWS (a proxy, a captive portal or a cut-off answer?); "
        "nothing was written"
    )


def _config_number(session: botocore.session.Session, name: str, variable: str) -> int | None:
    try:
        value = session.get_config_variable(name)
    except ValueError:
        raise UsageError(f"{variable} (or {name} in the AWS config file) must be a whole number") from None
    return None if value is None else int(value)


def _environment_region() -> str | None:
    """AWS_DEFAULT_REGION wins over any profile's region, as in botocore (which does not read
    AWS_REGION; the AWS CLI v2 does)."""
    return os.environ.get("AWS_DEFAULT_REGION") or None


class ApiFactory(Protocol):
    """(access key id, secret, session token or None, profile[, region]) -> AwsApi. The CLI
    passes AwsApi itself; tests pass one with other timeouts."""

    def __call__(
        self,
        access_key_id: str,
        secret_access_key: str,
        session_token: str | None,
        profile: str,
        *,
        region: str | None = None,
    ) -> AwsApi: ...
