"""`stscreds console` (issue 21): the AWS Management Console as a profile, in one command.

The federation endpoint is tests/federationfake.py (its `/federation`, where AWS_ENDPOINT_URL_SIGNIN
points), which accepts only credentials it was told about (moto's role sessions, the SSO fake's
role credentials) and records the Session JSON it is sent; the browser is its recording script,
which prints "Opening in existing browser session." on its stdout as real ones do, and can open
the link itself (the fake's login then answers a 302 to the console, which it does not follow).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import state
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    EXPIRED_SESSION,
    PROD_ROLE,
    ROLE_PROFILES,
    IamUser,
    assert_one_line_failure,
    cli,
    credentials_path,
    run,
    write_credentials,
)
from federationfake import CHATTER, GET_SESSION_TOKEN, FederationFake, RecordingBrowser, write_recording_browser
from ssofake import DEFAULT_START_URL, SsoFake

PROD = PROD_ROLE
CONFIG = f"""\
{ROLE_PROFILES}
[profile mfa]
credential_process = stscreds credential-process

[sso-session corp]
sso_start_url = {DEFAULT_START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile dev-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
region = eu-central-1
"""
PROD_CONSOLE = "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1"


@pytest.fixture(scope="module")
def _federation() -> Iterator[FederationFake]:
    with FederationFake() as fake:
        yield fake


@pytest.fixture(scope="module")
def _sso() -> Iterator[SsoFake]:
    with SsoFake() as fake:
        yield fake


@pytest.fixture
def federation(_federation: FederationFake, moto_port: int) -> FederationFake:
    _federation.reset()
    _federation.trust_moto(f"http://127.0.0.1:{moto_port}")  # the role sessions moto issued (chained)
    return _federation


@pytest.fixture
def sso(_sso: SsoFake, federation: FederationFake) -> SsoFake:
    _sso.reset()
    federation.trust_sso(_sso)
    return _sso


@pytest.fixture
def browser(tmp_path: Path) -> RecordingBrowser:
    return write_recording_browser(tmp_path / "browser", follow=True)


@pytest.fixture
def console_env(
    isolated_env: Path, env: dict[str, str], federation: FederationFake, sso: SsoFake, browser: RecordingBrowser
) -> dict[str, str]:
    """A person's shell on a desktop: a display, a browser, and the endpoints at the fakes."""
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir(exist_ok=True)
    config.write_text(CONFIG)
    return {
        **env,
        **browser.env(),
        "DISPLAY": ":0",
        "AWS_ENDPOINT_URL_SIGNIN": federation.url,
        "AWS_ENDPOINT_URL_SSO": sso.url,
        "AWS_ENDPOINT_URL_SSO_OIDC": sso.url,
    }


def cached(home: Path) -> dict[str, dict[str, str]]:
    path = home / ".stscreds" / "cache"
    return raw_config_parse(str(path)) if path.exists() else {}


def sent_session(federation: FederationFake) -> dict[str, str]:
    """The Session JSON of the last getSigninToken, and how it was sent."""
    call = federation.calls_to("getSigninToken")[-1]
    assert call.method == "POST" and "Session" not in urlsplit(call.path).query  # never in a URL
    assert "SessionDuration" not in call.params
    assert call.session is not None
    return call.session


def opened(browser: RecordingBrowser, federation: FederationFake, destination: str) -> None:
    """The browser was given one login link, it signed in with the token just issued, and went on to `destination`."""
    (url,) = browser.urls()
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert url.startswith(federation.federation_url + "?") and query["Action"] == ["login"]
    assert query["SigninToken"] == [federation.tokens[-1].token] and query["Destination"] == [destination]
    (visit,) = federation.visits
    assert (visit.status, visit.error, visit.destination) == (302, None, destination)


# --- a role, an SSO role and an alias --------------------------------------------------------


def test_console_signs_in_as_a_role_with_one_prompt_and_the_browser_never_prints_into_stdout(
    initialised: IamUser,
    isolated_env: Path,
    console_env: dict[str, str],
    federation: FederationFake,
    browser: RecordingBrowser,
    proxy: RecordingProxy,
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)  # the MFA session has ended: one code, on stdin
    done = run(isolated_env, "console", "--profile", "prod", stdin="123456\n", env=console_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # the browser's "Opening in existing browser session." is not here
    assert CHATTER in done.stderr and "Opened the AWS console as profile 'prod'" in done.stderr
    assert [c.action for c in proxy.calls].count("GetSessionToken") == 1
    role = cached(isolated_env)["prod"]
    assert sent_session(federation) == {
        "sessionId": role["aws_access_key_id"],
        "sessionKey": role["aws_secret_access_key"],
        "sessionToken": role["aws_session_token"],
    }
    opened(browser, federation, PROD_CONSOLE)
    assert federation.visits[0].credentials.label.endswith(":assumed-role/Deploy/alice")  # type: ignore[union-attr]


def test_console_print_gives_only_the_link_for_an_sso_role(
    sso: SsoFake,
    isolated_env: Path,
    console_env: dict[str, str],
    federation: FederationFake,
    browser: RecordingBrowser,
) -> None:
    from test_sso import seed_token

    seed_token(sso, isolated_env)
    done = cli(isolated_env, "console", "--print", "-p", "dev-admin", env=console_env)
    assert done.returncode == 0, done.stderr
    assert browser.urls() == []  # --print opens nothing
    url = done.stdout.removesuffix("\n")
    assert done.stdout == url + "\n" and "\n" not in url  # the link, and nothing else
    issued = sso.issued_credentials[-1]
    assert (issued["accountId"], issued["roleName"]) == ("111111111111", "AdministratorAccess")
    assert sent_session(federation)["sessionId"] == issued["accessKeyId"]
    query = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert query["Destination"] == ["https://eu-central-1.console.aws.amazon.com/console/home?region=eu-central-1"]
    assert query["SigninToken"] == [federation.tokens[-1].token]


def test_console_for_an_alias_is_the_console_of_what_it_stands_for(
    initialised: IamUser,
    isolated_env: Path,
    console_env: dict[str, str],
    federation: FederationFake,
    browser: RecordingBrowser,
) -> None:
    state.authenticate(isolated_env)
    destination = "https://us-east-1.console.aws.amazon.com/s3/home?region=us-east-1"
    done = run(isolated_env, "console", "-p", "prod-cached", "--destination", destination, env=console_env)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert sent_session(federation)["sessionId"] == cached(isolated_env)["prod"]["aws_access_key_id"]
    opened(browser, federation, destination)


# --- what cannot sign in, and what goes wrong ------------------------------------------------


@pytest.mark.parametrize("profile", ["default", "mfa"], ids=["the MFA session", "an alias of it"])
def test_an_mfa_session_cannot_sign_in_and_the_line_names_the_way_out(
    profile: str, initialised: IamUser, isolated_env: Path, console_env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    proxy.calls.clear()
    done = cli(isolated_env, "console", "-p", profile, stdin="123456\n", env=console_env)
    assert_one_line_failure(done, 2)
    assert "is an MFA session (sts:GetSessionToken)" in done.stderr and "add a role profile on it" in done.stderr
    assert "source_profile = default" in done.stderr and "`stscreds console --profile NAME`" in done.stderr
    assert proxy.calls == [] and credentials_path(isolated_env).read_text() == EXPIRED_SESSION  # no code spent


def test_keys_of_another_tool_sign_in_only_when_they_are_a_roles(
    isolated_env: Path, console_env: dict[str, str], federation: FederationFake, proxy: RecordingProxy, moto_port: int
) -> None:
    import boto3

    sts = boto3.client(
        "sts", endpoint_url=f"http://127.0.0.1:{moto_port}", region_name="us-east-1",
        aws_access_key_id="AKIAOTHERTOOLOTHER01", aws_secret_access_key="other-secret",
    )  # fmt: skip
    role = sts.assume_role(RoleArn=PROD, RoleSessionName="saml2aws")["Credentials"]
    session = sts.get_session_token()["Credentials"]
    federation.allow_response(session, kind=GET_SESSION_TOKEN)
    ends = "x_security_token_expires = 2099-01-01T00:00:00Z\n"
    write_credentials(
        isolated_env,
        f"[other-role]\naws_access_key_id = {role['AccessKeyId']}\naws_secret_access_key = {role['SecretAccessKey']}\n"
        f"aws_session_token = {role['SessionToken']}\n{ends}"
        f"[other-session]\naws_access_key_id = {session['AccessKeyId']}\n"
        f"aws_secret_access_key = {session['SecretAccessKey']}\naws_session_token = {session['SessionToken']}\n{ends}",
    )
    done = cli(isolated_env, "console", "--print", "-p", "other-role", env=console_env)
    assert done.returncode == 0, done.stderr
    assert sent_session(federation)["sessionId"] == role["AccessKeyId"]
    refused = cli(isolated_env, "console", "--print", "-p", "other-session", env=console_env)
    assert_one_line_failure(refused, 2)
    assert "not of a role" in refused.stderr and len(federation.calls_to("getSigninToken")) == 1


NOT_AWS = {
    "a proxy asking for its password": (407, b"<html><body>\nProxy Authentication Required\n</body></html>\n"),
    "a captive portal": (200, b"<html><title>Hotel WiFi</title>\n<body>Please log in</body></html>\n"),
    "a JSON answer without a token": (200, b'{"message": "Hotel WiFi"}'),
}


@pytest.mark.parametrize("status, body", NOT_AWS.values(), ids=NOT_AWS.keys())
def test_an_answer_that_is_not_the_federation_endpoints_is_one_line_and_opens_nothing(
    status: int,
    body: bytes,
    initialised: IamUser,
    isolated_env: Path,
    console_env: dict[str, str],
    federation: FederationFake,
    browser: RecordingBrowser,
) -> None:
    state.authenticate(isolated_env)
    federation.fail_next("getSigninToken", status, body)
    done = cli(isolated_env, "console", "-p", "prod", env=console_env)
    assert_one_line_failure(done)
    assert f"{federation.federation_url} did not answer getSigninToken like AWS (HTTP {status}" in done.stderr
    assert "Hotel" not in done.stderr and "Proxy Authentication" not in done.stderr and browser.urls() == []


def test_credentials_the_endpoint_refuses_are_one_line(
    initialised: IamUser,
    isolated_env: Path,
    console_env: dict[str, str],
    federation: FederationFake,
    browser: RecordingBrowser,
) -> None:
    state.authenticate(isolated_env)
    federation.reset()  # it no longer knows moto's role sessions: "Invalid credentials parameter"
    done = cli(isolated_env, "console", "-p", "prod", env=console_env)
    assert_one_line_failure(done)
    assert f"profile 'prod': {federation.federation_url} refused the credentials (HTTP 400)" in done.stderr
    assert federation.calls[-1].error == "unknown-credentials" and browser.urls() == []
    assert "Invalid credentials parameter" not in done.stderr  # the page is never shown


# --- the link is a secret; where it goes -----------------------------------------------------


def test_the_sign_in_link_is_never_logged_and_goes_only_to_the_browser_or_stdout(
    initialised: IamUser, isolated_env: Path, console_env: dict[str, str], federation: FederationFake
) -> None:
    state.authenticate(isolated_env)
    done = cli(isolated_env, "--debug", "console", "--print", "-p", "prod", env=console_env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "getSigninToken" in done.stderr  # the exchange was logged
    token = federation.tokens[-1].token
    role = cached(isolated_env)["prod"]
    assert token in done.stdout
    for secret in (token, token[:40], role["aws_secret_access_key"], role["aws_session_token"][:40]):
        assert secret not in done.stderr


def test_without_a_display_or_a_working_browser_the_link_is_printed(
    initialised: IamUser, isolated_env: Path, console_env: dict[str, str], tmp_path: Path, federation: FederationFake
) -> None:
    """No display; a BROWSER that fails (no other browser is tried then); no BROWSER and only
    text browsers on the PATH (never started: they would take over the terminal)."""
    state.authenticate(isolated_env)
    no_display = {k: v for k, v in console_env.items() if k != "DISPLAY"}
    failing = write_recording_browser(tmp_path / "failing", exit_code=1)
    text_only = tmp_path / "text-browsers"
    lynx = write_recording_browser(text_only, name="lynx")
    (text_only / "www-browser").symlink_to(lynx.path)
    only_text = {**{k: v for k, v in console_env.items() if k != "BROWSER"}, "PATH": str(text_only)}
    for environment in (no_display, {**console_env, **failing.env()}, only_text):
        done = run(isolated_env, "console", "-p", "prod", env=environment)
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{federation.login_url(federation.tokens[-1].token, PROD_CONSOLE)}\n"
        assert CHATTER not in done.stdout and "treat it as a password" in done.stderr
    assert len(failing.urls()) == 1 and lynx.urls() == []  # the failing one was asked; lynx never


# --- how long the console lasts --------------------------------------------------------------


def test_duration_renews_credentials_that_would_not_last_and_refuses_what_no_role_can_last(
    initialised: IamUser,
    isolated_env: Path,
    console_env: dict[str, str],
    federation: FederationFake,
    proxy: RecordingProxy,
) -> None:
    state.authenticate(isolated_env)
    assert cli(isolated_env, "console", "--print", "-p", "prod", env=console_env).returncode == 0
    first = cached(isolated_env)["prod"]["aws_access_key_id"]
    assert cli(isolated_env, "console", "--print", "-p", "prod", env=console_env).returncode == 0
    assert cached(isolated_env)["prod"]["aws_access_key_id"] == first  # 15 minutes left is enough by default
    # An hour: the role's credentials, made moments ago, have a little less: assumed again.
    done = cli(isolated_env, "console", "--print", "-p", "prod", "--duration", "1h", env=console_env)
    assert done.returncode == 0, done.stderr
    assert cached(isolated_env)["prod"]["aws_access_key_id"] != first
    assert sent_session(federation)["sessionId"] == cached(isolated_env)["prod"]["aws_access_key_id"]
    # Two hours: no role assumed with temporary credentials lasts that long. Refused before any call.
    proxy.calls.clear()
    calls = len(federation.calls)
    refused = cli(isolated_env, "console", "-p", "prod", "--duration", "2h", env=console_env)
    assert_one_line_failure(refused, 2)
    assert "an hour at most" in refused.stderr and proxy.calls == [] and len(federation.calls) == calls
    bad = cli(isolated_env, "console", "-p", "prod", "--duration", "13h", env=console_env)
    assert_one_line_failure(bad, 2)
    assert "15m to 12h" in bad.stderr


def test_an_sso_role_whose_credentials_end_too_soon_for_the_duration(
    sso: SsoFake, isolated_env: Path, console_env: dict[str, str], federation: FederationFake
) -> None:
    from test_sso import seed_token

    seed_token(sso, isolated_env)
    sso.credentials_ttl = 3600  # the permission set's session: an hour
    done = cli(isolated_env, "console", "--print", "-p", "dev-admin", "--duration", "2h", env=console_env)
    assert_one_line_failure(done)
    assert "last only until" in done.stderr and "shorter --duration" in done.stderr
    assert federation.calls == []
    sso.credentials_ttl = 4 * 3600
    done = cli(isolated_env, "console", "--print", "-p", "dev-admin", "--duration", "2h", env=console_env)
    assert done.returncode == 0, done.stderr
    assert sent_session(federation)["sessionId"] == sso.issued_credentials[-1]["accessKeyId"]
    assert len(sso.calls_to("GetRoleCredentials")) == 2  # fetched again for the longer duration
    assert federation.tokens[-1].credentials.expires_at == sso.issued_credentials[-1]["expiration"] / 1000
