"""Issue 17's identity defects, each held through the installed CLI (and the library) against
moto behind the recording proxy: the right identity, always, and no secret lost at the seam
between the key store and the shared credentials file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import state
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    AWS_BIN,
    PROD_ROLE,
    ROLE_PROFILES,
    IamUser,
    assert_one_line_failure,
    cli,
    credentials_path,
    make_user,
    run,
)

PROD = PROD_ROLE
ROLES = ROLE_PROFILES


@pytest.fixture
def session(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> str:
    """alice's MFA session in [default] (a unique ASIA key) and a role profile on it."""
    proxy.unique_tokens = True
    state.authenticate(isolated_env)
    (isolated_env / ".aws" / "config").write_text(ROLES)
    proxy.calls.clear()
    return raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_access_key_id"]


def assume_calls(proxy: RecordingProxy) -> list[tuple[str, str]]:
    return [(c.params["RoleArn"], c.access_key_id) for c in proxy.calls if c.action == "AssumeRole"]


def read(home: Path, env: dict[str, str], *args: str) -> str:
    done = cli(home, "read", "aws_access_key_id", *args, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# 1 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["AWS_SHARED_CREDENTIALS_FILE", "a symlink"])
def test_the_key_store_is_never_written_through_the_shared_credentials_file(
    how: str, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    store = isolated_env / ".stscreds" / "credentials"
    before = store.read_bytes()
    if how == "a symlink":
        credentials_path(isolated_env).parent.mkdir(exist_ok=True)
        credentials_path(isolated_env).symlink_to(store)
    else:
        env = {**env, "AWS_SHARED_CREDENTIALS_FILE": str(store)}
    proxy.calls.clear()
    for args in (("auth",), ("read", "aws_session_token")):
        done = cli(isolated_env, *args, stdin="123456\n", env=env)
        assert_one_line_failure(done)
        assert "key store and also the shared credentials file" in done.stderr
    assert proxy.calls == []  # refused before any prompt or call
    assert store.read_bytes() == before
    # Nor the reverse: init never writes the keys where sessions go.
    done = cli(isolated_env, "init", stdin=f"{initialised.access_key_id}\n{initialised.secret_access_key}\n", env=env)
    assert_one_line_failure(done)
    assert store.read_bytes() == before and proxy.calls == []


# 2 -------------------------------------------------------------------------------------------


def test_keys_of_another_user_drop_everything_the_old_keys_got(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    alice_role = read(isolated_env, env, "-p", "prod")
    assert (isolated_env / ".stscreds" / "cache").read_text().count("[prod]") == 1
    bob = make_user(moto_port, "bob")
    done = cli(isolated_env, "init", "--force", stdin=f"{bob.access_key_id}\n{bob.secret_access_key}\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "another IAM user's: forgot the session in [default], the credentials of 'prod'" in done.stderr
    assert "aws_session_token" not in raw_config_parse(str(credentials_path(isolated_env)))["default"]
    assert "[prod]" not in (isolated_env / ".stscreds" / "cache").read_text()
    status = json.loads(cli(isolated_env, "status", "--json", env=env).stdout)
    assert status["user_arn"].endswith(":user/bob") and status["long_term_key_created"] is None
    # The next read asks for a code and gets the role with bob's session.
    proxy.calls.clear()
    done = cli(isolated_env, "read", "aws_access_key_id", "-p", "prod", stdin="123456\n", env=env)
    assert done.returncode == 0, done.stderr
    bob_role = done.stdout.strip()
    assert bob_role != alice_role
    assert proxy.last("GetSessionToken").access_key_id == bob.access_key_id
    new_session = raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_access_key_id"]
    assert assume_calls(proxy) == [(PROD, new_session)]


def test_new_keys_of_the_same_user_keep_the_session(
    session: str, isolated_env: Path, env: dict[str, str], initialised: IamUser, moto_port: int
) -> None:
    import boto3

    iam = boto3.client(
        "iam", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{moto_port}",
        aws_access_key_id="admin", aws_secret_access_key="admin",
    )  # fmt: skip
    key = iam.create_access_key(UserName=initialised.name)["AccessKey"]
    done = cli(isolated_env, "init", "--force", stdin=f"{key['AccessKeyId']}\n{key['SecretAccessKey']}\n", env=env)
    assert done.returncode == 0 and "forgot" not in done.stderr, done.stderr
    assert raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_access_key_id"] == session


# 3 -------------------------------------------------------------------------------------------


def test_exec_server_hands_the_command_only_how_to_reach_aws(
    session: str, isolated_env: Path, env: dict[str, str]
) -> None:
    (isolated_env / ".aws" / "config").write_text(
        ROLES.replace(
            "region = eu-west-1\n",
            "region = eu-west-1\nlogin_session = arn:aws:iam::222222222222:user/console\ncli_pager =\n"
            "output = json\nsso_session = corp\ns3 =\n    addressing_style = path\nfuture_credential_setting = x\n",
        )
    )
    done = run(isolated_env, "exec", "--server", "-p", "prod", "--", "sh", "-c", 'cat "$AWS_CONFIG_FILE"', env=env)
    assert done.returncode == 0, done.stderr
    seen = isolated_env / "seen"
    seen.write_text(done.stdout)
    handed = raw_config_parse(str(seen))
    assert handed == {
        "default": {"region": "eu-west-1", "cli_pager": "", "output": "json", "s3": {"addressing_style": "path"}}
    }


# 5 and 6 -------------------------------------------------------------------------------------


def test_an_alias_stands_for_whatever_its_target_is(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    role_key = read(isolated_env, env, "-p", "prod")
    assert read(isolated_env, env, "-p", "prod-cached") == role_key
    status = cli(isolated_env, "status", "-p", "prod-cached", env=env)
    assert status.returncode == 0 and "Alias of:    prod" in status.stdout and PROD in status.stdout, status.stderr
    done = run(isolated_env, "exec", "-p", "prod-cached", "--", "sh", "-c", "echo $AWS_ACCESS_KEY_ID", env=env)
    assert done.stdout.strip() == role_key, done.stderr
    library = subprocess.run(
        [sys.executable, "-c", "import stscreds; print(stscreds.get_credentials('prod-cached').access_key_id)"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert library.stdout.strip() == role_key, library.stderr
    assert len(assume_calls(proxy)) == 1


def test_aws_profile_names_the_profile_as_for_botocore(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    as_prod = {**env, "AWS_PROFILE": "prod"}
    role_key = read(isolated_env, as_prod)  # renews: the full CLI
    assert assume_calls(proxy) == [(PROD, session)]
    assert read(isolated_env, as_prod) == role_key  # the fast path
    assert read(isolated_env, {**as_prod, "AWS_DEFAULT_PROFILE": "default"}) == session  # botocore reads it first
    proxy.calls.clear()
    done = run(isolated_env, "exec", "--", AWS_BIN, "sts", "get-caller-identity", env=as_prod)
    assert done.returncode == 0, done.stderr
    assert [c.access_key_id for c in proxy.calls] == [role_key]  # the command ran as prod
    status = json.loads(cli(isolated_env, "status", "--json", env=as_prod).stdout)
    assert status["profile"] == "prod" and status["role_arn"] == PROD
    library = subprocess.run(
        [sys.executable, "-c", "import stscreds; print(stscreds.get_credentials().access_key_id)"],
        capture_output=True, text=True, env=as_prod, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert library.stdout.strip() == role_key, library.stderr
    assert os.environ.get("AWS_PROFILE") is None


# 7 -------------------------------------------------------------------------------------------


def test_a_role_naming_another_users_mfa_device_is_refused_before_assume_role(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    stranger = "arn:aws:iam::123456789012:mfa/mallory"
    (isolated_env / ".aws" / "config").write_text(ROLES.replace("region = eu-west-1", f"mfa_serial = {stranger}"))
    done = cli(isolated_env, "read", "aws_access_key_id", "-p", "prod", env=env)
    assert_one_line_failure(done)
    assert f"profile 'prod' names mfa_serial {stranger}, which is not an MFA device" in done.stderr
    assert assume_calls(proxy) == []
