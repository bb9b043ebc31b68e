"""The AWS calls stscreds makes, and what their failures mean to a user.

Clients are made the way botocore makes them for any SDK user: region, endpoint
(`AWS_ENDPOINT_URL`...), retry mode and attempts come from the environment and
`AWS_CONFIG_FILE`. Only the credentials are ours (the stored long-term pair), and the
timeouts are short, so a dead network fails in seconds rather than minutes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from botocore.config import Config

from stscreds import __version__
from stscreds.errors import (
    AwsError,
    AwsUnreachableError,
    KeysRejectedError,
    MfaCodeRejectedError,
    mask,
)

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
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


class AwsApi:
    """iam:GetUser, iam:ListMFADevices and sts:GetSessionToken, signed with one key pair."""

    def __init__(
        self, access_key_id: str, secret_access_key: str, profile: str, timeouts: Timeouts = Timeouts()
    ) -> None:
        self._access_key_id = access_key_id
        with self._translate_errors("reading the AWS configuration"):
            session = botocore.session.Session()
            # The profile's [profile P] settings in ~/.aws/config (region, endpoint,
            # retries) apply when it exists; otherwise the usual defaults do.
            if profile in session.available_profiles:
                session.set_config_variable("profile", profile)
            retries: dict[str, Any] = {}
            if session.get_config_variable("max_attempts") is None:
                retries["total_max_attempts"] = timeouts.attempts
            self._config = Config(
                connect_timeout=timeouts.connect,
                read_timeout=timeouts.read,
                retries=retries or None,
                user_agent_extra=f"stscreds/{__version__}",
            )
            self._session = boto3.session.Session(
                botocore_session=session,
                aws_access_key_id=access_key_id,
                aws_secret_access_key=secret_access_key,
                region_name=session.get_config_variable("region") or FALLBACK_REGION,
            )
            log.debug(
                "signing as %s, region %s, endpoint %s, %s",
                mask(access_key_id),
                self._session.region_name,
                session.get_config_variable("endpoint_url") or "AWS's own",
                f"timeouts {timeouts.connect:g} s connect / {timeouts.read:g} s read",
            )

    def _client(self, service: str) -> Any:
        with self._translate_errors(service):
            return self._session.client(service, config=self._config)

    def current_user(self) -> User:
        iam = self._client("iam")
        with self._translate_errors("iam:GetUser"):
            user = iam.get_user()["User"]
        return User(name=user.get("UserName", ""), arn=user["Arn"])

    def mfa_serials(self, user_name: str) -> list[str]:
        iam = self._client("iam")
        with self._translate_errors("iam:ListMFADevices"):
            pages = iam.get_paginator("list_mfa_devices").paginate(UserName=user_name)
            return [device["SerialNumber"] for page in pages for device in page["MFADevices"]]

    def session_token(self, duration_seconds: int, serial: str, code: str) -> SessionCredentials:
        sts = self._client("sts")
        with self._translate_errors("sts:GetSessionToken"):
            answer = sts.get_session_token(DurationSeconds=duration_seconds, SerialNumber=serial, TokenCode=code)
        credentials = answer["Credentials"]
        return SessionCredentials(
            access_key_id=credentials["AccessKeyId"],
            secret_access_key=credentials["SecretAccessKey"],
            session_token=credentials["SessionToken"],
            expiration=credentials["Expiration"],
        )

    @contextmanager
    def _translate_errors(self, action: str) -> Iterator[None]:
        """Turn botocore's exceptions into one-line StscredsErrors without secrets."""
        try:
            yield
        except botocore.exceptions.ClientError as error:
            raise self._client_error(action, error) from None
        except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as error:
            raise AwsUnreachableError(f"could not reach AWS for {action}: {error}") from None
        except botocore.exceptions.ProfileNotFound as error:
            raise AwsError(f"{error} (check AWS_PROFILE and AWS_CONFIG_FILE)") from None
        except botocore.exceptions.BotoCoreError as error:
            raise AwsError(f"{action} failed: {error}") from None

    def _client_error(self, action: str, error: botocore.exceptions.ClientError) -> AwsError:
        details = error.response.get("Error", {})
        code = details.get("Code", "Unknown")
        message = details.get("Message", "")
        key = mask(self._access_key_id)
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
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        suffix = f": {message}" if message else ""
        return AwsError(f"{action} failed with {code} (HTTP {status}){suffix}")
