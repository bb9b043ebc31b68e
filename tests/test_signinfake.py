"""The AWS Sign-In fake is only worth trusting if it holds the protocol's line and real botocore accepts it.

The first half drives it with the module's small client (what AWS CLI v2's `aws login` does) and breaks each
rule in turn: PKCE, state and redirect checks at the authorize endpoint, single-use short-lived codes, every
DPoP check, refresh-token rotation and binding, the console session's end and each AccessDenied kind. The
second half hands a cache file that client wrote to botocore's own `login` credential provider (with awscrt,
botocore[crt]) and lets it refresh against the fake with AWS_ENDPOINT_URL_SIGNIN, as boto3 users will.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import boto3
import botocore.credentials
import botocore.session
import pytest
import signinfake as sf
from botocore.exceptions import ClientError, LoginInsufficientPermissions, LoginRefreshRequired, NoRegionError
from cryptography.hazmat.primitives import serialization
from signinfake import Clock, SigninFake, TokenError

ALICE = sf.DEFAULT_PRINCIPAL
KEY_ID = re.compile(r"^ASIA[A-Z2-7]{16}$")
EXPIRES_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
PROFILE = "dev"


@pytest.fixture(scope="module")
def _server() -> Iterator[SigninFake]:
    with SigninFake() as fake:
        yield fake


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(_server: SigninFake, clock: Clock, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> SigninFake:
    """The fake, reset, on a clock that moves only when a test says, and the sign-in endpoint pointed at it the
    way a user would: by environment. Proofs botocore makes carry the real time, which this clock starts at."""
    _server.reset()
    _server.clock = clock
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", _server.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credential chain may wait on IMDS
    return _server


def signed_in(fake: SigninFake, clock: Clock, **options: Any) -> sf.Login:
    return sf.login(fake.url, clock=clock, **options)


def refresh_input(token: dict[str, Any]) -> dict[str, str]:
    return {"clientId": token["clientId"], "refreshToken": token["refreshToken"], "grantType": sf.REFRESH_GRANT}


def refused(call: Callable[[], object]) -> TokenError:
    with pytest.raises(TokenError) as error:
        call()
    return error.value


# --- the authorize endpoint and the browser ------------------------------------------------------------


def test_same_device_login_redirects_the_browser_to_the_listener(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)

    authorize, callback = login.visit.urls
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize).query))
    assert authorize.startswith(fake.url + "/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin")
    assert query["client_id"] == sf.SAME_DEVICE and query["redirect_uri"] == login.redirect_uri
    assert query["code_challenge_method"] == "SHA-256" and query["scope"] == "openid"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/oauth/callback", login.redirect_uri)
    returned = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    assert callback.startswith(login.redirect_uri + "?") and returned["state"] == query["state"]
    assert login.visit.status == 200 and login.visit.paste_code is None

    # The cache entry as AWS CLI v2 writes it, its session and account from the id token's sub.
    token = login.token
    assert login.session == ALICE
    assert sf.unverified_claims(token["idToken"])["sub"] == ALICE
    assert set(token) == {"accessToken", "tokenType", "clientId", "refreshToken", "idToken", "dpopKey"}
    assert set(token["accessToken"]) == {"accessKeyId", "secretAccessKey", "sessionToken", "accountId", "expiresAt"}
    assert KEY_ID.match(token["accessToken"]["accessKeyId"]) and token["accessToken"]["accountId"] == "123456789012"
    assert token["accessToken"]["expiresAt"] == sf.expires_at(clock, 900)
    assert token["tokenType"] == "aws_sigv4" and token["clientId"] == sf.SAME_DEVICE
    assert token["refreshToken"].startswith("ASOR")
    assert token["dpopKey"].startswith("-----BEGIN EC PRIVATE KEY-----\n") and token["dpopKey"].endswith("-----\n")
    assert all(len(line) <= 64 for line in token["dpopKey"].splitlines())
    assert fake.redemptions == 1 and fake.refreshes == 0
    assert [call.operation for call in fake.calls] == ["Authorize", "CreateOAuth2Token"]


def test_cross_device_login_shows_a_code_to_paste(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock, remote=True)

    assert login.redirect_uri == fake.confirmation_url
    assert login.visit.urls[1].startswith(fake.confirmation_url + "?code=")
    assert login.visit.paste_code is not None
    # What the person pastes: base64 of state=…&code=…, decoded as the CLI decodes it.
    pasted = base64.b64decode(login.visit.paste_code).decode()
    assert re.fullmatch(r"state=[0-9a-f-]{36}&code=[\w-]+", pasted)
    assert login.token["clientId"] == sf.CROSS_DEVICE
    assert [call.operation for call in fake.calls] == ["Authorize", "Confirmation", "CreateOAuth2Token"]
    exchange = fake.calls_to("CreateOAuth2Token")[0].body or {}
    assert exchange == {
        "clientId": sf.CROSS_DEVICE,
        "grantType": "authorization_code",
        "code": dict(urllib.parse.parse_qsl(pasted))["code"],
        "codeVerifier": exchange.get("codeVerifier"),
        "redirectUri": fake.confirmation_url,
    }
    assert sf.VERIFIER.fullmatch(exchange["codeVerifier"])


def test_the_id_token_names_a_federated_principal_too(fake: SigninFake, clock: Clock) -> None:
    fake.principal_arn = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    login = signed_in(fake, clock)
    assert login.session == fake.principal_arn
    assert login.token["accessToken"]["accountId"] == "111122223333"
    claims = sf.unverified_claims(login.token["idToken"])
    assert claims["session_arn"] == fake.principal_arn and claims["aud"] == "arn:aws:signin:::cli/same-device"
    assert claims["exp"] - claims["iat"] == 900


def authorize_query(fake: SigninFake, listener_uri: str, /, **changes: str | None) -> str:
    challenge = sf.pkce_challenge(sf.new_verifier())
    url = sf.authorize_url(fake.url, sf.SAME_DEVICE, listener_uri, "the-state", challenge)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return fake.url + "/v1/authorize?" + urllib.parse.urlencode(query)


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "arn:aws:signin:::devtools/other-device"},
        {"client_id": None},
        {"redirect_uri": "https://attacker.example/oauth/callback"},
        {"redirect_uri": "http://127.0.0.1/oauth/callback"},  # no port: not the CLI's listener
        {"redirect_uri": None},
        {"client_id": sf.CROSS_DEVICE},  # cross-device must redirect to the confirmation page
    ],
    ids=["unknown-client", "no-client", "foreign-redirect", "portless-redirect", "no-redirect", "cross-to-listener"],
)
def test_an_untrusted_client_or_redirect_gets_an_error_page_and_no_redirect(
    fake: SigninFake, changes: dict[str, str | None]
) -> None:
    with sf.CallbackListener() as listener:
        visit = sf.browse(authorize_query(fake, listener.redirect_uri, **changes))
    assert visit.status == 400 and len(visit.urls) == 1 and listener.query is None
    assert not fake._codes


@pytest.mark.parametrize(
    "changes",
    [
        {"code_challenge_method": "S256"},  # RFC 7636's name; AWS's is SHA-256
        {"code_challenge_method": None},
        {"code_challenge": None},
        {"code_challenge": "too-short"},
        {"scope": "openid profile"},
        {"response_type": "token"},
    ],
    ids=["S256", "no-method", "no-challenge", "bad-challenge", "scope", "response-type"],
)
def test_a_bad_authorization_request_is_redirected_back_with_an_error(
    fake: SigninFake, changes: dict[str, str | None]
) -> None:
    with sf.CallbackListener() as listener:
        sf.browse(authorize_query(fake, listener.redirect_uri, **changes))
        query = listener.wait()
    assert query["error"] == "invalid_request" and query["state"] == "the-state" and "code" not in query


def test_a_padded_challenge_is_refused(fake: SigninFake) -> None:
    """The CLI drops the one '=' that base64url of 32 bytes ends with; the fake holds it to that."""
    padded = base64.urlsafe_b64encode(b"\0" * 32).decode()
    with sf.CallbackListener() as listener:
        sf.browse(authorize_query(fake, listener.redirect_uri, code_challenge=padded))
        assert listener.wait()["error"] == "invalid_request"


def test_no_state_no_code(fake: SigninFake) -> None:
    with sf.CallbackListener() as listener:
        sf.browse(authorize_query(fake, listener.redirect_uri, state=None))
        query = listener.wait()
    assert query["error"] == "invalid_request" and "state" not in query


def test_a_person_who_refuses_sends_access_denied(fake: SigninFake, clock: Clock) -> None:
    fake.user_denies = True
    with pytest.raises(RuntimeError, match="access_denied"):
        signed_in(fake, clock)
    with pytest.raises(RuntimeError, match="no code to paste: 400"):
        signed_in(fake, clock, remote=True)  # the confirmation page shows the error instead of a code
    assert not fake._codes and fake.redemptions == 0


def test_an_injected_authorize_failure_is_an_error_page(fake: SigninFake, clock: Clock) -> None:
    fake.fail_next("InternalServerException", operation="Authorize")
    with pytest.raises(RuntimeError, match="no code to paste: 500"):
        signed_in(fake, clock, remote=True)
    assert signed_in(fake, clock, remote=True).token


# --- authorization codes and PKCE ----------------------------------------------------------------------


def authorized(fake: SigninFake, verifier: str) -> tuple[str, str]:
    """A code for the cross-device client, as the person would paste it: (code, redirect_uri)."""
    redirect_uri = fake.confirmation_url
    visit = sf.browse(sf.authorize_url(fake.url, sf.CROSS_DEVICE, redirect_uri, "s", sf.pkce_challenge(verifier)))
    assert visit.paste_code is not None
    return sf.parse_paste_code(visit.paste_code)[0], redirect_uri


def redeem(fake: SigninFake, clock: Clock, code: str, verifier: str, redirect_uri: str, **changes: str) -> Any:
    token_input = {
        "clientId": sf.CROSS_DEVICE,
        "grantType": sf.AUTH_CODE_GRANT,
        "code": code,
        "codeVerifier": verifier,
        "redirectUri": redirect_uri,
        **changes,
    }
    return sf.create_oauth2_token(fake.url, token_input, sf.new_dpop_key(), clock=clock)


def test_the_code_verifier_must_match_the_challenge_and_a_code_is_spent_on_any_attempt(
    fake: SigninFake, clock: Clock
) -> None:
    verifier = sf.new_verifier()
    code, redirect_uri = authorized(fake, verifier)
    wrong = refused(lambda: redeem(fake, clock, code, sf.new_verifier(), redirect_uri))
    assert (wrong.status, wrong.code, wrong.kind) == (400, "ValidationException", "INVALID_REQUEST")
    assert "codeVerifier" in wrong.message
    again = refused(lambda: redeem(fake, clock, code, verifier, redirect_uri))
    assert again.message == sf.INVALID_GRANT
    assert fake.redemptions == 0


def test_a_code_is_good_once(fake: SigninFake, clock: Clock) -> None:
    verifier = sf.new_verifier()
    code, redirect_uri = authorized(fake, verifier)
    assert redeem(fake, clock, code, verifier, redirect_uri)["idToken"]
    replayed = refused(lambda: redeem(fake, clock, code, verifier, redirect_uri))
    assert (replayed.code, replayed.kind, replayed.message) == (
        "ValidationException",
        "INVALID_REQUEST",
        sf.INVALID_GRANT,
    )


def test_an_old_code_answers_authcode_expired(fake: SigninFake, clock: Clock) -> None:
    verifier = sf.new_verifier()
    code, redirect_uri = authorized(fake, verifier)
    clock.advance(fake.code_ttl)
    expired = refused(lambda: redeem(fake, clock, code, verifier, redirect_uri))
    assert (expired.status, expired.code, expired.kind) == (401, "AccessDeniedException", "AUTHCODE_EXPIRED")


@pytest.mark.parametrize(
    "changes",
    [
        {"redirectUri": "http://127.0.0.1:1/oauth/callback"},
        {"clientId": sf.SAME_DEVICE},
        {"codeVerifier": "short"},
        {"grantType": "client_credentials"},
        {"clientId": "arn:aws:signin:::devtools/other"},
    ],
    ids=["redirect", "client", "verifier-shape", "grant", "unknown-client"],
)
def test_the_exchange_must_match_the_authorization(fake: SigninFake, clock: Clock, changes: dict[str, str]) -> None:
    verifier = sf.new_verifier()
    code, redirect_uri = authorized(fake, verifier)
    error = refused(lambda: redeem(fake, clock, code, verifier, redirect_uri, **changes))
    assert (error.status, error.code) == (400, "ValidationException")


# --- DPoP ----------------------------------------------------------------------------------------------


def refresh_with(fake: SigninFake, clock: Clock, token: dict[str, Any], proof: str) -> dict[str, Any]:
    return sf.create_oauth2_token(fake.url, refresh_input(token), sf.new_dpop_key(), clock=clock, proof=proof)


@pytest.mark.parametrize(
    "make_proof",
    [
        pytest.param(lambda key, url, clock: "", id="missing"),
        pytest.param(lambda key, url, clock: "a.b", id="not-a-jws"),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock, signing_key=sf.new_dpop_key()),
            id="signed-by-another-key",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock, claims={"htm": "GET"}),
            id="htm",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url + "?x=1", clock=clock),
            id="htu-with-query",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url.replace("http://", "https://"), clock=clock),
            id="htu-scheme",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url.replace("/v1/token", "/v1/authorize"), clock=clock),
            id="htu-path",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=lambda: clock() - 301),
            id="iat-too-old",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=lambda: clock() + 61),
            id="iat-in-the-future",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock, claims={"iat": str(int(clock()))}),
            id="iat-a-string",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock, claims={"jti": ""}),
            id="no-jti",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock, header={"typ": "JWT"}),
            id="typ",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock, header={"alg": "ES384"}),
            id="alg",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(
                key, url, clock=clock, header={"jwk": {**sf.public_jwk(key), "d": "c2VjcmV0"}}
            ),
            id="private-jwk",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(
                key, url, clock=clock, header={"jwk": {**sf.public_jwk(key), "crv": "P-384"}}
            ),
            id="curve",
        ),
        pytest.param(
            lambda key, url, clock: sf.dpop_proof(key, url, clock=clock) + "==",
            id="padded",
        ),
    ],
)
def test_every_dpop_check_refuses_and_spends_nothing(
    fake: SigninFake, clock: Clock, make_proof: Callable[[Any, str, Clock], str]
) -> None:
    login = signed_in(fake, clock)
    key = sf.load_dpop_key(login.token["dpopKey"])
    error = refused(lambda: refresh_with(fake, clock, login.token, make_proof(key, fake.token_url, clock)))
    assert (error.status, error.code, error.kind) == (400, "ValidationException", "INVALID_REQUEST")
    assert error.message.startswith("Invalid DPoP proof")
    assert fake.calls[-1].error is not None and "DPoP" in fake.calls[-1].error
    # The refresh token was not spent: a good proof still refreshes.
    assert sf.refresh(fake.url, login.token, clock=clock)["refreshToken"] != login.token["refreshToken"]


def test_a_jti_is_good_once(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    key = sf.load_dpop_key(login.token["dpopKey"])
    jti = str(uuid.uuid4())
    refreshed = refresh_with(fake, clock, login.token, sf.dpop_proof(key, fake.token_url, clock=clock, jti=jti))
    token = {**login.token, "refreshToken": refreshed["refreshToken"]}
    error = refused(lambda: refresh_with(fake, clock, token, sf.dpop_proof(key, fake.token_url, clock=clock, jti=jti)))
    assert error.message == "Invalid DPoP proof: jti was used before"


def test_a_refresh_token_is_bound_to_the_key_that_redeemed_the_code(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    stranger = sf.new_dpop_key()
    error = refused(
        lambda: refresh_with(fake, clock, login.token, sf.dpop_proof(stranger, fake.token_url, clock=clock))
    )
    assert error.code == "ValidationException" and "bound" in error.message
    assert sf.refresh(fake.url, login.token, clock=clock)


def test_the_proof_as_botocore_builds_it_is_recorded(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    sf.refresh(fake.url, login.token, clock=clock)
    proof = fake.calls[-1].dpop
    assert proof is not None
    assert proof["header"] == {
        "typ": "dpop+jwt",
        "alg": "ES256",
        "jwk": sf.public_jwk(sf.load_dpop_key(login.token["dpopKey"])),
    }
    assert set(proof["claims"]) == {"htm", "htu", "iat", "jti"}
    assert proof["claims"]["htu"] == fake.token_url and proof["claims"]["iat"] == int(clock())


# --- refresh -------------------------------------------------------------------------------------------


def test_refresh_tokens_rotate_and_a_used_one_is_refused(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    clock.advance(600)
    first = sf.refresh(fake.url, login.token, clock=clock)
    assert first["refreshToken"] != login.token["refreshToken"]
    assert first["accessToken"]["accessKeyId"] != login.token["accessToken"]["accessKeyId"]
    assert first["accessToken"]["expiresAt"] == sf.expires_at(clock, 900)
    assert {name: first[name] for name in ("idToken", "dpopKey", "clientId", "tokenType")} == {
        name: login.token[name] for name in ("idToken", "dpopKey", "clientId", "tokenType")
    }
    reused = refused(lambda: sf.refresh(fake.url, login.token, clock=clock))
    assert (reused.status, reused.code, reused.kind, reused.message) == (
        400,
        "ValidationException",
        "INVALID_REQUEST",
        sf.INVALID_GRANT,
    )
    assert sf.refresh(fake.url, first, clock=clock)
    assert fake.refreshes == 2 and fake.redemptions == 1
    refresh_answers = [
        call for call in fake.calls_to("CreateOAuth2Token") if call.body and call.body["grantType"] == "refresh_token"
    ]
    assert [call.status for call in refresh_answers] == [200, 400, 200]


def test_a_refresh_answers_no_id_token(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    output = sf.create_oauth2_token(
        fake.url, refresh_input(login.token), sf.load_dpop_key(login.token["dpopKey"]), clock=clock
    )
    assert set(output) == {"accessToken", "tokenType", "expiresIn", "refreshToken"}


def test_the_replay_window_answers_a_reused_refresh_token_the_same(fake: SigninFake, clock: Clock) -> None:
    """The model calls the refresh grant idempotent within a window; the fake can play that too."""
    fake.refresh_replay_window = 30
    login = signed_in(fake, clock)
    first = sf.refresh(fake.url, login.token, clock=clock)
    clock.advance(30)
    assert (
        sf.refresh(fake.url, login.token, clock=clock)["accessToken"]["accessKeyId"]
        == first["accessToken"]["accessKeyId"]
    )
    clock.advance(1)
    assert refused(lambda: sf.refresh(fake.url, login.token, clock=clock)).message == sf.INVALID_GRANT


def test_the_console_session_ends_refresh_and_caps_expires_in(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    clock.advance(fake.session_duration - 100)
    near_the_end = sf.refresh(fake.url, login.token, clock=clock)
    assert near_the_end["accessToken"]["expiresAt"] == sf.expires_at(clock, 100)
    clock.advance(100)
    expired = refused(lambda: sf.refresh(fake.url, near_the_end, clock=clock))
    assert (expired.status, expired.code, expired.kind, expired.message) == (
        401,
        "AccessDeniedException",
        "TOKEN_EXPIRED",
        "The refresh token has expired.",
    )


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda fake: fake.change_credentials(ALICE), "USER_CREDENTIALS_CHANGED"),
        (lambda fake: fake.denied_principals.add(ALICE), "INSUFFICIENT_PERMISSIONS"),
        (lambda fake: fake.end_sessions(), "TOKEN_EXPIRED"),
    ],
    ids=["password-changed", "policy-removed", "session-ended"],
)
def test_what_happens_to_the_person_shows_in_the_next_refresh(
    fake: SigninFake, clock: Clock, change: Callable[[SigninFake], None], kind: str
) -> None:
    login = signed_in(fake, clock)
    change(fake)
    error = refused(lambda: sf.refresh(fake.url, login.token, clock=clock))
    assert (error.code, error.kind, error.status) == (
        "AccessDeniedException",
        kind,
        401 if kind == "TOKEN_EXPIRED" else 403,
    )


def test_a_principal_without_the_policy_cannot_redeem_a_code(fake: SigninFake, clock: Clock) -> None:
    fake.denied_principals.add(ALICE)
    error = refused(lambda: signed_in(fake, clock))
    assert (error.status, error.kind) == (403, "INSUFFICIENT_PERMISSIONS")


@pytest.mark.parametrize(
    ("code", "kind", "status"),
    [
        ("AccessDeniedException", "TOKEN_EXPIRED", 401),
        ("AccessDeniedException", "USER_CREDENTIALS_CHANGED", 403),
        ("AccessDeniedException", "INSUFFICIENT_PERMISSIONS", 403),
        ("AccessDeniedException", "AUTHCODE_EXPIRED", 401),
        ("ValidationException", "INVALID_REQUEST", 400),
        ("TooManyRequestsError", "INVALID_REQUEST", 429),
        ("InternalServerException", "server_error", 500),
    ],
)
def test_injected_errors_are_answered_once_and_spend_nothing(
    fake: SigninFake, clock: Clock, code: str, kind: str, status: int
) -> None:
    login = signed_in(fake, clock)
    fake.fail_next(code, kind)
    error = refused(lambda: sf.refresh(fake.url, login.token, clock=clock))
    assert (error.status, error.code, error.kind) == (status, code, kind)
    assert sf.refresh(fake.url, login.token, clock=clock)


def test_fail_next_can_wait_for_one_grant(fake: SigninFake, clock: Clock) -> None:
    fake.fail_next("AccessDeniedException", "USER_CREDENTIALS_CHANGED", grant=sf.REFRESH_GRANT, times=2)
    login = signed_in(fake, clock)  # the code grant passes
    for _ in range(2):
        assert refused(lambda: sf.refresh(fake.url, login.token, clock=clock)).kind == "USER_CREDENTIALS_CHANGED"
    assert sf.refresh(fake.url, login.token, clock=clock)


def test_latency_delays_answers(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    fake.latency = 2.0
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        sf.create_oauth2_token(
            fake.url, refresh_input(login.token), sf.load_dpop_key(login.token["dpopKey"]), clock=clock, timeout=0.2
        )


def test_a_form_encoded_body_is_accepted_as_the_model_documents(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    form = urllib.parse.urlencode(
        {"client_id": sf.SAME_DEVICE, "grant_type": "refresh_token", "refresh_token": login.token["refreshToken"]}
    )
    key = sf.load_dpop_key(login.token["dpopKey"])
    request = urllib.request.Request(
        fake.token_url,
        data=form.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "DPoP": sf.dpop_proof(key, fake.token_url, clock=clock),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert json.loads(answer.read())["tokenType"] == "aws_sigv4"


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/token?x-amz-client-auth-method=iam"), ("GET", "/v1/token"), ("POST", "/nope")]
)
def test_what_is_not_faked_answers_404(fake: SigninFake, method: str, path: str) -> None:
    request = urllib.request.Request(fake.url + path, data=b"{}" if method == "POST" else None, method=method)
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 404 and error.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"


def test_every_key_minted_maps_to_its_principal(fake: SigninFake, clock: Clock) -> None:
    login = signed_in(fake, clock)
    refreshed = sf.refresh(fake.url, login.token, clock=clock)
    keys = [login.token["accessToken"]["accessKeyId"], refreshed["accessToken"]["accessKeyId"]]
    assert fake.principals == dict.fromkeys(keys, ALICE)
    assert [issued.grant for issued in fake.issued] == ["authorization_code", "refresh_token"]
    identity = fake.caller_identity(keys[1])
    assert identity is not None and identity["Arn"] == ALICE and identity["Account"] == "123456789012"
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", identity["UserId"])
    xml = fake.caller_identity_xml(keys[1])
    assert xml is not None
    result = ElementTree.fromstring(xml).find("{https://sts.amazonaws.com/doc/2011-06-15/}GetCallerIdentityResult")
    assert result is not None and result.findtext("{https://sts.amazonaws.com/doc/2011-06-15/}Arn") == ALICE
    assert fake.caller_identity("ASIANOTMINTEDBYFAKE1") is None

    fake.principal_arn = "arn:aws:sts::111122223333:assumed-role/Admin/bob"
    federated = signed_in(fake, clock).token["accessToken"]["accessKeyId"]
    assert (fake.caller_identity(federated) or {})["UserId"].endswith(":bob")


def test_the_browser_script_detaches_follows_and_logs(fake: SigninFake, tmp_path: Path) -> None:
    """As BROWSER for webbrowser, which waits for the command: it must return before the visit, which the
    listener of the process that opened it may only answer after webbrowser returns."""
    log = tmp_path / "browser.log"
    verifier = sf.new_verifier()
    with sf.CallbackListener() as listener:
        url = sf.authorize_url(fake.url, sf.SAME_DEVICE, listener.redirect_uri, "st", sf.pkce_challenge(verifier))
        done = subprocess.run(
            [sys.executable, sf.__file__, url], env={"SIGNINFAKE_BROWSER_LOG": str(log), "PATH": ""}, timeout=30
        )
        assert done.returncode == 0
        assert listener.wait(timeout=30)["state"] == "st"
    for _ in range(300):  # the detached browser logs after the listener has answered
        visits = list(sf.iter_visits(log))
        if visits:
            break
        time.sleep(0.1)
    assert visits and visits[0].urls[0] == url and visits[0].status == 200


# --- botocore's own login provider against the fake ------------------------------------------------------


@pytest.fixture
def cache_dir(isolated_env: Path) -> Path:
    """~/.aws/login/cache under the isolated HOME: botocore's LoginProvider finds it when it is made."""
    return isolated_env / ".aws" / "login" / "cache"


