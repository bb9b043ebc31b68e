"""AWS IAM Identity Center (issue 13): log in once, discover every account and role, use them
through every consumer.

No local AWS look-alike has the `sso` portal or `sso-oidc`: tests/ssofake.py speaks their real
REST-JSON protocol, and the environment points every client at it, as a person would. The real
consumers check the rest: botocore's own SSO provider uses the token cache stscreds writes, and
stscreds uses one written in botocore's format; the AWS CLI and boto3 read discovered profiles.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    AWS_BIN,
    STSCREDS,
    WITH_FIXTURES,
    WaitProbe,
    assert_one_line_failure,
    cli,
    examples,
    free_port,
    run,
    spawn,
)
from hypothesis import assume, given, settings
from ssofake import DEFAULT_START_URL, SsoFake
from strategies import credential_files

from stscreds import ini, ini_edit
from stscreds.aws import Timeouts

CONFIG = f"""\
# written by hand, as for AWS CLI v2
[sso-session corp]
sso_start_url = {DEFAULT_START_URL}
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile dev-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess
region = eu-west-1

[profile legacy]
sso_start_url = {DEFAULT_START_URL}
sso_region = eu-west-1
sso_account_id = 222222222222
sso_role_name = eks-admin
"""
SESSION_TOKEN_FILE = hashlib.sha1(b"corp").hexdigest() + ".json"
LEGACY_TOKEN_FILE = hashlib.sha1(DEFAULT_START_URL.encode()).hexdigest() + ".json"


@pytest.fixture(scope="module")
def _fake() -> Iterator[SsoFake]:
    with SsoFake() as fake:
        yield fake


@pytest.fixture
def fake(_fake: SsoFake) -> SsoFake:
    _fake.reset()
    _fake.interval = 0  # no waiting between polls in tests
    _fake.auto_approve_after = 1  # the person approves after one "pending"
    return _fake


@pytest.fixture
def sso_env(fake: SsoFake, isolated_env: Path, env: dict[str, str]) -> dict[str, str]:
    """The CLI's environment: both IAM Identity Center services at the fake (STS at moto),
    and the config above."""
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir(exist_ok=True)
    config.write_text(CONFIG)
    return {
        **env,
        "AWS_ENDPOINT_URL_SSO": fake.url,
        "AWS_ENDPOINT_URL_SSO_OIDC": fake.url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def cache_dir(home: Path) -> Path:
    return home / ".aws" / "sso" / "cache"


def seed_token(fake: SsoFake, home: Path, legacy: bool = False, expires_in: int = 3600) -> dict[str, object]:
    """A login as AWS CLI v2 leaves it (botocore's format), without the device flow."""
    issued = fake.issue_tokens()
    token: dict[str, object] = {
        "startUrl": DEFAULT_START_URL,
        "region": "eu-west-1",
        "accessToken": issued["accessToken"],
        "expiresAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in)),
    }
    if not legacy:
        token.update(
            clientId=issued["clientId"],
            clientSecret=issued["clientSecret"],
            registrationExpiresAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued["clientSecretExpiresAt"])),
            refreshToken=issued["refreshToken"],
        )
    folder = cache_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / (LEGACY_TOKEN_FILE if legacy else SESSION_TOKEN_FILE)).write_text(json.dumps(token))
    return token


def cached_roles(home: Path) -> dict[str, dict[str, str]]:
    path = home / ".stscreds" / "cache"
    return raw_config_parse(str(path)) if path.exists() else {}


# --- log in once: the device flow, and a cache every tool shares -------------------------------


