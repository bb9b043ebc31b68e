"""The federation fake is only worth trusting if it answers real clients as AWS does: these tests mint credentials
with boto3 against moto and against the IAM Identity Center fake, then sign in with a plain urllib client that builds
its requests byte for byte as aws-vault's `login` does (Go's url.Values.Encode: keys sorted, space as '+'), and
open the login URL the way a browser would, through the recording BROWSER script and Python's own webbrowser."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from federationfake import (
    CHATTER,
    GET_FEDERATION_TOKEN,
    GET_SESSION_TOKEN,
    INVALID_CREDENTIALS,
    LONG_TERM,
    NOT_FEDERATABLE,
    SSO_ROLE,
    TOKEN_TTL,
    Credentials,
    FederationFake,
    is_console_url,
    write_recording_browser,
)
from ssofake import SsoFake

ROLE_ARN = "arn:aws:iam::123456789012:role/admin"
CONSOLE = "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"
LONG_TERM_KEYS = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "long-term-secret"}


class Answer:
    """What a client got back: status, headers and body, whether 2xx or not."""

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(url: str, data: Optional[bytes] = None, headers: Optional[dict[str, str]] = None) -> Answer:
    """GET (or POST `data`) without following redirects: the fake's 302 points at the real console."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=10) as answer:
            return Answer(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as answer:
        return Answer(answer.code, answer.headers, answer.read())


def session_json(credentials: dict[str, Any], style: str = "go") -> str:
    """The Session parameter: "go" as json.Marshal (compact; aws-vault, granted), "docs" as the IAM guide's Python
    example (json.dumps with its default separators)."""
    session = {
        "sessionId": credentials["AccessKeyId"],
        "sessionKey": credentials["SecretAccessKey"],
        "sessionToken": credentials.get("SessionToken") or "",
    }
    return json.dumps(session, separators=(",", ":")) if style == "go" else json.dumps(session)


def signin_token_request(
    fake: FederationFake, credentials: dict[str, Any], duration: Optional[int] = None, style: str = "go"
) -> Answer:
    """getSigninToken as aws-vault sends it: GET, query from url.Values.Encode (sorted keys, quote_plus)."""
    params = {"Action": "getSigninToken", "Session": session_json(credentials, style)}
    if duration is not None:
        params["SessionDuration"] = str(duration)
    return fetch(f"{fake.federation_url}?{urlencode(sorted(params.items()))}")


def login_url(fake: FederationFake, token: str, destination: str = CONSOLE, issuer: str = "aws-vault") -> str:
    """aws-vault's login URL: its own parameter order, Destination and SigninToken through url.QueryEscape."""
    return (
        f"{fake.federation_url}?Action=login&Issuer={quote_plus(issuer)}"
        f"&Destination={quote_plus(destination)}&SigninToken={quote_plus(token)}"
    )


def sign_in(fake: FederationFake, credentials: dict[str, Any], **login: Any) -> Answer:
    answer = signin_token_request(fake, credentials)
    assert answer.status == 200, answer.text
    return fetch(login_url(fake, answer.json()["SigninToken"], **login))


@pytest.fixture(scope="module")
def _server() -> Iterator[FederationFake]:
    with FederationFake() as fake:
        yield fake


class Clock:
    """A clock the test moves; it starts at the real time so that real credentials' expiry stays ahead of it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(_server: FederationFake, clock: Clock) -> FederationFake:
    _server.reset()
    _server.clock = clock
    return _server


@pytest.fixture
def sts(moto_port: int) -> Any:
    """An STS client on moto, signing with long-term keys (moto accepts any)."""
    return boto3.client("sts", endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="us-east-1", **LONG_TERM_KEYS)


def sts_with(moto_port: int, credentials: dict[str, Any]) -> Any:
    return boto3.client(
        "sts",
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


# --- the happy path, with real clients ------------------------------------------------------------------


def test_assume_role_credentials_sign_in_as_aws_vault_does(fake: FederationFake, sts: Any, clock: Clock) -> None:
    minted = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="console", DurationSeconds=3600)
    known = fake.allow_response(minted)
    assert known.label.endswith(":assumed-role/admin/console") and known.expires_at is not None

    answer = signin_token_request(fake, minted["Credentials"], duration=43200)
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    assert list(answer.json()) == ["SigninToken"]
    token = answer.json()["SigninToken"]
    call = fake.calls[-1]
    assert (call.action, call.method, call.status, call.error) == ("getSigninToken", "GET", 200, None)
    assert call.session == json.loads(session_json(minted["Credentials"]))
    assert call.params["SessionDuration"] == "43200"

    clock.now += 60
    visit = fetch(login_url(fake, token))
    assert visit.status == 302 and visit.headers["Location"] == CONSOLE
    assert fake.visits[-1].destination == CONSOLE and fake.visits[-1].issuer == "aws-vault"
    assert fake.visits[-1].credentials == known
    # With SessionDuration, the console session runs that long from the login.
    assert fake.visits[-1].console_expires_at == clock.now + 43200


def test_without_session_duration_the_console_session_ends_with_the_credentials(fake: FederationFake, sts: Any) -> None:
    minted = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="console")
    known = fake.allow_response(minted)
    assert sign_in(fake, minted["Credentials"]).status == 302
    assert fake.visits[-1].console_expires_at == known.expires_at


def test_the_docs_python_example_and_a_post_form_are_accepted_too(fake: FederationFake, sts: Any) -> None:
    minted = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="console")
    fake.allow_response(minted)
    # The IAM guide's example: json.dumps with spaces, quote_plus'd, SessionDuration before Session.
    docs = signin_token_request(fake, minted["Credentials"], style="docs")
    assert docs.status == 200
    # A form POST keeps the secret out of the URL (and out of proxy logs).
    form = urlencode({"Action": "getSigninToken", "Session": session_json(minted["Credentials"])}).encode()
    posted = fetch(fake.federation_url, form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status == 200 and fake.calls[-1].method == "POST"
    assert docs.json()["SigninToken"] != posted.json()["SigninToken"]  # a new token each time


def test_sso_role_credentials_from_the_identity_center_fake(fake: FederationFake) -> None:
    with SsoFake() as sso:
        fake.trust_sso(sso)
        portal = boto3.client(
            "sso", endpoint_url=sso.url, region_name="us-east-1", config=Config(signature_version=UNSIGNED)
        )
        access_token = sso.issue_tokens()["accessToken"]
        role = portal.get_role_credentials(
            roleName="ReadOnlyAccess", accountId="111111111111", accessToken=access_token
        )
        given = role["roleCredentials"]
        credentials = {
            "AccessKeyId": given["accessKeyId"],
            "SecretAccessKey": given["secretAccessKey"],
            "SessionToken": given["sessionToken"],
        }
        assert sign_in(fake, credentials).status == 302
        visit = fake.visits[-1]
        assert visit.credentials is not None and visit.credentials.kind == SSO_ROLE
        assert visit.credentials.label == "111111111111/ReadOnlyAccess"
        assert visit.console_expires_at == given["expiration"] / 1000

        # The same key with another secret is not those credentials.
        forged = signin_token_request(fake, {**credentials, "SecretAccessKey": "x" * 40})
        assert forged.status == 400 and fake.calls[-1].error == "unknown-credentials"


def test_role_sessions_moto_issued_with_the_mfa_session_refuse_session_duration(
    fake: FederationFake, sts: Any, moto_port: int
) -> None:
    """stscreds assumes roles with its GetSessionToken session: a role session made with temporary credentials,
    which the real endpoint signs in without SessionDuration and refuses with it (aws-vault #77)."""
    fake.trust_moto(f"http://127.0.0.1:{moto_port}")
    session = sts.get_session_token(DurationSeconds=3600)["Credentials"]
    role = sts_with(moto_port, session).assume_role(RoleArn=ROLE_ARN, RoleSessionName="chained")["Credentials"]

    refused = signin_token_request(fake, role, duration=3600)
    assert refused.status == 400 and refused.headers["Content-Type"].startswith("text/html")
    assert INVALID_CREDENTIALS in refused.text and fake.calls[-1].error == "session-duration-refused"
    assert fake.tokens == []

    assert sign_in(fake, role).status == 302
    assert fake.visits[-1].credentials is not None and fake.visits[-1].credentials.chained


# --- what the real endpoint refuses ---------------------------------------------------------------------


def test_unknown_credentials_get_invalid_credentials_parameter(fake: FederationFake, sts: Any) -> None:
    minted = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="never-registered")["Credentials"]
    answer = signin_token_request(fake, minted)
    assert answer.status == 400 and INVALID_CREDENTIALS in answer.text
    assert "HTTP Status 400" in answer.text and fake.calls[-1].error == "unknown-credentials"
    # A wrong token for known keys is unknown credentials too.
    fake.allow("ASIAKNOWN", "secret", "token")
    wrong = {"AccessKeyId": "ASIAKNOWN", "SecretAccessKey": "secret", "SessionToken": "other"}
    assert signin_token_request(fake, wrong).status == 400


def test_expired_credentials_are_refused(fake: FederationFake, clock: Clock) -> None:
    fake.allow("ASIAEXPIRING", "secret", "token", expires_at=clock.now + 100)
    credentials = {"AccessKeyId": "ASIAEXPIRING", "SecretAccessKey": "secret", "SessionToken": "token"}
    assert signin_token_request(fake, credentials).status == 200
    clock.now += 100
    assert signin_token_request(fake, credentials).status == 400
    assert fake.calls[-1].error == "expired-credentials"


@pytest.mark.parametrize("kind", [GET_SESSION_TOKEN, LONG_TERM])
def test_session_and_long_term_credentials_are_turned_away_at_the_login(
    fake: FederationFake, sts: Any, kind: str
) -> None:
    """IAM guide: "SSO to console is not allowed" for GetSessionToken credentials. Users see the refusal in the
    browser (aws-vault #1191): getSigninToken gave a token, the login page refuses it."""
    if kind == GET_SESSION_TOKEN:
        credentials = sts.get_session_token()["Credentials"]
        fake.allow_response(credentials, kind=GET_SESSION_TOKEN)
    else:
        credentials = {"AccessKeyId": "AKIALONGTERMEXAMPLE", "SecretAccessKey": "long-term", "SessionToken": None}
        fake.allow("AKIALONGTERMEXAMPLE", "long-term", None, kind=LONG_TERM)
    token = signin_token_request(fake, credentials)
    assert token.status == 200
    visit = fetch(login_url(fake, token.json()["SigninToken"]))
    assert visit.status == 400 and NOT_FEDERATABLE in visit.text
    assert fake.visits[-1].error == "not-federatable" and fake.visits[-1].console_expires_at is None

    # The other reading: refused at getSigninToken already.
    fake.unfederatable_at = "token"
    refused = signin_token_request(fake, credentials)
    assert refused.status == 400 and fake.calls[-1].error == "not-federatable"


def test_federation_token_credentials_sign_in_but_refuse_session_duration(fake: FederationFake, sts: Any) -> None:
    """IAM guide: "Do not use the SessionDuration HTTP parameter if you got the temporary credentials with
    GetFederationToken. Doing so will cause the operation to fail.\""""
    minted = sts.get_federation_token(Name="alice", DurationSeconds=3600)
    fake.allow_response(minted, kind=GET_FEDERATION_TOKEN)
    refused = signin_token_request(fake, minted["Credentials"], duration=3600)
    assert refused.status == 400 and fake.calls[-1].error == "session-duration-refused"
    assert sign_in(fake, minted["Credentials"]).status == 302


@pytest.mark.parametrize(
    ("duration", "status"),
    [
        *[("899", 400), ("900", 200), ("43200", 200), ("43201", 400), ("3600.0", 400), ("-900", 400), ("", 400)],
        ("１２００", 400),  # full-width digits: str.isdigit() says yes
    ],
)
def test_session_duration_is_900_to_43200_seconds(fake: FederationFake, duration: str, status: int) -> None:
    fake.allow("ASIAROLE", "secret", "token")
    session = json.dumps({"sessionId": "ASIAROLE", "sessionKey": "secret", "sessionToken": "token"})
    query = urlencode({"Action": "getSigninToken", "SessionDuration": duration, "Session": session})
    answer = fetch(f"{fake.federation_url}?{query}")
    assert answer.status == status
    assert fake.calls[-1].error == (None if status == 200 else "session-duration-range")


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ({"Action": "getSigninToken"}, 400, "missing-parameter"),
        ({"Action": "getSigninToken", "Session": "{not json"}, 400, "malformed-session"),
        ({"Action": "getSigninToken", "Session": "[]"}, 400, "malformed-session"),
        ({"Action": "getSigninToken", "Session": '{"sessionId": "ASIAX"}'}, 400, "malformed-session"),
        ({"Session": "{}"}, 400, "missing-parameter"),
        ({"Action": "getSignInToken"}, 400, "unknown-action"),
        ({"Action": "login", "Destination": CONSOLE}, 400, "missing-parameter"),
        ({"Action": "login", "Destination": CONSOLE, "SigninToken": "made-up"}, 400, "token-unknown"),
    ],
)
def test_malformed_requests(fake: FederationFake, query: dict[str, str], status: int, error: str) -> None:
    answer = fetch(f"{fake.federation_url}?{urlencode(query)}")
    assert (answer.status, fake.calls[-1].error) == (status, error)
    assert answer.headers["Content-Type"].startswith("text/html")


