"""The IAM Identity Center fake is only worth trusting if real botocore accepts it: these tests drive it with
boto3's own sso-oidc and sso clients, paginators and error classes, and with botocore's own SSO credential and
token providers reading a token cache written as the AWS CLI v2 writes it."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.credentials
import botocore.tokens
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, TokenRetrievalError, UnauthorizedSSOTokenError
from ssofake import DEFAULT_SCOPE, DEVICE_GRANT, REFRESH_GRANT, SsoFake

SESSION = "my-sso"
REGION = "eu-west-1"
KEY_ID = re.compile(r"^ASIA[A-Z0-9]{16}$")
Answer = dict[str, Any]  # a boto3 response


@pytest.fixture(scope="module")
def _server() -> Iterator[SsoFake]:
    with SsoFake() as fake:
        yield fake


@pytest.fixture
def fake(_server: SsoFake, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> SsoFake:
    """The fake, reset, with both services' endpoints pointed at it the way a user would: by environment."""
    _server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", _server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", _server.url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credential chain may wait on IMDS
    return _server


@pytest.fixture
def sso_cache(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """~/.aws/sso/cache under the isolated HOME. botocore computes this folder once, when botocore.tokens and
    botocore.credentials are imported (conftest imports boto3 before any HOME is isolated), so it is patched."""
    folder = isolated_env / ".aws" / "sso" / "cache"
    monkeypatch.setattr(botocore.tokens.SSOTokenProvider, "_SSO_TOKEN_CACHE_DIR", str(folder))
    monkeypatch.setattr(botocore.credentials.SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(folder))
    return folder


def oidc() -> Any:
    return boto3.client("sso-oidc", region_name="us-east-1")


def portal(**config: Any) -> Any:
    return boto3.client("sso", region_name="us-east-1", config=Config(**config) if config else None)


def register_and_start(fake: SsoFake, client: Any, scopes: tuple[str, ...] = (DEFAULT_SCOPE,)) -> tuple[Answer, Answer]:
    registration = client.register_client(clientName="botocore-client-test", clientType="public", scopes=list(scopes))
    authorization = client.start_device_authorization(
        clientId=registration["clientId"], clientSecret=registration["clientSecret"], startUrl=fake.start_url
    )
    return registration, authorization


def poll(client: Any, registration: Answer, authorization: Answer) -> Answer:
    token: Answer = client.create_token(
        grantType=DEVICE_GRANT,
        clientId=registration["clientId"],
        clientSecret=registration["clientSecret"],
        deviceCode=authorization["deviceCode"],
    )
    return token


def login(fake: SsoFake) -> str:
    fake.auto_approve_after = 0
    client = oidc()
    return str(poll(client, *register_and_start(fake, client))["accessToken"])


# --- the device flow, with boto3's clients -------------------------------------------------------------


def test_device_flow_pending_slow_down_approve_token(fake: SsoFake) -> None:
    client = oidc()
    registration, authorization = register_and_start(fake, client)
    assert registration["clientSecretExpiresAt"] > time.time() + 80 * 86400  # epoch seconds, not milliseconds
    assert authorization["interval"] == 1 and authorization["expiresIn"] == 600
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", authorization["userCode"])

    with pytest.raises(client.exceptions.AuthorizationPendingException) as pending:
        poll(client, registration, authorization)
    # The modeled members of the error shape are merged into the response beside Error.
    assert pending.value.response["error"] == "authorization_pending"
    assert pending.value.response["Error"]["Code"] == "AuthorizationPendingException"
    assert pending.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    fake.slow_down_times = 1
    with pytest.raises(client.exceptions.SlowDownException) as slow:
        poll(client, registration, authorization)
    assert slow.value.response["error"] == "slow_down"

    assert fake.approve() == 1
    token = poll(client, registration, authorization)
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == fake.access_token_ttl
    assert token["accessToken"].startswith("aoa") and token["refreshToken"].startswith("aor")

    # A device code is good for one token only.
    with pytest.raises(client.exceptions.InvalidGrantException):
        poll(client, registration, authorization)
    # The endpoints came from AWS_ENDPOINT_URL_SSO_OIDC: the fake saw every call.
    assert [call.operation for call in fake.calls] == [
        "RegisterClient",
        "StartDeviceAuthorization",
        *["CreateToken"] * 4,
    ]
    assert fake.calls[0].body is not None and fake.calls[0].body["clientType"] == "public"


def test_a_poller_like_the_cli_v2_one_accepts_interval_zero(fake: SsoFake) -> None:
    """AWS CLI v2's SSOTokenFetcher sleeps `response.get("interval", 5)` between polls and adds 5 seconds on
    slow_down; botocore passes interval 0 through as 0 (not as missing), so tests can poll without sleeping."""
    fake.interval = 0
    fake.auto_approve_after = 3
    client = oidc()
    registration, authorization = register_and_start(fake, client)
    assert authorization["interval"] == 0
    answers = []
    while True:
        try:
            token = poll(client, registration, authorization)
            break
        except client.exceptions.AuthorizationPendingException:
            answers.append("pending")
        time.sleep(authorization.get("interval", 5))
    assert answers == ["pending"] * 3
    assert token["accessToken"]


def test_enforced_interval_answers_slow_down_to_fast_polls(fake: SsoFake) -> None:
    fake.enforce_interval = True
    fake.interval = 60
    client = oidc()
    registration, authorization = register_and_start(fake, client)
    with pytest.raises(client.exceptions.AuthorizationPendingException):
        poll(client, registration, authorization)
    with pytest.raises(client.exceptions.SlowDownException):
        poll(client, registration, authorization)


def test_the_verification_page_approves_like_a_browser(fake: SsoFake) -> None:
    client = oidc()
    registration, authorization = register_and_start(fake, client)
    with urllib.request.urlopen(authorization["verificationUriComplete"], timeout=10) as page:
        assert b"approved" in page.read()
    assert poll(client, registration, authorization)["accessToken"]


def test_an_expired_device_code_answers_expired_token(fake: SsoFake) -> None:
    client = oidc()
    registration, authorization = register_and_start(fake, client)
    fake.clock = lambda: time.time() + 601
    with pytest.raises(client.exceptions.ExpiredTokenException) as expired:
        poll(client, registration, authorization)
    assert expired.value.response["error"] == "expired_token"


def test_a_denied_device_code_answers_access_denied(fake: SsoFake) -> None:
    client = oidc()
    registration, authorization = register_and_start(fake, client)
    fake.deny(authorization["userCode"])
    with pytest.raises(client.exceptions.AccessDeniedException):
        poll(client, registration, authorization)


def test_requests_are_validated_like_the_real_service(fake: SsoFake) -> None:
    client = oidc()
    with pytest.raises(client.exceptions.InvalidClientMetadataException):
        client.register_client(clientName="x", clientType="confidential")
    with pytest.raises(client.exceptions.InvalidScopeException):
        client.register_client(clientName="x", clientType="public", scopes=["no:such:scope"])
    registration = client.register_client(clientName="x", clientType="public")
    with pytest.raises(client.exceptions.InvalidClientException) as invalid:
        client.start_device_authorization(clientId="nobody", clientSecret="x", startUrl=fake.start_url)
    assert invalid.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    with pytest.raises(client.exceptions.InvalidRequestException):
        client.start_device_authorization(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            startUrl="https://d-0000000000.awsapps.com/start",
        )
    with pytest.raises(client.exceptions.InvalidClientException):
        client.create_token(
            clientId=registration["clientId"], clientSecret="wrong", grantType=DEVICE_GRANT, deviceCode="x"
        )
    with pytest.raises(client.exceptions.InvalidGrantException):
        client.create_token(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            grantType=DEVICE_GRANT,
            deviceCode="no-such-code",
        )
    with pytest.raises(client.exceptions.UnsupportedGrantTypeException):
        client.create_token(
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            grantType="authorization_code",
            code="x",
            redirectUri="http://127.0.0.1/oauth/callback",
        )


def test_refresh_grant_rotates_tokens(fake: SsoFake) -> None:
    client = oidc()
    seeded = fake.issue_tokens()
    refreshed = client.create_token(
        grantType=REFRESH_GRANT,
        clientId=seeded["clientId"],
        clientSecret=seeded["clientSecret"],
        refreshToken=seeded["refreshToken"],
    )
    assert refreshed["accessToken"] != seeded["accessToken"]
    assert refreshed["refreshToken"] != seeded["refreshToken"]
    with pytest.raises(client.exceptions.InvalidGrantException):
        client.create_token(
            grantType=REFRESH_GRANT,
            clientId=seeded["clientId"],
            clientSecret=seeded["clientSecret"],
            refreshToken=seeded["refreshToken"],
        )
    # Both access tokens are valid until they expire.
    for token in (seeded["accessToken"], refreshed["accessToken"]):
        assert portal().list_accounts(accessToken=token)["accountList"]


def test_no_refresh_token_for_an_unscoped_client_or_when_turned_off(fake: SsoFake) -> None:
    assert "refreshToken" not in fake.issue_tokens(scopes=())
    fake.issue_refresh_tokens = False
    assert "refreshToken" not in fake.issue_tokens()


# --- the portal, with boto3's client and paginators ----------------------------------------------------


def test_paginators_return_every_page(fake: SsoFake) -> None:
    token = login(fake)
    client = portal()
    pages = list(client.get_paginator("list_accounts").paginate(accessToken=token, PaginationConfig={"PageSize": 100}))
    assert len(pages) == math.ceil(len(fake.accounts) / fake.page_size)
    assert all(page.get("nextToken") for page in pages[:-1]) and "nextToken" not in pages[-1]
    listed = [account for page in pages for account in page["accountList"]]
    assert listed == [{key: a[key] for key in ("accountId", "accountName", "emailAddress")} for a in fake.accounts]
    for account in fake.accounts:
        roles = client.get_paginator("list_account_roles").paginate(accessToken=token, accountId=account["accountId"])
        assert [role for role in roles.build_full_result()["roleList"]] == [
            {"roleName": name, "accountId": account["accountId"]} for name in account["roles"]
        ]
    assert {call.query.get("max_result") for call in fake.calls_to("ListAccounts")} == {"100"}
    assert all(call.token == token for call in fake.calls_to("ListAccountRoles"))


def test_role_credentials_are_unique_and_expire_in_milliseconds(fake: SsoFake) -> None:
    token = login(fake)
    client = portal()
    before = time.time()
    first = client.get_role_credentials(accessToken=token, accountId="111111111111", roleName="eks-admin")
    second = client.get_role_credentials(accessToken=token, accountId="111111111111", roleName="eks-admin")
    a, b = first["roleCredentials"], second["roleCredentials"]
    assert KEY_ID.match(a["accessKeyId"]) and KEY_ID.match(b["accessKeyId"])
    assert (a["accessKeyId"], a["secretAccessKey"], a["sessionToken"]) != (
        b["accessKeyId"],
        b["secretAccessKey"],
        b["sessionToken"],
    )
    assert (before + 3600) * 1000 - 5000 <= a["expiration"] <= (time.time() + 3600) * 1000
    assert [issued["accessKeyId"] for issued in fake.issued_credentials] == [a["accessKeyId"], b["accessKeyId"]]
    call = fake.calls_to("GetRoleCredentials")[0]
    assert call.query == {"role_name": "eks-admin", "account_id": "111111111111"}


def test_forbidden_and_unassigned_roles_are_client_errors(fake: SsoFake) -> None:
    token = login(fake)
    client = portal()
    fake.forbidden.add(("222222222222", "admin"))
    # "eks" is not "eks-admin", and "admin" is assigned in 222222222222 but forbidden.
    for account_id, role in [("111111111111", "eks"), ("111111111111", "admin"), ("222222222222", "admin")]:
        with pytest.raises(ClientError) as forbidden:
            client.get_role_credentials(accessToken=token, accountId=account_id, roleName=role)
        assert forbidden.value.response["Error"] == {"Code": "ForbiddenException", "Message": "No access"}
        assert forbidden.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    # Not in the SSO model, so botocore has no class for it.
    assert not hasattr(client.exceptions, "ForbiddenException")
    with pytest.raises(ClientError, match="ForbiddenException"):
        client.list_account_roles(accessToken=token, accountId="999999999999")


def test_unknown_expired_and_logged_out_tokens_are_unauthorized(fake: SsoFake) -> None:
    client = portal()
    with pytest.raises(client.exceptions.UnauthorizedException) as unknown:
        client.list_accounts(accessToken="aoa-not-issued")
    assert unknown.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401

    token = login(fake)
    fake.expire_all_tokens()
    with pytest.raises(client.exceptions.UnauthorizedException):
        client.get_role_credentials(accessToken=token, accountId="111111111111", roleName="eks-admin")

    seeded = fake.issue_tokens()
    client.logout(accessToken=seeded["accessToken"])
    with pytest.raises(client.exceptions.UnauthorizedException):
        client.list_accounts(accessToken=seeded["accessToken"])
    with pytest.raises(oidc().exceptions.InvalidGrantException):  # logout ends the refresh token too
        oidc().create_token(
            grantType=REFRESH_GRANT,
            clientId=seeded["clientId"],
            clientSecret=seeded["clientSecret"],
            refreshToken=seeded["refreshToken"],
        )


def test_injected_throttling_is_retried_by_botocore_and_other_errors_surface(fake: SsoFake) -> None:
    token = login(fake)
    fake.fail_next("ListAccounts", "TooManyRequestsException")  # 429: botocore retries it (after up to 1 s)
    assert portal().list_accounts(accessToken=token)["accountList"]
    assert len(fake.calls_to("ListAccounts")) == 2

    fake.fail_next("ListAccounts", "TooManyRequestsException")
    client = portal(retries={"total_max_attempts": 1})
    with pytest.raises(client.exceptions.TooManyRequestsException):
        client.list_accounts(accessToken=token)
    fake.fail_next("GetRoleCredentials", "ResourceNotFoundException", message="gone")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="gone"):
        client.get_role_credentials(accessToken=token, accountId="111111111111", roleName="eks-admin")


