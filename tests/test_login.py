"""No long-term key at all (issue 22): `stscreds login` signs in with the console credentials
(AWS CLI v2's `aws login`), and a login profile serves every consumer, refreshes, and shares
its token with AWS CLI v2 and botocore in both directions.

AWS Sign-In is tests/signinfake.py (proven against botocore's own LoginProvider in
test_signinfake.py), which AWS_ENDPOINT_URL_SIGNIN points at, as a person would point it. The
browser of a CLI process is the fake's BROWSER script, which follows the authorize URL as a
person would; in this process, a thread does the same. botocore's own login provider (with
awscrt, in this process) refreshes a token stscreds wrote, and stscreds one botocore wrote.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pexpect
import pytest
import signinfake as sf
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    AWS_BIN,
    BIN,
    STSCREDS,
    WITH_FIXTURES,
    ScriptedUI,
    assert_one_line_failure,
    broker_for,
    cli,
    cli_env,
    examples,
    run,
    spawn,
)
from hypothesis import assume, given, settings
from signinfake import SigninFake
from strategies import credential_files

from stscreds import browser, cache, ini_edit, signin
from stscreds.__main__ import fast_answer
from stscreds.commands import login as login_command
from stscreds.errors import NoInputError, StscredsError, UsageError

ALICE = sf.DEFAULT_PRINCIPAL
PROFILE = "dev"
BROWSER = f"{sys.executable} {sf.__file__} %s"
KEY_ID = re.compile(r"ASIA[A-Z2-7]{16}")


@pytest.fixture(scope="module")
def _server() -> Iterator[SigninFake]:
    with SigninFake() as fake:
        yield fake


@pytest.fixture
def fake(_server: SigninFake, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> SigninFake:
    """The fake, reset, on the real clock (CLI processes prove with it), and this process's
    sign-in endpoint and browser pointed at it."""
    _server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", _server.url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(
        browser, "open_url", lambda url: threading.Thread(target=sf.browse, args=(url,)).start() or True
    )
    return _server


def login_env(home: Path, fake: SigninFake, **extra: str) -> dict[str, str]:
    """A person's shell: AWS Sign-In at the fake, and a browser that signs in when opened."""
    return cli_env(
        home,
        AWS_ENDPOINT_URL_SIGNIN=fake.url,
        AWS_EC2_METADATA_DISABLED="true",
        DISPLAY=":0",
        BROWSER=BROWSER,
        SIGNINFAKE_BROWSER_LOG=str(home / "browser.log"),
        **extra,
    )


def token_dir(home: Path) -> Path:
    return home / ".aws" / "login" / "cache"


def token_path(home: Path, session: str = ALICE) -> Path:
    return token_dir(home) / (hashlib.sha256(session.encode()).hexdigest() + ".json")


def write_config(home: Path, text: str) -> Path:
    path = home / ".aws" / "config"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def aws_cli_login(fake: SigninFake, home: Path, expires_in: int | None = None, config: str = "") -> dict[str, Any]:
    """What AWS CLI v2's `aws login --profile dev` leaves (the fake's own client signs in as
    the CLI does): the token cache, and the profile. `expires_in`: its credentials end that
    many seconds from now."""
    login = sf.login(fake.url)
    token = dict(login.token)
    if expires_in is not None:
        token["accessToken"] = {**token["accessToken"], "expiresAt": sf.expires_at(time.time, expires_in)}
    sf.write_cache(token_dir(home), login.session, token)
    write_config(home, config or f"[profile {PROFILE}]\nlogin_session = {login.session}\nregion = eu-west-1\n")
    return token


def cached_token(home: Path, session: str = ALICE) -> dict[str, Any]:
    token: dict[str, Any] = json.loads(token_path(home, session).read_text())
    return token


def signed_in_here(flag: str | None = PROFILE, **options: Any) -> login_command.LoggedIn:
    """`stscreds login` in this process, the browser a thread."""
    return login_command.login(flag, ScriptedUI(), **options)


# --- stscreds login ------------------------------------------------------------------------------