def test_other_paths_are_not_found(fake: FederationFake) -> None:
    assert fetch(fake.url + "/").status == 404
    assert fetch(fake.url + "/federation/x?Action=getSigninToken").status == 404
    assert fake.calls[-1].error == "not-found"


# --- the sign-in token ----------------------------------------------------------------------------------


@pytest.fixture
def token(fake: FederationFake) -> str:
    fake.allow("ASIAROLE", "secret", "token")
    credentials = {"AccessKeyId": "ASIAROLE", "SecretAccessKey": "secret", "SessionToken": "token"}
    return str(signin_token_request(fake, credentials).json()["SigninToken"])


def test_a_token_is_good_for_15_minutes(fake: FederationFake, token: str, clock: Clock) -> None:
    assert TOKEN_TTL == 900
    clock.now += TOKEN_TTL - 1
    assert fetch(login_url(fake, token)).status == 302
    clock.now += 1
    late = fetch(login_url(fake, token))
    assert late.status == 400 and fake.visits[-1].error == "token-expired"


def test_a_token_is_reusable_unless_single_use(fake: FederationFake, token: str) -> None:
    assert fetch(login_url(fake, token)).status == 302
    assert fetch(login_url(fake, token)).status == 302
    fake.single_use_tokens = True
    assert fetch(login_url(fake, token)).status == 400
    assert fake.visits[-1].error == "token-used" and len(fake.visits) == 3