def test_latency_is_added_to_every_request(fake: SsoFake) -> None:
    token = login(fake)
    fake.latency = 0.3
    waited: list[float] = []
    fake.sleep = waited.append  # the fake's waits, recorded instead of slept
    portal().list_accounts(accessToken=token)
    assert waited == [0.3] and fake.calls[-1].operation == "ListAccounts"
    oidc().register_client(clientName="c", clientType="public")
    assert waited == [0.3, 0.3]  # every request, of either service


def test_errors_on_the_wire_carry_the_code_in_the_x_amzn_errortype_header(fake: SsoFake) -> None:
    """botocore's rest-json parser takes Error.Code from x-amzn-ErrorType (then `code`/`__type` in the body);
    the OAuth `error` member of an sso-oidc body alone would leave the code as the bare status "400"."""
    request = urllib.request.Request(
        f"{fake.url}/token",
        data=json.dumps({"clientId": "x", "clientSecret": "y", "grantType": DEVICE_GRANT}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(request, timeout=10)
    assert failed.value.code == 401
    assert failed.value.headers["x-amzn-ErrorType"].split(":")[0] == "InvalidClientException"
    assert json.loads(failed.value.read())["error"] == "invalid_client"


# --- botocore's own SSO credential and token providers -------------------------------------------------


def cli_time(moment: datetime) -> str:
    """expiresAt / registrationExpiresAt as AWS CLI v2 and botocore write them: UTC with a Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_config(home: Path, text: str) -> None:
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text(text)


def write_token(cache: Path, name: str, fake: SsoFake, tokens: dict[str, Any], expires_in: float) -> Path:
    """A token cache file named as botocore names it: sha1 hex of the sso-session name (or, for a legacy
    profile, of the start URL), holding the fields the CLI v2 writes after `aws sso login`."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{hashlib.sha1(name.encode()).hexdigest()}.json"
    now = datetime.now(timezone.utc)
    entry = {
        "startUrl": fake.start_url,
        "region": REGION,
        "accessToken": tokens["accessToken"],
        "expiresAt": cli_time(now + timedelta(seconds=expires_in)),
        "clientId": tokens["clientId"],
        "clientSecret": tokens["clientSecret"],
        "registrationExpiresAt": cli_time(datetime.fromtimestamp(tokens["clientSecretExpiresAt"], timezone.utc)),
    }
    if "refreshToken" in tokens:
        entry["refreshToken"] = tokens["refreshToken"]
    path.write_text(json.dumps(entry))
    return path


def sso_session_config(fake: SsoFake) -> str:
    return (
        f"[sso-session {SESSION}]\n"
        f"sso_start_url = {fake.start_url}\n"
        f"sso_region = {REGION}\n"
        f"sso_registration_scopes = {DEFAULT_SCOPE}\n"
        "\n[profile P]\n"
        f"sso_session = {SESSION}\n"
        "sso_account_id = 111111111111\n"
        "sso_role_name = eks-admin\n"
    )


def test_botocore_sso_provider_with_an_sso_session(fake: SsoFake, isolated_env: Path, sso_cache: Path) -> None:
    write_config(isolated_env, sso_session_config(fake))
    tokens = fake.issue_tokens()
    write_token(sso_cache, SESSION, fake, tokens, expires_in=3600)

    credentials = boto3.Session(profile_name="P").get_credentials()
    assert credentials is not None and credentials.method == "sso"
    frozen = credentials.get_frozen_credentials()
    issued = fake.issued_credentials[-1]
    assert (frozen.access_key, frozen.secret_key, frozen.token) == (
        issued["accessKeyId"],
        issued["secretAccessKey"],
        issued["sessionToken"],
    )
    assert (issued["accountId"], issued["roleName"]) == ("111111111111", "eks-admin")
    assert [call.token for call in fake.calls_to("GetRoleCredentials")] == [tokens["accessToken"]]
    assert not fake.calls_to("CreateToken")  # the token was fresh: no refresh


def test_botocore_sso_provider_with_a_legacy_profile(fake: SsoFake, isolated_env: Path, sso_cache: Path) -> None:
    write_config(
        isolated_env,
        "[profile P]\n"
        f"sso_start_url = {fake.start_url}\n"
        f"sso_region = {REGION}\n"
        "sso_account_id = 444444444444\n"
        "sso_role_name = admin\n",
    )
    tokens = fake.issue_tokens(scopes=())  # a legacy login registers without scopes
    assert fake.start_url is not None
    write_token(sso_cache, fake.start_url, fake, tokens, expires_in=3600)

    frozen = boto3.Session(profile_name="P").get_credentials().get_frozen_credentials()
    assert frozen.access_key == fake.issued_credentials[-1]["accessKeyId"]
    assert fake.issued_credentials[-1]["accountId"] == "444444444444"


def test_a_legacy_profile_with_an_expired_token_makes_no_call(
    fake: SsoFake, isolated_env: Path, sso_cache: Path
) -> None:
    write_config(
        isolated_env,
        f"[profile P]\nsso_start_url = {fake.start_url}\nsso_region = {REGION}\n"
        "sso_account_id = 444444444444\nsso_role_name = admin\n",
    )
    assert fake.start_url is not None
    write_token(sso_cache, fake.start_url, fake, fake.issue_tokens(scopes=()), expires_in=-60)
    with pytest.raises(UnauthorizedSSOTokenError):
        boto3.Session(profile_name="P").get_credentials().get_frozen_credentials()
    assert not fake.calls


def test_botocore_refreshes_an_expired_token_and_rewrites_the_cache(
    fake: SsoFake, isolated_env: Path, sso_cache: Path
) -> None:
    write_config(isolated_env, sso_session_config(fake))
    tokens = fake.issue_tokens()
    fake.expire_all_tokens()
    path = write_token(sso_cache, SESSION, fake, tokens, expires_in=-60)

    frozen = boto3.Session(profile_name="P").get_credentials().get_frozen_credentials()
    assert frozen.access_key == fake.issued_credentials[-1]["accessKeyId"]

    (refresh,) = fake.calls_to("CreateToken")
    assert refresh.body == {
        "grantType": REFRESH_GRANT,
        "clientId": tokens["clientId"],
        "clientSecret": tokens["clientSecret"],
        "refreshToken": tokens["refreshToken"],
    }
    rewritten = json.loads(path.read_text())
    assert rewritten["accessToken"] != tokens["accessToken"]
    assert rewritten["refreshToken"] != tokens["refreshToken"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rewritten["expiresAt"])
    assert rewritten["registrationExpiresAt"] == cli_time(
        datetime.fromtimestamp(tokens["clientSecretExpiresAt"], timezone.utc)
    )
    assert fake.calls_to("GetRoleCredentials")[0].token == rewritten["accessToken"]


def test_a_refused_refresh_leaves_botocore_without_a_token(fake: SsoFake, isolated_env: Path, sso_cache: Path) -> None:
    write_config(isolated_env, sso_session_config(fake))
    tokens = fake.issue_tokens()
    fake.expire_all_tokens(include_refresh_tokens=True)
    path = write_token(sso_cache, SESSION, fake, tokens, expires_in=-60)
    before = path.read_text()

    with pytest.raises(TokenRetrievalError):
        boto3.Session(profile_name="P").get_credentials().get_frozen_credentials()
    assert len(fake.calls_to("CreateToken")) == 1
    assert not fake.calls_to("GetRoleCredentials")
    assert path.read_text() == before