def login_profile(home: Path, session: str, **settings: str) -> None:
    lines = [
        f"[profile {PROFILE}]",
        f"login_session = {session}",
        *(f"{name} = {value}" for name, value in settings.items()),
    ]
    (home / ".aws").mkdir(exist_ok=True)
    (home / ".aws" / "config").write_text("\n".join(lines) + "\n")


def cached_login(
    fake: SigninFake, clock: Clock, home: Path, cache_dir: Path, *, expires_in: int | None = None, **token_fields: Any
) -> tuple[sf.Login, Path]:
    """A login by the test client, cached as AWS CLI v2 caches it, with its credentials ending in
    `expires_in` seconds of real time when given (botocore judges expiry by the real clock)."""
    login = signed_in(fake, clock)
    token = {**login.token, **token_fields}
    if expires_in is not None:
        token["accessToken"] = {**token["accessToken"], "expiresAt": sf.expires_at(Clock(), expires_in)}
    login_profile(home, login.session, region="eu-west-1")
    return login._replace(token=token), sf.write_cache(cache_dir, login.session, token)


def credentials() -> Any:
    return botocore.session.Session(profile=PROFILE).get_credentials().get_frozen_credentials()


def test_botocore_serves_a_cache_the_client_wrote_without_calling(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path
) -> None:
    login, path = cached_login(fake, clock, isolated_env, cache_dir)
    assert path.name == __import__("hashlib").sha256(ALICE.encode()).hexdigest() + ".json"
    session_credentials = botocore.session.Session(profile=PROFILE).get_credentials()
    assert session_credentials.method == "login"
    frozen = session_credentials.get_frozen_credentials()
    assert frozen.access_key == login.token["accessToken"]["accessKeyId"]
    assert frozen.token == login.token["accessToken"]["sessionToken"]
    assert fake.refreshes == 0