def test_expire_tokens(fake: FederationFake, token: str) -> None:
    fake.expire_tokens()
    assert fetch(login_url(fake, token)).status == 400 and fake.visits[-1].error == "token-expired"


def test_tokens_are_unique_and_url_safe(fake: FederationFake) -> None:
    fake.allow("ASIAROLE", "secret", "token")
    credentials = {"AccessKeyId": "ASIAROLE", "SecretAccessKey": "secret", "SessionToken": "token"}
    tokens = [signin_token_request(fake, credentials).json()["SigninToken"] for _ in range(5)]
    assert len(set(tokens)) == 5 and all(quote_plus(token) == token for token in tokens)
    assert [issued.token for issued in fake.tokens] == tokens


@pytest.mark.parametrize(
    ("destination", "accepted"),
    [
        ("https://console.aws.amazon.com/", True),
        ("https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1", True),
        ("https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1", True),
        ("https://cn-north-1.console.amazonaws.cn/console/home?region=cn-north-1", True),
        ("http://console.aws.amazon.com/", False),
        ("https://console.aws.amazon.com.evil.example/", False),
        ("https://evil.example/?https://console.aws.amazon.com/", False),
        ("", False),
    ],
)
def test_destination_must_be_a_console_url(fake: FederationFake, token: str, destination: str, accepted: bool) -> None:
    assert is_console_url(destination) is accepted
    answer = fetch(login_url(fake, token, destination=destination))
    assert answer.status == (302 if accepted else 400)
    assert fake.visits[-1].error == (None if accepted else "destination-refused")