def test_login_writes_the_cache_that_aws_cli_v2_and_botocore_use(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    fake.slow_down_times = 1  # one slow_down: the poller waits 5 s longer, as RFC 8628 says
    probe = WaitProbe(tmp_path, sleep_scale=0.02)  # the waits recorded, and made 50 times shorter
    done = run(isolated_env, "sso", "login", "--sso-session", "corp", "--no-browser", env=probe.env(sso_env))
    assert done.returncode == 0, done.stderr
    # interval 0, then slow_down (+5 s), then authorization_pending: 5 s again, then the token.
    assert probe.waits("sleep") == [5.0, 5.0]
    assert done.stdout == ""  # the URL and code go to the terminal, never stdout
    device = fake.calls_to("StartDeviceAuthorization")
    assert len(device) == 1 and "/device?user_code=" in done.stderr and "Signed in" in done.stderr
    assert [c.body["grantType"] for c in fake.calls_to("CreateToken")][-1].endswith("device_code")  # type: ignore[index]

    token = json.loads((cache_dir(isolated_env) / SESSION_TOKEN_FILE).read_text())
    assert set(token) == {
        "startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt", "refreshToken",
    }  # fmt: skip
    assert token["startUrl"] == DEFAULT_START_URL and token["expiresAt"].endswith("Z")
    registration_key = hashlib.sha1(
        json.dumps(
            {"tool": "botocore", "startUrl": DEFAULT_START_URL, "region": "eu-west-1",
             "scopes": ["sso:account:access"], "session_name": "corp"},
            sort_keys=True,
        ).encode()
    ).hexdigest()  # fmt: skip
    registration = json.loads((cache_dir(isolated_env) / f"{registration_key}.json").read_text())
    assert registration["clientId"] == token["clientId"] and registration["scopes"] == ["sso:account:access"]
    for path in cache_dir(isolated_env).iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # botocore's own SSO provider, and the AWS CLI on it, use this login.
    sdk = subprocess.run(
        [
            sys.executable,
            "-c",
            "import boto3; print(boto3.Session(profile_name='dev-admin').get_credentials().access_key)",
        ],
        capture_output=True,
        text=True,
        env=sso_env,
    )
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.strip() == fake.issued_credentials[-1]["accessKeyId"]
    cli = subprocess.run(
        [AWS_BIN, "sts", "get-caller-identity", "--profile", "dev-admin"], capture_output=True, text=True, env=sso_env
    )
    assert cli.returncode == 0, cli.stderr
    assert proxy.calls[-1].access_key_id == fake.issued_credentials[-1]["accessKeyId"]


def test_stscreds_uses_a_login_made_by_aws_sso_login(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    seed_token(fake, isolated_env)
    seed_token(fake, isolated_env, legacy=True)
    for profile, account, role in (
        ("dev-admin", "111111111111", "AdministratorAccess"),
        ("legacy", "222222222222", "eks-admin"),
    ):
        done = cli(isolated_env, "read", "aws_access_key_id", "--profile", profile, env=sso_env)
        assert done.returncode == 0, done.stderr
        issued = fake.issued_credentials[-1]
        assert (issued["accountId"], issued["roleName"]) == (account, role)
        assert done.stdout.strip() == issued["accessKeyId"] == cached_roles(isolated_env)[profile]["aws_access_key_id"]
    before = len(fake.calls_to("GetRoleCredentials"))
    assert cli(isolated_env, "read", "aws_session_token", "-p", "legacy", env=sso_env).returncode == 0
    assert len(fake.calls_to("GetRoleCredentials")) == before  # from the cache
    assert fake.calls_to("StartDeviceAuthorization") == []  # no new login


def test_every_consumer_takes_an_sso_profile(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], proxy: RecordingProxy
) -> None:
    seed_token(fake, isolated_env)
    key = cli(isolated_env, "read", "aws_access_key_id", "-p", "dev-admin", env=sso_env).stdout.strip()
    assert f"export AWS_ACCESS_KEY_ID='{key}'" in cli(isolated_env, "env", "-p", "dev-admin", env=sso_env).stdout
    assert (
        json.loads(cli(isolated_env, "credential-process", "-p", "dev-admin", env=sso_env).stdout)["AccessKeyId"] == key
    )
    status = cli(isolated_env, "status", "-p", "dev-admin", env=sso_env)
    assert status.returncode == 0 and "Account:     111111111111" in status.stdout
    assert "Role name:   AdministratorAccess" in status.stdout and "SSO:         corp" in status.stdout
    called = run(isolated_env, "exec", "-p", "dev-admin", "--", AWS_BIN, "sts", "get-caller-identity", env=sso_env)
    assert called.returncode == 0 and proxy.calls[-1].access_key_id == key
    served = run(
        isolated_env, "exec", "--server", "-p", "dev-admin", "--", AWS_BIN, "sts", "get-caller-identity", env=sso_env
    )
    assert served.returncode == 0 and proxy.calls[-1].access_key_id == key
    assumed = cli(isolated_env, "assume", "dev-admin", env=sso_env)  # renews now
    assert assumed.returncode == 0 and "dev-admin" in assumed.stderr
    assert cached_roles(isolated_env)["dev-admin"]["aws_access_key_id"] == fake.issued_credentials[-1]["accessKeyId"]
    library = subprocess.run(
        [sys.executable, "-c", "import stscreds; print(stscreds.get_credentials('dev-admin').access_key_id)"],
        capture_output=True,
        text=True,
        env=sso_env,
    )
    assert library.stdout.strip() == fake.issued_credentials[-1]["accessKeyId"], library.stderr


def test_a_token_near_its_end_is_refreshed_without_a_browser(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    old = seed_token(fake, isolated_env, expires_in=600)  # within botocore's 15 minutes
    done = run(isolated_env, "read", "aws_access_key_id", "-p", "dev-admin", env=sso_env, prefix=("setsid",))
    assert done.returncode == 0, done.stderr
    grants = [c.body["grantType"] for c in fake.calls_to("CreateToken")]  # type: ignore[index]
    assert grants == ["refresh_token"] and fake.calls_to("StartDeviceAuthorization") == []
    token = json.loads((cache_dir(isolated_env) / SESSION_TOKEN_FILE).read_text())
    assert token["accessToken"] != old["accessToken"] and token["refreshToken"] != old["refreshToken"]
    assert token["clientId"] == old["clientId"]


def test_a_missing_login_without_a_terminal_says_what_to_run(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    done = run(isolated_env, "read", "aws_access_key_id", "-p", "dev-admin", env=sso_env, prefix=("setsid",))
    assert_one_line_failure(done)
    assert "run `stscreds sso login --profile dev-admin`" in done.stderr
    assert fake.calls == []


def test_a_missing_login_on_a_terminal_logs_in_there(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    shell = spawn(f"{STSCREDS} read aws_access_key_id -p dev-admin > key", {**sso_env, "DISPLAY": ""}, isolated_env)
    shell.expect_exact("To sign in to IAM Identity Center")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert (isolated_env / "key").read_text().strip() == fake.issued_credentials[-1]["accessKeyId"]


SSO_ERRORS = {
    "an unknown sso-session": ("[profile p]\nsso_session = nosuch\nsso_account_id = 1\nsso_role_name = r\n", "p", "names sso_session 'nosuch', which the AWS config file does not define"),
    "no start URL": ("[profile p]\nsso_region = eu-west-1\nsso_account_id = 1\nsso_role_name = r\n", "p", "profile 'p' has no sso_start_url: IAM Identity Center needs both"),
    "no region in the session": ("[sso-session s]\nsso_start_url = https://x/start\n[profile p]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n", "p", "[sso-session s] has no sso_region"),
}  # fmt: skip


@pytest.mark.parametrize("config, profile, message", SSO_ERRORS.values(), ids=SSO_ERRORS.keys())
def test_configuration_mistakes_are_one_line(
    config: str, profile: str, message: str, fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    (isolated_env / ".aws" / "config").write_text(config)
    for args in (("read", "aws_session_token", "-p", profile), ("sso", "login", "-p", profile)):
        done = cli(isolated_env, *args, env=sso_env)
        assert_one_line_failure(done, 2)
        assert message in done.stderr
    assert fake.calls == []


def test_a_role_not_assigned_to_you_is_one_line(fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]) -> None:
    seed_token(fake, isolated_env)
    fake.forbidden.add(("111111111111", "AdministratorAccess"))
    done = cli(isolated_env, "read", "aws_session_token", "-p", "dev-admin", env=sso_env)
    assert_one_line_failure(done)
    assert "does not let you use role AdministratorAccess in account 111111111111 (ForbiddenException)" in done.stderr


def test_a_sign_in_code_that_expires_before_approval(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    fake.auto_approve_after = None  # nobody approves
    fake.device_code_expires_in = 1
    fake.interval = 1
    done = cli(isolated_env, "sso", "login", "--profile", "dev-admin", "--no-browser", env=sso_env)
    assert_one_line_failure(done)
    assert "the sign-in code expired before it was approved" in done.stderr
    assert not (cache_dir(isolated_env) / SESSION_TOKEN_FILE).exists()


def test_no_network_is_one_line_in_seconds(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    nowhere = f"http://127.0.0.1:{port}"
    # In seconds: the connect timeout per attempt and botocore's back-off between attempts, as the
    # CLI asks for them (recorded in its process; benchmarks/faults.py times the real thing).
    probe = WaitProbe(tmp_path, sleep_scale=0.1)
    env = probe.env({**sso_env, "AWS_ENDPOINT_URL_SSO_OIDC": nowhere})
    done = run(isolated_env, "sso", "login", "--no-browser", env=env)
    assert_one_line_failure(done)
    assert "could not reach IAM Identity Center" in done.stderr
    default = Timeouts()
    assert probe.waits("connect") == [port] * default.attempts
    assert [t for t in probe.waits("timeout") if t is not None] == [default.connect] * default.attempts
    backoff = probe.waits("sleep")
    assert len(backoff) == default.attempts - 1 and all(0 <= b <= 2**n for n, b in enumerate(backoff))
    assert default.attempts * default.connect + sum(backoff) <= default.unreachable_seconds < 15


def test_logout_forgets_the_login_and_its_role_credentials(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], proxy: RecordingProxy
) -> None:
    seed_token(fake, isolated_env)
    assert cli(isolated_env, "read", "aws_session_token", "-p", "dev-admin", env=sso_env).returncode == 0
    assert "dev-admin" in cached_roles(isolated_env)
    done = cli(isolated_env, "sso", "logout", "--sso-session", "corp", env=sso_env)
    assert done.returncode == 0, done.stderr
    assert "cleared the credentials of dev-admin" in done.stderr and len(fake.calls_to("Logout")) == 1
    assert not (cache_dir(isolated_env) / SESSION_TOKEN_FILE).exists() and "dev-admin" not in cached_roles(isolated_env)


# --- discover every account and role --------------------------------------------------------------


def test_discover_lists_every_account_and_role_safely_named(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    seed_token(fake, isolated_env)
    # A name some other profile has: the discovered one gets its account ID added (issue 17).
    (isolated_env / ".aws" / "config").write_text(CONFIG + "\n[profile dev.ReadOnlyAccess]\nregion = x\n")
    done = cli(isolated_env, "sso", "discover", "--sso-session", "corp", env=sso_env)
    assert done.returncode == 0, done.stderr
    found = raw_config_parse_text(done.stdout, isolated_env)
    assert sorted(found) == sorted(
        f"profile {name}"
        for name in (
            "dev.eks-admin", "staging.admin", "prod.ReadOnlyAccess", "dev.ReadOnlyAccess-111111111111",
            "Shared-Services.AdministratorAccess", "Shared-Services.admin", "sandbox.PowerUserAccess",
        )
    )  # fmt: skip
    assert found["profile dev.eks-admin"] == {
        "sso_session": "corp", "sso_account_id": "111111111111", "sso_role_name": "eks-admin",
    }  # fmt: skip
    # dev.AdministratorAccess and staging.eks-admin have profiles already, under other names.
    assert "Skipped 2 that have a profile already: dev-admin, legacy" in done.stderr
    assert "dev.ReadOnlyAccess -> dev.ReadOnlyAccess-111111111111" in done.stderr
    assert len(fake.calls_to("ListAccounts")) == 3  # five accounts, two a page


def raw_config_parse_text(text: str, home: Path) -> dict[str, dict[str, str]]:
    path = home / "parsed"
    path.write_text(text)
    return raw_config_parse(str(path))


def test_discover_write_keeps_every_byte_and_the_cli_and_boto3_read_the_profiles(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], proxy: RecordingProxy
) -> None:
    seed_token(fake, isolated_env)
    config = isolated_env / ".aws" / "config"
    before = config.read_bytes()
    done = cli(isolated_env, "sso", "discover", "--write", "--name", "{account_id}-{role_name}", env=sso_env)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    # dev-admin and legacy are two of the nine already, under other names: skipped.
    assert (
        "Added 7 profiles" in done.stderr and "Skipped 2 that have a profile already: dev-admin, legacy" in done.stderr
    )
    after = config.read_bytes()
    assert after.startswith(before)
    aws = subprocess.run(
        [AWS_BIN, "configure", "get", "sso_role_name", "--profile", "222222222222-admin"],
        capture_output=True,
        text=True,
        env=sso_env,
    )
    assert aws.stdout.strip() == "admin", aws.stderr
    sdk = subprocess.run(
        [sys.executable, "-c", "import boto3; print(boto3.Session(profile_name='555555555555-PowerUserAccess').get_credentials().access_key)"],
        capture_output=True,
        text=True,
        env=sso_env,
    )  # fmt: skip
    assert sdk.stdout.strip() == fake.issued_credentials[-1]["accessKeyId"], sdk.stderr
    again = cli(isolated_env, "sso", "discover", "--write", "--name", "{account_id}-{role_name}", env=sso_env)
    assert "Added 0 profiles" in again.stderr and "Skipped 9" in again.stderr and config.read_bytes() == after


def test_discover_process_style_serves_tools_that_do_not_know_sso(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], proxy: RecordingProxy
) -> None:
    seed_token(fake, isolated_env)
    done = cli(isolated_env, "sso", "discover", "--write", "--style", "process", env=sso_env)
    assert done.returncode == 0, done.stderr
    written = raw_config_parse(str(isolated_env / ".aws" / "config"))["profile sandbox.PowerUserAccess"]
    assert written["credential_process"] == "stscreds credential-process --profile sandbox.PowerUserAccess"
    assert written["stscreds_sso_account_id"] == "555555555555" and "sso_account_id" not in written
    # boto3 runs the credential_process (stscreds, found on the PATH), not its own SSO provider.
    env = {**sso_env, "PATH": f"{Path(STSCREDS).parent}:{sso_env['PATH']}"}
    sdk = subprocess.run(
        [sys.executable, "-c", "import boto3; c = boto3.Session(profile_name='sandbox.PowerUserAccess').get_credentials(); print(c.method, c.access_key)"],
        capture_output=True,
        text=True,
        env=env,
    )  # fmt: skip
    assert sdk.returncode == 0, sdk.stderr
    method, key = sdk.stdout.split()
    assert (
        method == "custom-process" and key == cached_roles(isolated_env)["sandbox.PowerUserAccess"]["aws_access_key_id"]
    )


@settings(max_examples=examples(30), suppress_health_check=WITH_FIXTURES)
@given(generated=credential_files())
def test_discovered_profiles_keep_any_config_byte_for_byte(
    generated: tuple[list[str], int | None, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    text = "".join(generated[0])
    folder = tmp_path_factory.mktemp("config")
    path = folder / "config"
    path.write_bytes(text.encode())
    try:
        before = raw_config_parse(str(path))
    except Exception:
        assume(False)
    new = {"profile dev.eks-admin": {"sso_session": "corp", "sso_account_id": "1", "sso_role_name": "eks-admin"}}
    assume("profile dev.eks-admin" not in before)
    try:
        ini_edit.edit_file(str(path), new, "config file", "AWS_CONFIG_FILE")
    except Exception as error:  # only where a new section would inherit a [DEFAULT] value botocore refuses
        assert "[DEFAULT]" in text, error
        return
    after = raw_config_parse(str(path))
    assert path.read_bytes().startswith(text.encode()) and {k: v for k, v in after.items() if k not in new} == before
    assert ini.read(str(path)).sections["profile dev.eks-admin"]["sso_role_name"] == "eks-admin"


def test_discovery_never_takes_a_name_another_profile_has_and_keeps_every_role(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    """Issue 17: `prod` is a stscreds profile (its keys only in the key store): no [profile
    prod] may appear over it. Issue 19: accounts and roles whose names collide each get one."""
    from stscreds import keystore

    seed_token(fake, isolated_env)
    keystore.save_keys("prod", "AKIAPRODPRODPRODPROD", "long-term-secret")
    done = cli(isolated_env, "sso", "discover", "--write", "--name", "{account_name}", env=sso_env)
    assert done.returncode == 0, done.stderr
    written = raw_config_parse(str(isolated_env / ".aws" / "config"))
    assert "profile prod" not in written
    discovered = {
        (values["sso_account_id"], values["sso_role_name"]): name
        for name, values in written.items()
        if name.startswith("profile ") and "sso_account_id" in values
    }
    every = {(a["accountId"], role) for a in fake.accounts for role in a["roles"]}
    # dev-admin and legacy (in CONFIG) already serve two of them.
    assert set(discovered) | {("111111111111", "AdministratorAccess"), ("222222222222", "eks-admin")} == every
    assert len(set(discovered.values())) == len(discovered)  # each its own profile
    assert discovered[("333333333333", "ReadOnlyAccess")] == "profile prod-333333333333"
    assert "prod -> prod-333333333333" in done.stderr


# --- legacy profiles (issue 19, item 11) ------------------------------------------------------


def registration_file(session_name: str | None, scopes: list[str] | None) -> str:
    """AWS CLI v2's BaseSSOTokenFetcher._registration_cache_key (its v2 branch), by hand."""
    args = {"tool": "botocore", "startUrl": DEFAULT_START_URL, "region": "eu-west-1", "scopes": scopes,
            "session_name": session_name}  # fmt: skip
    return hashlib.sha1(json.dumps(args, sort_keys=True).encode()).hexdigest() + ".json"


def test_a_legacy_profile_logs_in_discovers_and_writes_as_aws_cli_v2_and_botocore_read_it(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], proxy: RecordingProxy
) -> None:
    """Issue 19.11: `sso_start_url` on the profile, no sso-session."""
    before = run(isolated_env, "sso", "discover", "--profile", "legacy", env=sso_env, prefix=("setsid",))
    assert_one_line_failure(before)  # no login yet, no terminal: what to run, naming the profile
    assert "run `stscreds sso login --profile legacy`" in before.stderr and "--sso-session `" not in before.stderr

    done = cli(isolated_env, "sso", "login", "--profile", "legacy", "--no-browser", env=sso_env)
    assert done.returncode == 0, done.stderr
    # Exactly AWS CLI v2's two files: the token under sha1(start URL), with the registration beside
    # it in its order (an unscoped login has no refresh token); the registration under the key of
    # {tool, startUrl, region, scopes: null, session_name: null}.
    files = {path.name: json.loads(path.read_text()) for path in cache_dir(isolated_env).iterdir()}
    assert set(files) == {LEGACY_TOKEN_FILE, registration_file(None, None)}
    token, registration = files[LEGACY_TOKEN_FILE], files[registration_file(None, None)]
    assert list(token) == [
        "startUrl", "region", "accessToken", "expiresAt", "clientId", "clientSecret", "registrationExpiresAt",
    ]  # fmt: skip
    assert list(registration) == ["clientId", "clientSecret", "expiresAt"]
    assert (token["startUrl"], token["region"]) == (DEFAULT_START_URL, "eu-west-1")
    assert (token["clientId"], token["clientSecret"], token["registrationExpiresAt"]) == tuple(registration.values())
    assert fake.calls_to("RegisterClient")[0].body.get("scopes") is None  # type: ignore[union-attr]

    listed = cli(isolated_env, "sso", "discover", "--profile", "legacy", env=sso_env)
    assert listed.returncode == 0, listed.stderr
    assert raw_config_parse_text(listed.stdout, isolated_env)["profile sandbox.PowerUserAccess"] == {
        "sso_start_url": DEFAULT_START_URL, "sso_region": "eu-west-1",
        "sso_account_id": "555555555555", "sso_role_name": "PowerUserAccess",
    }  # fmt: skip
    written = cli(isolated_env, "sso", "discover", "--profile", "legacy", "--write", env=sso_env)
    assert written.returncode == 0 and "Added 7 profiles" in written.stderr, written.stderr
    assert "Skipped 2 that have a profile already: dev-admin, legacy" in written.stderr
    # botocore's own SSO provider serves a written profile with this login, as AWS CLI v2 would.
    sdk = subprocess.run(
        [sys.executable, "-c", "import boto3; c = boto3.Session(profile_name='staging.admin').get_credentials(); print(c.method, c.access_key)"],
        capture_output=True,
        text=True,
        env=sso_env,
    )  # fmt: skip
    assert sdk.returncode == 0, sdk.stderr
    assert sdk.stdout.split() == ["sso", fake.issued_credentials[-1]["accessKeyId"]]
    assert fake.calls_to("GetRoleCredentials")[-1].token == token["accessToken"]
    # And stscreds serves the legacy profile itself from the same login: no new one.
    assert cli(isolated_env, "read", "aws_access_key_id", "-p", "legacy", env=sso_env).returncode == 0
    assert len(fake.calls_to("StartDeviceAuthorization")) == 1


# --- answers that are not AWS's (item 12) -----------------------------------------------------

PROXY_403 = (403, b"<html><head><title>Blocked</title></head><body>\n<h1>Forbidden by policy</h1>\n</body></html>\n")
PROXY_407 = (407, b"<html><body>\n<h1>Proxy Authentication Required</h1>\nsecret-looking-AKIA\n</body></html>\n")
PORTAL = (200, b"<html><head><title>Hotel WiFi</title></head>\n<body>Please log in</body></html>\n")
FOREIGN = {
    "RegisterClient, a proxy's 407": ("RegisterClient", PROXY_407, "login"),
    "StartDeviceAuthorization, a captive portal": ("StartDeviceAuthorization", PORTAL, "login"),
    "CreateToken, a proxy's 403": ("CreateToken", PROXY_403, "login"),
    "CreateToken, a captive portal": ("CreateToken", PORTAL, "login"),
    "ListAccounts, a captive portal": ("ListAccounts", PORTAL, "discover"),
    "ListAccountRoles, a proxy's 403": ("ListAccountRoles", PROXY_403, "discover"),
    "GetRoleCredentials, a captive portal": ("GetRoleCredentials", PORTAL, "read"),
}


@pytest.mark.parametrize("operation, page, command", FOREIGN.values(), ids=FOREIGN.keys())
def test_an_answer_that_is_not_iam_identity_centers_is_one_line_naming_the_endpoint(
    operation: str, page: tuple[int, bytes], command: str, fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    """Issue 19.12 and guarantee 10: a proxy's or a captive portal's page on the SSO endpoints."""
    config = isolated_env / ".aws" / "config"
    if command != "login":
        seed_token(fake, isolated_env)
    before = config.read_bytes()
    fake.page_next(operation, *page, times=5)  # botocore would retry a 5xx; these are not
    args = {
        "login": ("sso", "login", "--sso-session", "corp", "--no-browser"),
        "discover": ("sso", "discover", "--sso-session", "corp", "--write"),
        "read": ("read", "aws_access_key_id", "-p", "dev-admin"),
    }[command]
    done = cli(isolated_env, *args, env=sso_env)
    assert_one_line_failure(done)
    line = done.stderr.splitlines()[-1]
    assert line.startswith(f"stscreds: {fake.url} did not answer ") and "like AWS" in line, line
    for fragment in ("Blocked", "Forbidden", "Proxy Authentication", "Hotel WiFi", "AKIA", "html", "Added"):
        assert fragment not in done.stderr
    assert config.read_bytes() == before
    if command == "login":
        assert not (cache_dir(isolated_env) / SESSION_TOKEN_FILE).exists()


# --- colliding names (item 13) ----------------------------------------------------------------


def test_every_account_and_role_gets_its_own_profile_whatever_their_names(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str]
) -> None:
    """Issue 19.13: two accounts named "prod", and an account's three roles under '{account_name}'."""
    fake.accounts = [
        {"accountId": "600000000001", "accountName": "prod", "emailAddress": "a@example.com",
         "roles": ["ReadOnlyAccess", "admin"]},
        {"accountId": "600000000002", "accountName": "prod", "emailAddress": "b@example.com",
         "roles": ["ReadOnlyAccess", "admin"]},
        {"accountId": "600000000003", "accountName": "dev", "emailAddress": "c@example.com",
         "roles": ["AdministratorAccess", "ReadOnlyAccess", "eks-admin"]},
    ]  # fmt: skip
    every = {(a["accountId"], role) for a in fake.accounts for role in a["roles"]}
    seed_token(fake, isolated_env)
    for pattern in ("{account_name}.{role_name}", "{account_name}", "{role_name}"):
        done = cli(isolated_env, "sso", "discover", "--name", pattern, env=sso_env)
        assert done.returncode == 0, done.stderr
        found = raw_config_parse_text(done.stdout, isolated_env)
        served = {(values["sso_account_id"], values["sso_role_name"]) for values in found.values()}
        assert served == every and len(found) == len(every), (pattern, sorted(found))
    done = cli(isolated_env, "sso", "discover", "--name", "{account_name}", "--write", env=sso_env)
    assert done.returncode == 0 and "Added 7 profiles" in done.stderr, done.stderr
    again = cli(isolated_env, "sso", "discover", "--name", "{account_name}", "--write", env=sso_env)
    assert "Added 0 profiles" in again.stderr and "Skipped 7" in again.stderr  # skipped: the same account and role


# --- nothing a child process prints reaches stdout (item 14) -----------------------------------


def test_a_browser_opened_for_a_login_never_prints_into_stdout(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 19.14: `read`, `env` and `credential-process` log in on a terminal with a display;
    the browser (which approves the code by opening the page) says "Opening in existing browser
    session." on its stdout."""
    from federationfake import CHATTER, write_recording_browser

    fake.auto_approve_after = None  # approved only by the browser's visit
    browser = write_recording_browser(tmp_path / "browser", follow=True)
    env = {**sso_env, **browser.env(), "DISPLAY": ":0"}
    for number, command in enumerate(("read aws_access_key_id", "env", "credential-process"), start=1):
        (cache_dir(isolated_env) / SESSION_TOKEN_FILE).unlink(missing_ok=True)
        (isolated_env / ".stscreds" / "cache").unlink(missing_ok=True)
        shell = spawn(f"{STSCREDS} {command} -p dev-admin > out", env, isolated_env)
        shell.expect(pexpect.EOF)
        shell.close()
        assert shell.exitstatus == 0, shell.before
        assert len(browser.urls()) == number and browser.follows()[-1]["status"] == 200  # it approved
        key = fake.issued_credentials[-1]["accessKeyId"]
        out = (isolated_env / "out").read_text()
        assert CHATTER not in out and key in out, (command, out)
        assert CHATTER in shell.before  # it went to the terminal instead
        if command == "read aws_access_key_id":
            assert out == key + "\n"
        elif command == "credential-process":
            assert json.loads(out)["AccessKeyId"] == key


# --- the config file's mode and links (item 15) -----------------------------------------------


def test_discover_write_keeps_the_config_files_mode_and_hard_links(
    fake: SsoFake, isolated_env: Path, sso_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 19.15: as `aws configure set` leaves the file: its mode, and every hard link to it."""
    seed_token(fake, isolated_env)
    config = isolated_env / ".aws" / "config"
    config.chmod(0o644)
    link = tmp_path / "config-link"
    os.link(config, link)  # (Path.hardlink_to is Python 3.10's)
    inode = config.stat().st_ino
    done = cli(isolated_env, "sso", "discover", "--write", env=sso_env)
    assert done.returncode == 0 and "Added 7 profiles" in done.stderr, done.stderr
    assert config.stat().st_ino == inode and link.read_bytes() == config.read_bytes()
    assert stat.S_IMODE(config.stat().st_mode) == 0o644 and "[profile sandbox.PowerUserAccess]" in link.read_text()
    # Not linked: replaced atomically, with its mode kept (0600 only for a new file).
    alone = tmp_path / "alone"
    alone.write_text("[default]\nregion = eu-west-1\n")
    alone.chmod(0o640)
    ini_edit.edit_file(str(alone), {"profile x": {"region": "eu-west-2"}}, "config file", "AWS_CONFIG_FILE", keep=True)
    assert stat.S_IMODE(alone.stat().st_mode) == 0o640 and "[profile x]" in alone.read_text()
    new = tmp_path / "new"
    ini_edit.edit_file(str(new), {"profile x": {"region": "eu-west-2"}}, "config file", "AWS_CONFIG_FILE", keep=True)
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