def test_botocore_rereads_the_cache_another_process_refreshed(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path
) -> None:
    """Credentials of at most 15 minutes are always inside botocore's 15-minute advisory window, so every use
    re-reads the file, and uses what it finds while that has more than 5 minutes left: a refresh written by
    another process (the AWS CLI, stscreds) reaches a running boto3 without a call of its own."""
    login, path = cached_login(fake, clock, isolated_env, cache_dir)
    live = botocore.session.Session(profile=PROFILE).get_credentials()
    assert live.get_frozen_credentials().access_key == login.token["accessToken"]["accessKeyId"]
    elsewhere = sf.refresh(fake.url, login.token, clock=clock)
    sf.write_cache(cache_dir, login.session, elsewhere)
    assert live.get_frozen_credentials().access_key == elsewhere["accessToken"]["accessKeyId"]
    assert fake.refreshes == 1  # the other process's, none of botocore's
    assert json.loads(path.read_text()) == elsewhere


@pytest.mark.parametrize("expires_in", [-3600, 120], ids=["expired", "within-5-minutes"])
def test_botocore_refreshes_against_the_fake_and_writes_the_cache_back(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path, expires_in: int
) -> None:
    login, path = cached_login(
        fake, clock, isolated_env, cache_dir, expires_in=expires_in, signInRegion="eu-west-1", anotherToolsField="kept"
    )
    frozen = credentials()

    assert fake.refreshes == 1
    newest = fake.issued[-1]
    assert frozen.access_key == newest.access_key_id and frozen.token == newest.session_token
    proof = fake.calls[-1].dpop
    assert proof is not None and proof["claims"]["htu"] == fake.token_url and proof["claims"]["htm"] == "POST"
    assert fake.calls[-1].body == refresh_input(login.token)

    written = json.loads(path.read_text())
    assert written["accessToken"] == {
        "accessKeyId": newest.access_key_id,
        "secretAccessKey": newest.secret_access_key,
        "sessionToken": newest.session_token,
        "accountId": "123456789012",
        "expiresAt": written["accessToken"]["expiresAt"],
    }
    assert EXPIRES_AT.match(written["accessToken"]["expiresAt"])
    assert written["refreshToken"] == newest.refresh_token != login.token["refreshToken"]
    unchanged = ("tokenType", "clientId", "idToken", "dpopKey", "signInRegion", "anotherToolsField")
    assert {name: written[name] for name in unchanged} == {name: login.token[name] for name in unchanged}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [other for other in cache_dir.iterdir() if other != path]  # its temporary file is gone

    # The used refresh token is dead; the one botocore wrote refreshes for the next tool.
    assert refused(lambda: sf.refresh(fake.url, login.token, clock=clock)).message == sf.INVALID_GRANT
    assert sf.refresh(fake.url, written, clock=clock)