def test_destination_and_issuer_knobs(fake: FederationFake, token: str) -> None:
    assert fetch(login_url(fake, token, issuer="")).status == 302  # granted sends Issuer= empty
    fake.require_issuer = True
    assert fetch(login_url(fake, token, issuer="")).status == 400 and fake.visits[-1].error == "issuer-missing"
    fake.allowed_destination = lambda url: url.startswith("http://127.0.0.1")
    answer = fetch(login_url(fake, token, destination="http://127.0.0.1:9/home", issuer="https://example.com"))
    assert answer.status == 302 and answer.headers["Location"] == "http://127.0.0.1:9/home"
    assert fake.login_url(token, "https://console.aws.amazon.com/").startswith(fake.federation_url + "?Action=login&")


# --- fault injection and reset --------------------------------------------------------------------------


def test_fail_next_then_normal_answers(fake: FederationFake) -> None:
    fake.allow("ASIAROLE", "secret", "token")
    credentials = {"AccessKeyId": "ASIAROLE", "SecretAccessKey": "secret", "SessionToken": "token"}
    fake.fail_next("getSigninToken", 503, b"<html>Service Unavailable</html>", times=2)
    fake.fail_next("*", 200, b"<html>Hotel WiFi: please log in</html>")  # a captive portal, for any action
    assert [signin_token_request(fake, credentials).status for _ in range(2)] == [503, 503]
    portal = signin_token_request(fake, credentials)
    assert portal.status == 200 and portal.text.startswith("<html>Hotel")
    assert signin_token_request(fake, credentials).json()["SigninToken"]
    assert [call.error for call in fake.calls] == ["injected", "injected", "injected", None]