def test_login_signs_in_with_the_browser_and_writes_what_aws_cli_v2_writes(
    fake: SigninFake, isolated_env: Path
) -> None:
    before = "# mine\n[default]\nregion = eu-west-1 # keep\n\n[profile dev]\noutput=json\n"
    config = write_config(isolated_env, before)
    env = login_env(isolated_env, fake)
    done = run(isolated_env, "login", "--profile", PROFILE, "--region", "eu-west-2", env=env)

    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert f"Signed in as {ALICE}" in done.stderr
    assert sf.BROWSER_CHATTER in done.stderr  # what the browser printed, kept off stdout
    # The browser went to the authorize page, then back to the one-shot listener on 127.0.0.1.
    visits = list(sf.iter_visits(isolated_env / "browser.log"))
    assert len(visits) == 1 and visits[0].status == 200
    authorize, callback = visits[0].urls
    assert authorize.startswith(
        f"{fake.url}/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&state="
    )
    assert re.search(
        r"&code_challenge_method=SHA-256&scope=openid&redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A\d+", authorize
    )
    assert re.match(r"http://127\.0\.0\.1:\d+/oauth/callback\?code=", callback)
    # The token, where and as AWS CLI v2 writes it, with signInRegion.
    path = token_path(isolated_env)
    token = json.loads(path.read_text())
    assert list(token) == [
        "accessToken", "tokenType", "clientId", "refreshToken", "idToken", "dpopKey", "signInRegion",
    ]  # fmt: skip
    issued = fake.issued[-1]
    assert token["accessToken"] == {
        "accessKeyId": issued.access_key_id,
        "secretAccessKey": issued.secret_access_key,
        "sessionToken": issued.session_token,
        "accountId": "123456789012",
        "expiresAt": token["accessToken"]["expiresAt"],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", token["accessToken"]["expiresAt"])
    assert (token["tokenType"], token["clientId"], token["signInRegion"]) == ("aws_sigv4", sf.SAME_DEVICE, "eu-west-2")
    assert token["refreshToken"] == issued.refresh_token
    assert token["dpopKey"].startswith("-----BEGIN EC PRIVATE KEY-----\n") and token["dpopKey"].endswith("-----\n")
    assert sf.sec1_pem(sf.load_dpop_key(token["dpopKey"])) == token["dpopKey"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and not [
        p for p in token_dir(isolated_env).iterdir() if p != path
    ]
    # The config: only login_session and region added to [profile dev], every other byte kept.
    assert config.read_text() == before + f"login_session = {ALICE}\nregion = eu-west-2\n"
    # The proof the exchange carried, and what it exchanged.
    exchange = fake.calls_to("CreateOAuth2Token")[0]
    assert exchange.status == 200 and exchange.dpop is not None
    assert exchange.dpop["claims"]["htu"] == fake.token_url and set(exchange.dpop["claims"]) == {
        "htm", "htu", "iat", "jti",
    }  # fmt: skip
    assert (exchange.body or {})["grantType"] == "authorization_code" and fake.redemptions == 1
    # Served from stscreds' cache by the fast path: no JSON, no call.
    calls = len(fake.calls)
    done = cli(isolated_env, "read", "aws_access_key_id", "--profile", PROFILE, env=env)
    assert done.stdout == issued.access_key_id + "\n" and len(fake.calls) == calls


def test_remote_login_shows_the_url_and_takes_the_pasted_code_on_a_terminal(
    fake: SigninFake, isolated_env: Path
) -> None:
    env = login_env(isolated_env, fake)
    shell = spawn(f"{STSCREDS} login --remote --profile {PROFILE} --region eu-west-1 >out", env, isolated_env)
    shell.expect(r"(http://127\.0\.0\.1:\d+/v1/authorize\?\S+)")
    url = shell.match.group(1)
    visit = sf.browse(url)  # the person, on another device
    assert visit.paste_code is not None and "client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fcross-device" in url
    shell.expect_exact("paste the authorization code")
    shell.sendline(visit.paste_code)
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert (isolated_env / "out").read_text() == ""
    token = cached_token(isolated_env)
    assert token["clientId"] == sf.CROSS_DEVICE
    assert (fake.calls_to("CreateOAuth2Token")[0].body or {})["redirectUri"] == fake.confirmation_url
    assert not (isolated_env / "browser.log").exists()  # no browser was opened here


def test_an_answer_for_another_sign_in_is_refused_by_its_state(
    fake: SigninFake, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code must come back with this sign-in's `state`: the listener's callback, or the code
    pasted after --remote. Another's is refused, its code never redeemed, nothing written."""

    def another_sign_in(url: str) -> bool:
        threading.Thread(target=sf.browse, args=(re.sub(r"state=[^&]+", "state=another", url),)).start()
        return True

    monkeypatch.setattr(browser, "open_url", another_sign_in)
    with pytest.raises(StscredsError, match="its state differs"):
        signed_in_here(region="eu-west-1")

    class Person(ScriptedUI):
        def ask(self, prompt: str, *, secret: bool = False) -> str:
            found = re.search(r"http://\S+", self.said[-1])
            pasted = sf.browse(found.group() if found else "").paste_code or ""
            code, _ = sf.parse_paste_code(pasted)
            return base64.b64encode(f"state=another&code={code}".encode()).decode()

    with pytest.raises(StscredsError, match="its state differs"):
        login_command.login(PROFILE, Person(), remote=True, region="eu-west-1")
    assert fake.calls_to("CreateOAuth2Token") == [] and fake.redemptions == 0
    assert not token_dir(isolated_env).exists() and not (isolated_env / ".aws" / "config").exists()


@pytest.mark.parametrize(
    ("config", "credentials", "stored", "named"),
    [
        ("", "[dev]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n", False, "keys .* in /"),
        ("[profile dev]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = default\n", "", False, "a role"),
        ("[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n", "", False, "IAM Identity"),
        ("[profile dev]\ncredential_process = stscreds credential-process --profile x\n", "", False, "a credential_"),
        ("[profile dev]\ncredential_process = /bin/echo\n", "", False, "credential_process"),
        ("[profile dev]\nweb_identity_token_file = /t\nrole_arn = arn:aws:iam::1:role/R\n", "", False, "web identity"),
        ("", "", True, "stscreds profile"),
    ],
    ids=["shared-credentials-keys", "role", "sso", "stscreds-alias", "process", "web-identity", "stscreds-keys"],
)
def test_a_profile_with_other_credentials_is_refused_before_the_browser_opens(
    fake: SigninFake, isolated_env: Path, config: str, credentials: str, stored: bool, named: str
) -> None:
    import state

    write_config(isolated_env, config)
    if credentials:
        (isolated_env / ".aws" / "credentials").write_text(credentials)
    if stored:
        state.store_keys(isolated_env, sf_user(), PROFILE)
    with pytest.raises(UsageError, match=named):
        signed_in_here()
    assert fake.calls == [] and not token_dir(isolated_env).exists()
    assert (isolated_env / ".aws" / "config").read_text() == config


def sf_user() -> Any:
    class Pair:
        access_key_id = "AKIAEXAMPLEEXAMPLE01"
        secret_access_key = "secret"

    return Pair()


def test_another_login_session_is_replaced_only_when_the_person_says_so(fake: SigninFake, isolated_env: Path) -> None:
    old = "arn:aws:iam::123456789012:user/bob"
    config = write_config(isolated_env, f"[profile {PROFILE}]\nlogin_session = {old}\nregion = eu-west-1\n")
    before = config.read_text()
    cache.update({PROFILE: {"aws_access_key_id": "ASIAOLD", "root": f"login-session.{old}"}})
    with pytest.raises(StscredsError, match="left as it was; nothing was written"):
        login_command.login(PROFILE, ScriptedUI("n"))
    assert config.read_text() == before and not token_dir(isolated_env).exists()

    done = login_command.login(PROFILE, ScriptedUI("y"))
    assert done.replaced == old and done.session == ALICE and done.region is None
    assert config.read_text() == before.replace(old, ALICE)
    assert cache.sections()[PROFILE]["root"] == f"login-session.{ALICE}"  # the old login's is gone


@pytest.mark.parametrize(
    ("config", "flag", "variable", "answers", "asked", "written"),
    [
        ("region = eu-west-1\n", "ap-south-1", None, (), False, None),  # the profile's own stays
        ("", "ap-south-1", None, (), False, "ap-south-1"),  # given
        ("", None, None, ("sa-east-1",), True, "sa-east-1"),  # asked
        ("", None, None, ("",), True, "us-east-1"),  # asked, the default taken
        ("", None, "ca-central-1", (), False, None),  # AWS_DEFAULT_REGION: neither asked nor written
    ],
    ids=["profile-has-one", "given", "asked", "asked-default", "environment"],
)
def test_the_region_is_written_only_when_the_profile_has_none_and_one_was_given_or_asked(
    fake: SigninFake,
    isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str,
    flag: str | None,
    variable: str | None,
    answers: tuple[str, ...],
    asked: bool,
    written: str | None,
) -> None:
    if variable:
        monkeypatch.setenv("AWS_DEFAULT_REGION", variable)
    write_config(isolated_env, f"[profile {PROFILE}]\n{config}")
    ui = ScriptedUI(*answers, interactive=True)
    done = login_command.login(PROFILE, ui, region=flag)
    assert bool(ui.prompts) == asked and done.region == written
    settings = raw_config_parse(str(isolated_env / ".aws" / "config"))[f"profile {PROFILE}"]
    assert settings.get("region") == (written or (config and "eu-west-1") or None)
    assert cached_token(isolated_env)["signInRegion"] == (flag or variable or written or "eu-west-1")


def test_login_without_cryptography_is_one_line_naming_the_install_and_opens_nothing(
    fake: SigninFake, isolated_env: Path, tmp_path: Path
) -> None:
    hidden = tmp_path / "no-cryptography" / "cryptography"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('hidden')\n")
    env = login_env(
        isolated_env, fake, PYTHONPATH=os.pathsep.join([str(hidden.parent), cli_env(isolated_env)["PYTHONPATH"]])
    )
    done = run(isolated_env, "login", "--profile", PROFILE, "--region", "eu-west-1", env=env)
    assert_one_line_failure(done)
    assert "need the cryptography package" in done.stderr and "pip install 'stscreds[login]'" in done.stderr
    assert fake.calls == [] and not (isolated_env / ".aws" / "config").exists()


@settings(max_examples=examples(30), suppress_health_check=WITH_FIXTURES)
@given(generated=credential_files())
def test_login_changes_only_its_lines_in_any_config_file(
    generated: tuple[list[str], int | None, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    blocks, index, managed = generated
    profile = managed
    if index is not None and managed != "default":  # the managed block as a config file's [profile NAME]
        blocks = list(blocks)
        blocks[index] = blocks[index].replace(f"[{managed}]", f"[profile {managed}]", 1)
    text = "".join(blocks)
    path = tmp_path_factory.mktemp("config") / "config"
    path.write_bytes(text.encode())
    try:
        before = raw_config_parse(str(path))
    except Exception:
        assume(False)
    assume(" " not in profile and "[DEFAULT]" not in text)  # a [DEFAULT]'s values show in every section
    section = login_command.section_of(profile)
    had_region = "region" in before.get(section, {})
    updates = login_command.profile_updates(profile, ALICE, None if had_region else "eu-west-1")
    try:
        ini_edit.edit_file(str(path), updates, "config file", "AWS_CONFIG_FILE")
    except StscredsError as error:  # only where botocore would read the edit differently
        assert "[DEFAULT]" in text or "\r" in text, error
        return
    after = raw_config_parse(str(path))
    expected = {**before.get(section, {}), "login_session": ALICE, **({} if had_region else {"region": "eu-west-1"})}
    assert after[section] == expected
    assert {k: v for k, v in after.items() if k != section} == {k: v for k, v in before.items() if k != section}
    if section not in before:  # a new profile: appended, every byte before it kept
        assert path.read_bytes().startswith(text.rstrip("\r\n").encode())


# --- botocore and AWS CLI v2 share the login, both ways ------------------------------------------


def botocore_credentials(profile: str = PROFILE) -> Any:
    return botocore.session.Session(profile=profile).get_credentials().get_frozen_credentials()


def test_botocore_refreshes_a_login_stscreds_made_and_stscreds_one_botocore_refreshed(
    fake: SigninFake, isolated_env: Path
) -> None:
    signed_in_here(region="eu-west-1")
    path = token_path(isolated_env)
    # Within 5 minutes of its end: botocore's own provider (with awscrt) refreshes what stscreds wrote.
    mine = cached_token(isolated_env)
    path.write_text(
        json.dumps({**mine, "accessToken": {**mine["accessToken"], "expiresAt": sf.expires_at(time.time, 60)}})
    )
    assert botocore_credentials().access_key == fake.issued[-1].access_key_id and fake.refreshes == 1
    theirs = cached_token(isolated_env)
    kept = ("tokenType", "clientId", "idToken", "dpopKey", "signInRegion")
    assert {k: theirs[k] for k in kept} == {k: mine[k] for k in kept} and theirs["refreshToken"] != mine["refreshToken"]

    # stscreds serves what botocore refreshed, with no call of its own (once what it cached at
    # login is gone)...
    cache.remove([PROFILE])
    broker = broker_for(ScriptedUI())
    assert broker.get(PROFILE).access_key_id == theirs["accessToken"]["accessKeyId"] and fake.refreshes == 1
    # ...and refreshes it in turn with the refresh token botocore wrote, the way botocore writes it.
    cache.remove([PROFILE])
    path.write_text(
        json.dumps({**theirs, "accessToken": {**theirs["accessToken"], "expiresAt": sf.expires_at(time.time, 60)}})
    )
    refreshed = broker.get(PROFILE)
    assert fake.refreshes == 2 and refreshed.access_key_id == fake.issued[-1].access_key_id
    ours = cached_token(isolated_env)
    assert list(ours) == list(theirs) and {k: ours[k] for k in kept} == {k: theirs[k] for k in kept}
    assert ours["refreshToken"] == fake.issued[-1].refresh_token and ours["accessToken"]["accountId"] == "123456789012"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(list(token_dir(isolated_env).iterdir())) == 1
    refresh = fake.calls_to("CreateOAuth2Token")[-1]
    assert refresh.body == {
        "clientId": sf.SAME_DEVICE,
        "refreshToken": theirs["refreshToken"],
        "grantType": "refresh_token",
    }
    # botocore then uses what stscreds wrote, with no call.
    assert botocore_credentials().access_key == refreshed.access_key_id and fake.refreshes == 2


def test_stscreds_uses_a_login_aws_cli_v2_made_and_keeps_fields_it_does_not_know(
    fake: SigninFake, isolated_env: Path
) -> None:
    token = aws_cli_login(fake, isolated_env, expires_in=-60)  # an old `aws login`: no signInRegion
    path = token_path(isolated_env)
    path.write_text(json.dumps({**token, "someOtherToolsField": {"kept": True}}))
    credentials = broker_for(ScriptedUI()).get(PROFILE)
    assert credentials.access_key_id == fake.issued[-1].access_key_id
    written = cached_token(isolated_env)
    assert written["someOtherToolsField"] == {"kept": True} and written["signInRegion"] == "eu-west-1"


# --- one refresh at the edge of expiry ---------------------------------------------------------


def test_eight_shells_at_the_edge_of_expiry_cause_one_refresh(fake: SigninFake, isolated_env: Path) -> None:
    aws_cli_login(fake, isolated_env, expires_in=120)
    fake.latency = 0.3  # the first refresh is still under way while the others start
    env = login_env(isolated_env, fake)
    shells = [
        subprocess.Popen(
            [STSCREDS, "read", "aws_access_key_id", "--profile", PROFILE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(8)
    ]
    outputs = [shell.communicate(timeout=60) for shell in shells]
    assert [shell.returncode for shell in shells] == [0] * 8, outputs
    assert fake.refreshes == 1
    assert {out for out, _ in outputs} == {fake.issued[-1].access_key_id + "\n"}


def test_thirty_two_library_threads_at_the_edge_of_expiry_cause_one_refresh(
    fake: SigninFake, isolated_env: Path
) -> None:
    import stscreds

    aws_cli_login(fake, isolated_env, expires_in=120)
    fake.latency = 0.2
    start = threading.Barrier(32)
    results: list[Any] = []

    def one() -> None:
        start.wait()
        results.append(stscreds.get_credentials(PROFILE).access_key_id)

    threads = [threading.Thread(target=one) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert fake.refreshes == 1 and results == [fake.issued[-1].access_key_id] * 32


# --- every consumer -----------------------------------------------------------------------------

EXEC_CHILD = "import os; print(os.environ['AWS_ACCESS_KEY_ID'])"
SERVER_CHILD = "import boto3; c = boto3.Session().get_credentials().get_frozen_credentials(); print(c.access_key)"


def test_a_login_profile_serves_every_consumer(fake: SigninFake, isolated_env: Path) -> None:
    """read, env, credential-process and status from the fast path (no JSON, no crypto: see
    test_layers), exec and exec --server, and the library; the consumers' wider margins are
    met by a login's 15 minutes."""
    import stscreds

    token = aws_cli_login(fake, isolated_env, expires_in=600)  # 10 minutes: inside credential-process' 15
    key = token["accessToken"]["accessKeyId"]
    env = login_env(isolated_env, fake)
    assert run(isolated_env, "read", "aws_access_key_id", "-p", PROFILE, env=env).stdout == key + "\n"
    for args in (["read", "aws_session_token"], ["env"], ["credential-process"], ["status", "--json"]):
        assert fast_answer([*args, "--profile", PROFILE]) is not None, args
    assert json.loads(fast_answer(["credential-process", "-p", PROFILE]) or "")["AccessKeyId"] == key
    status = json.loads(fast_answer(["status", "--json", "-p", PROFILE]) or "")
    assert (status["login_session"], status["user_arn"], status["rests_on_long_term_key"]) == (ALICE, ALICE, False)
    done = run(isolated_env, "exec", "-p", PROFILE, "--", sys.executable, "-c", EXEC_CHILD, env=env)
    assert done.stdout == key + "\n", done.stderr
    done = run(isolated_env, "exec", "--server", "-p", PROFILE, "--", sys.executable, "-c", SERVER_CHILD, env=env)
    assert done.stdout == key + "\n", done.stderr
    assert stscreds.get_credentials(PROFILE).access_key_id == key
    assert stscreds.boto3_session(PROFILE).get_credentials().get_frozen_credentials().access_key == key
    assert fake.refreshes == 0


def test_console_signs_in_with_a_role_sessions_login_and_refuses_an_iam_users_before_any_call(
    fake: SigninFake, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login's credentials are a role session's when a federated identity signed in: they go
    to the federation endpoint like a role's. An IAM user's login is refused as the user's MFA
    session is, from its login_session, before any call; so is --duration (a login lasts 15
    minutes at most)."""
    from federationfake import FederationFake

    from stscreds.commands.console import console_link

    aws_cli_login(fake, isolated_env, expires_in=600)
    calls = len(fake.calls)
    with pytest.raises(UsageError, match=rf"is a login of {ALICE}, not of a role.*source_profile = {PROFILE}\)"):
        console_link(PROFILE, broker_for(ScriptedUI()))
    fake.principal_arn = "arn:aws:sts::123456789012:assumed-role/Admin/alice"
    token = aws_cli_login(fake, isolated_env, expires_in=600)
    with pytest.raises(UsageError, match="leave --duration out"):
        console_link(PROFILE, broker_for(ScriptedUI()), duration_seconds=3600)
    assert len(fake.calls) == calls + 2 and not cache.sections()  # the two sign-ins of aws_cli_login only
    issued = token["accessToken"]
    with FederationFake() as federation:
        federation.allow(issued["accessKeyId"], issued["secretAccessKey"], issued["sessionToken"])
        monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", federation.url)
        link = console_link(PROFILE, broker_for(ScriptedUI()))
        assert federation.calls_to("getSigninToken")[-1].session == {
            "sessionId": issued["accessKeyId"],
            "sessionKey": issued["secretAccessKey"],
            "sessionToken": issued["sessionToken"],
        }
        assert link.kind == "login" and link.url.startswith(federation.url + "/federation?Action=login")
    assert fake.refreshes == 0


ROLES_ON_LOGIN = f"""\
[profile {PROFILE}]
login_session = {ALICE}
region = eu-west-1

[profile prod]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = {PROFILE}

[profile prod-process]
credential_process = {STSCREDS} credential-process --profile prod
region = eu-west-1
"""


def test_a_role_on_a_login_profile_through_boto3_and_the_aws_cli(
    fake: SigninFake, isolated_env: Path, proxy: RecordingProxy
) -> None:
    aws_cli_login(fake, isolated_env, expires_in=-60, config=ROLES_ON_LOGIN)
    env = login_env(isolated_env, fake, AWS_ENDPOINT_URL=proxy.url)
    boto3_caller = (
        "import boto3; print(boto3.Session(profile_name='prod-process').client('sts').get_caller_identity()['Arn'])"
    )
    done = subprocess.run([str(BIN / "python"), "-c", boto3_caller], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [AWS_BIN, "sts", "get-caller-identity", "--profile", "prod-process"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    # One refresh, one AssumeRole signed with the login's credentials (no MFA code), then the role's used twice.
    assume_role = [call for call in proxy.calls if call.action == "AssumeRole"]
    assert fake.refreshes == 1 and len(assume_role) == 1
    assert assume_role[0].access_key_id == fake.issued[-1].access_key_id and "TokenCode" not in assume_role[0].params
    callers = [call.access_key_id for call in proxy.calls if call.action == "GetCallerIdentity"]
    assert len(callers) >= 2 and callers[-2] == callers[-1] == cache.sections()["prod"]["aws_access_key_id"]


def test_assume_all_renews_the_roles_on_a_login_in_parallel(
    fake: SigninFake, isolated_env: Path, proxy: RecordingProxy
) -> None:
    from stscreds.commands.assume import assume

    roles = "".join(
        f"\n[profile role{n}]\nrole_arn = arn:aws:iam::222222222222:role/R{n}\nsource_profile = {PROFILE}\n"
        f"role_session_name = s{n}\n"
        for n in range(6)
    )
    aws_cli_login(fake, isolated_env, expires_in=-60, config=f"[profile {PROFILE}]\nlogin_session = {ALICE}\n{roles}")
    proxy.hold("AssumeRole", 6)
    done = assume([], True, broker_for(ScriptedUI()), parallel=32)
    assert [a.profile for a in done] == [f"role{n}" for n in range(6)]
    assert all(not isinstance(a.result, Exception) for a in done), done
    assert proxy.most_at_once("AssumeRole") == 6 and fake.refreshes == 1


# --- when the login cannot be refreshed --------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        (lambda fake: fake.end_sessions(), "TOKEN_EXPIRED"),
        (lambda fake: fake.change_credentials(), "USER_CREDENTIALS_CHANGED"),
    ],
    ids=["session-ended", "password-changed"],
)
def test_an_unrefreshable_login_says_to_run_stscreds_login_where_no_one_can_sign_in(
    fake: SigninFake, isolated_env: Path, change: Any, kind: str
) -> None:
    aws_cli_login(fake, isolated_env, expires_in=60)
    change(fake)
    with pytest.raises(NoInputError) as error:
        broker_for(ScriptedUI()).get(PROFILE)
    assert kind in str(error.value) and str(error.value).endswith("run `stscreds login --profile dev`")
    assert fake.redemptions == 1  # no new sign-in was started


def test_an_ended_login_signs_in_again_on_a_terminal(fake: SigninFake, isolated_env: Path) -> None:
    aws_cli_login(fake, isolated_env, expires_in=60)
    fake.end_sessions()
    env = login_env(isolated_env, fake)
    shell = spawn(f"{STSCREDS} read aws_access_key_id --profile {PROFILE} >out", env, isolated_env)
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert "TOKEN_EXPIRED" in shell.before and "Signing in with your browser" in shell.before
    assert (isolated_env / "out").read_text() == fake.issued[-1].access_key_id + "\n"
    assert fake.redemptions == 2 and cached_token(isolated_env)["refreshToken"] == fake.issued[-1].refresh_token


def test_without_the_policy_it_is_one_line_naming_it(fake: SigninFake, isolated_env: Path) -> None:
    aws_cli_login(fake, isolated_env, expires_in=60)
    fake.denied_principals.add(ALICE)
    env = login_env(isolated_env, fake)
    done = cli(isolated_env, "read", "aws_access_key_id", "--profile", PROFILE, env=env)
    assert_one_line_failure(done)
    assert "INSUFFICIENT_PERMISSIONS" in done.stderr and signin.POLICY in done.stderr
    done = cli(isolated_env, "login", "--profile", "other", "--region", "eu-west-1", env=env)
    assert_one_line_failure(done)
    assert signin.POLICY in done.stderr and "other" not in (isolated_env / ".aws" / "config").read_text()


def test_a_refresh_another_tool_made_meanwhile_is_used_not_refused(fake: SigninFake, isolated_env: Path) -> None:
    """botocore takes no lock: it may refresh between stscreds' read of the file and its call;
    the refresh token stscreds sends is then refused, and the file holds the answer."""
    token = aws_cli_login(fake, isolated_env, expires_in=60)
    elsewhere = sf.refresh(fake.url, token)
    original = signin.refresh

    def after_another_tool(*args: Any, **kwargs: Any) -> Any:
        sf.write_cache(token_dir(isolated_env), ALICE, elsewhere)
        return original(*args, **kwargs)

    signin.refresh = after_another_tool  # type: ignore[assignment]
    try:
        credentials = broker_for(ScriptedUI()).get(PROFILE)
    finally:
        signin.refresh = original  # type: ignore[assignment]
    assert credentials.access_key_id == elsewhere["accessToken"]["accessKeyId"] and fake.redemptions == 1


# --- logout --login ------------------------------------------------------------------------------


def test_logout_login_removes_the_token_and_what_stscreds_cached_from_it(
    fake: SigninFake, isolated_env: Path, proxy: RecordingProxy
) -> None:
    aws_cli_login(fake, isolated_env, config=ROLES_ON_LOGIN)
    broker = broker_for(ScriptedUI())
    broker.get("prod")
    cache.update({"unrelated": {"aws_access_key_id": "ASIAX", "root": "session.default"}})
    config = (isolated_env / ".aws" / "config").read_text()
    env = login_env(isolated_env, fake)
    done = cli(isolated_env, "logout", "--login", "--profile", PROFILE, env=env)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert "15 minutes at most" in done.stderr and "dev, prod" in done.stderr
    assert not token_path(isolated_env).exists() and list(cache.sections()) == ["unrelated"]
    assert (isolated_env / ".aws" / "config").read_text() == config
    done = cli(isolated_env, "read", "aws_access_key_id", "--profile", PROFILE, env=env)
    assert_one_line_failure(done)
    assert done.stderr.rstrip().endswith("run `stscreds login --profile dev`")
    done = cli(isolated_env, "logout", env=env)
    assert_one_line_failure(done, 2)
    assert "--login" in done.stderr


def test_debug_logs_keep_every_secret_of_a_login_out(fake: SigninFake, isolated_env: Path) -> None:
    env = login_env(isolated_env, fake)
    done = cli(isolated_env, "--debug", "login", "--profile", PROFILE, "--region", "eu-west-1", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    token = cached_token(isolated_env)
    logged = done.stderr
    # A refresh, logged too.
    cache.remove([PROFILE])
    token_path(isolated_env).write_text(
        json.dumps({**token, "accessToken": {**token["accessToken"], "expiresAt": sf.expires_at(time.time, 60)}})
    )
    done = cli(isolated_env, "--debug", "read", "aws_access_key_id", "--profile", PROFILE, env=env)
    assert done.returncode == 0 and fake.refreshes == 1, done.stderr[-2000:]
    logged += done.stderr
    assert logged.count("signin CreateOAuth2Token") == 2  # one line per call (the code's and the refresh)
    refreshed = cached_token(isolated_env)
    secrets = [
        *((fake.calls_to("CreateOAuth2Token")[0].body or {})[name] for name in ("code", "codeVerifier")),
        token["idToken"],
        *(t["refreshToken"] for t in (token, refreshed)),
        *(t["accessToken"][name] for t in (token, refreshed) for name in ("secretAccessKey", "sessionToken")),
        *token["dpopKey"].splitlines()[1:-1],
    ]
    assert [secret for secret in secrets if secret in logged] == []
    assert not re.search(r"DPoP['\"]?\s*:\s*['\"]?ey", logged)  # the proofs themselves


def test_the_key_commands_name_login_for_a_login_profile(fake: SigninFake, isolated_env: Path) -> None:
    aws_cli_login(fake, isolated_env)
    env = login_env(isolated_env, fake)
    for command in ("auth", "rotate", "whoami", "retire-keys"):
        done = cli(isolated_env, command, "--profile", PROFILE, env=env)
        assert_one_line_failure(done, 2)
        assert "is a login profile" in done.stderr and "`stscreds login --profile dev`" in done.stderr, command