@pytest.mark.parametrize("form", ["sec1", "pkcs8"], ids=["EC-PRIVATE-KEY-as-the-CLI", "PRIVATE-KEY-as-botocore-tests"])
def test_botocore_loads_the_dpop_key_in_either_pem_form(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path, form: str
) -> None:
    login = signed_in(fake, clock)
    key = sf.load_dpop_key(login.token["dpopKey"])
    pem = (
        login.token["dpopKey"]
        if form == "sec1"
        else key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    )
    cached_login_token = {
        **login.token,
        "dpopKey": pem,
        "accessToken": {**login.token["accessToken"], "expiresAt": "2020-01-01T00:00:00Z"},
    }
    login_profile(isolated_env, login.session, region="eu-west-1")
    sf.write_cache(cache_dir, login.session, cached_login_token)
    assert credentials().access_key == fake.issued[-1].access_key_id
    assert fake.refreshes == 1


def test_botocore_follows_aws_login_cache_directory(
    fake: SigninFake, clock: Clock, isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "login-cache"
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(elsewhere))
    _, path = cached_login(fake, clock, isolated_env, elsewhere, expires_in=-60)
    assert credentials().access_key == fake.issued[-1].access_key_id
    assert json.loads(path.read_text())["refreshToken"] == fake.issued[-1].refresh_token