def test_reset_forgets_everything(fake: FederationFake, token: str) -> None:
    fake.trust(lambda key: None)
    fake.single_use_tokens = True
    fake.reset()
    assert (fake.calls, fake.tokens, fake.visits, fake.single_use_tokens) == ([], [], [], False)
    assert fetch(login_url(fake, token)).status == 400  # the token is gone too
    assert fake.allow("ASIAX", "s", "t") == Credentials("ASIAX", "s", "t")
    with pytest.raises(ValueError):
        fake.allow("ASIAX", "s", "t", kind="AssumeRoleWithMagic")


# --- the recording browser ------------------------------------------------------------------------------


def open_with_webbrowser(url: str, browser_env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    """Python's own webbrowser.open in a child with BROWSER set, as a CLI that does not redirect would call it."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), **browser_env}
    code = "import sys, webbrowser; print('opened:', webbrowser.open(sys.argv[1]))"
    return subprocess.run([sys.executable, "-c", code, url], env=env, capture_output=True, text=True, timeout=60)


def test_the_recording_browser_records_and_its_chatter_reaches_a_naive_callers_stdout(
    tmp_path: Path, isolated_env: Path
) -> None:
    """webbrowser runs BROWSER with the caller's own stdout: what the browser prints lands in the caller's output
    unless the caller redirects it. That is what a console test must prove stscreds does."""
    browser = write_recording_browser(tmp_path / "browser", stderr="[1203/101010:ERROR] GPU process crashed")
    url = "https://signin.aws.amazon.com/federation?Action=login&SigninToken=abc"
    done = open_with_webbrowser(url, browser.env(), isolated_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{CHATTER}\nopened: True\n"
    assert "GPU process crashed" in done.stderr
    assert browser.urls() == [url] and browser.follows() == []

    silent = write_recording_browser(tmp_path / "silent", name="silent-browser", stdout=None, exit_code=3)
    done = open_with_webbrowser(url, silent.env(), isolated_env)
    assert done.stdout == "opened: False\n" and silent.urls() == [url]


def test_the_recording_browser_follows_loopback_urls_but_not_redirects(
    fake: FederationFake, token: str, tmp_path: Path, isolated_env: Path
) -> None:
    browser = write_recording_browser(tmp_path, follow=True)
    url = login_url(fake, token)
    console = "https://console.aws.amazon.com/"
    done = open_with_webbrowser(url, browser.env(), isolated_env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(browser.path), console], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout == CHATTER + "\n"
    assert browser.urls() == [url, console]
    followed, not_followed = browser.follows()
    assert followed == {"url": url, "status": 302, "location": CONSOLE, "error": None}
    assert not_followed["status"] is None and "not a loopback address" in not_followed["error"]
    # The fake saw the browser's visit, and nothing went on to the console.
    assert [visit.status for visit in fake.visits] == [302]
    assert [call.action for call in fake.calls] == ["getSigninToken", "login"]


def test_the_login_query_is_what_aws_vault_builds(fake: FederationFake, token: str) -> None:
    url = login_url(fake, token)
    parts = urlsplit(url)
    assert [name for name, _ in (pair.split("=", 1) for pair in parts.query.split("&"))] == [
        "Action",
        "Issuer",
        "Destination",
        "SigninToken",
    ]
    assert parse_qs(parts.query)["Destination"] == [CONSOLE]
    assert fetch(url).status == 302