def test_botocore_needs_a_region_for_the_refresh_and_takes_sign_in_region(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path
) -> None:
    """Even with AWS_ENDPOINT_URL_SIGNIN, botocore will not make a signin client without a region: a profile
    without one refreshes only if the token names its signInRegion, which botocore reads from a release
    after 1.42 (1.42 is the last for Python 3.9, and still needs the profile's region)."""
    login, _ = cached_login(fake, clock, isolated_env, cache_dir, expires_in=-60)
    login_profile(isolated_env, login.session)  # no region
    with pytest.raises(NoRegionError):
        credentials()
    sf.write_cache(cache_dir, login.session, {**login.token, "signInRegion": "eu-west-1"})
    if "signInRegion" in Path(botocore.credentials.__file__).read_text():
        assert credentials().access_key == fake.issued[-1].access_key_id
    else:
        with pytest.raises(NoRegionError):
            credentials()


@pytest.mark.parametrize(
    ("change", "raised"),
    [
        (lambda fake: fake.end_sessions(), LoginRefreshRequired),
        (lambda fake: fake.change_credentials(), LoginRefreshRequired),
        (lambda fake: fake.denied_principals.add(ALICE), LoginInsufficientPermissions),
    ],
    ids=["TOKEN_EXPIRED", "USER_CREDENTIALS_CHANGED", "INSUFFICIENT_PERMISSIONS"],
)
def test_botocore_reads_each_access_denied_kind(
    fake: SigninFake,
    clock: Clock,
    isolated_env: Path,
    cache_dir: Path,
    change: Callable[[SigninFake], None],
    raised: type[Exception],
) -> None:
    cached_login(fake, clock, isolated_env, cache_dir, expires_in=-60)
    change(fake)
    with pytest.raises(raised) as error:
        credentials()
    assert isinstance(error.value.__cause__, ClientError)
    assert error.value.__cause__.response["Error"]["Code"] == "AccessDeniedException"


def test_botocore_passes_a_refused_refresh_token_on_as_a_client_error(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path
) -> None:
    """A refresh token someone else already used is not one of the kinds botocore maps: its ClientError
    (ValidationException, error INVALID_REQUEST) reaches the caller as it is."""
    login, _ = cached_login(fake, clock, isolated_env, cache_dir, expires_in=-60)
    sf.refresh(fake.url, login.token, clock=clock)  # another tool refreshed, and has not written the cache yet
    with pytest.raises(ClientError) as error:
        credentials()
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert error.value.response["error"] == "INVALID_REQUEST"
    assert error.value.response["Error"]["Message"] == sf.INVALID_GRANT


def test_a_boto3_client_on_a_login_profile_signs_with_the_fakes_credentials(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path, proxy: Any
) -> None:
    """AWS_ENDPOINT_URL (the recording proxy, moto behind it) serves STS; AWS_ENDPOINT_URL_SIGNIN, more
    specific, keeps the refresh on the fake. The key the proxy saw maps back to the signed-in user."""
    cached_login(fake, clock, isolated_env, cache_dir, expires_in=-60)
    sts = boto3.Session(profile_name=PROFILE).client("sts")
    sts.get_caller_identity()
    call = proxy.last("GetCallerIdentity")
    assert call.access_key_id == fake.issued[-1].access_key_id
    assert call.session_token == fake.issued[-1].session_token
    assert fake.principals[call.access_key_id] == ALICE and call.region == "eu-west-1"


def test_the_credentials_file_outranks_login_session_in_botocore(
    fake: SigninFake, clock: Clock, isolated_env: Path, cache_dir: Path
) -> None:
    """botocore's profile chain tries ~/.aws/credentials before login_session: keys there for the same profile
    win, and AWS CLI v2's login refuses such a profile."""
    cached_login(fake, clock, isolated_env, cache_dir)
    (isolated_env / ".aws" / "credentials").write_text(
        f"[{PROFILE}]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
    )
    found = botocore.session.Session(profile=PROFILE).get_credentials()
    assert found.method == "shared-credentials-file" and found.access_key == "AKIAFILE"
