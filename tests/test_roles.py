"""Roles in many accounts on one MFA prompt (issue 11): role profiles of the AWS config file,
assumed with the MFA session at the end of their source_profile chain, through every consumer,
in parallel with `assume`, and through botocore and the AWS CLI themselves.

moto's AssumeRole returns unique credentials but ignores MFA and duration limits: the proxy
records which keys sign each call, adds latency, and refuses chosen role ARNs.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import state
from awsproxy import ROLE_REFUSED, RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    AWS_BIN,
    EXPIRED_SESSION,
    STSCREDS,
    IamUser,
    ScriptedUI,
    answer_the_one_mfa_prompt,
    assert_one_line_failure,
    broker_for,
    cli,
    credentials_path,
    faketime,
    needs_faketime,
    run,
    write_credentials,
)

from stscreds import answers, cache
from stscreds.commands.assume import assume
from stscreds.credentials import RENEW_MARGIN_SECONDS, Credentials
from stscreds.errors import NotInitialisedError

PROD = "arn:aws:iam::222222222222:role/Deploy"
DEV = "arn:aws:iam::333333333333:role/Dev"
READONLY = "arn:aws:iam::444444444444:role/ReadOnly"
ROLES = f"""\
# hand-written, as for the AWS CLI
[default]
region = us-east-1

[profile prod]
role_arn = {PROD}
source_profile = default

[profile dev]
role_arn = {DEV}
source_profile = default
external_id = acme-42
role_session_name = alice-dev
region = eu-west-1

[profile chained]
role_arn = {READONLY}
source_profile = prod
"""


def write_config(home: Path, text: str) -> Path:
    path = home / ".aws" / "config"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def session(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> str:
    """An MFA session in [default] with an ASIA key of its own, and the role profiles; returns
    the session's key ID."""
    proxy.unique_tokens = True
    state.authenticate(isolated_env, duration="12h")  # `stscreds auth`'s default duration
    write_config(isolated_env, ROLES)
    proxy.calls.clear()
    return raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_access_key_id"]


def assume_calls(proxy: RecordingProxy) -> list[tuple[str, str]]:
    return [(c.params["RoleArn"], c.access_key_id) for c in proxy.calls if c.action == "AssumeRole"]


def cached(home: Path) -> dict[str, dict[str, str]]:
    path = home / ".stscreds" / "cache"
    return raw_config_parse(str(path)) if path.exists() else {}


# --- every consumer takes a role profile --------------------------------------------------------


def test_a_role_profile_through_every_consumer(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    shared_before = credentials_path(isolated_env).read_bytes()
    done = cli(isolated_env, "read", "aws_access_key_id", "--profile", "prod", env=env)
    assert done.returncode == 0, done.stderr
    role_key = done.stdout.strip()
    assert role_key.startswith("ASIA") and role_key != session
    assert assume_calls(proxy) == [(PROD, session)]  # signed with the MFA session, no code asked
    call = next(c for c in proxy.calls if c.action == "AssumeRole")
    assert (call.params["RoleSessionName"], call.params["DurationSeconds"]) == ("alice", "3600")
    assert "ExternalId" not in call.params and done.stderr == ""

    proxy.calls.clear()
    env_lines = cli(isolated_env, "env", "--profile", "prod", env=env).stdout
    assert f"export AWS_ACCESS_KEY_ID='{role_key}'" in env_lines
    process = json.loads(cli(isolated_env, "credential-process", "-p", "prod", env=env).stdout)
    assert process["AccessKeyId"] == role_key
    status = cli(isolated_env, "status", "--profile", "prod", env=env)
    assert (
        status.returncode == 0 and f"Role:        {PROD}" in status.stdout and "Source:      default" in status.stdout
    )
    assert proxy.calls == []  # all from the cache

    called = run(isolated_env, "exec", "--profile", "prod", "--", AWS_BIN, "sts", "get-caller-identity", env=env)
    assert called.returncode == 0, called.stderr
    assert [(c.action, c.access_key_id) for c in proxy.calls] == [("GetCallerIdentity", role_key)]

    # The role lives in stscreds' cache; ~/.aws/credentials keeps only what auth wrote.
    assert credentials_path(isolated_env).read_bytes() == shared_before
    assert cached(isolated_env)["prod"]["aws_access_key_id"] == role_key
    cache_file = isolated_env / ".stscreds" / "cache"
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600


def test_a_role_is_read_by_the_fast_path(session: str, isolated_env: Path, env: dict[str, str]) -> None:
    assert cli(isolated_env, "read", "aws_session_token", "-p", "prod", env=env).returncode == 0
    done = subprocess.run(
        [sys.executable, "-X", "importtime", STSCREDS, "read", "aws_session_token", "-p", "prod"],
        capture_output=True,
        text=True,
        env=env,
    )
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert done.returncode == 0 and "stscreds.cache" in imported
    # Not `re`: an editable install's start-up imports it (test_fastread checks without it).
    heavy = ("boto3", "botocore", "typer", "click", "json", "configparser", "configobj", "dataclasses")
    assert sorted(m for m in imported if m.split(".")[0] in heavy) == []
    assert done.stdout.strip() == cached(isolated_env)["prod"]["aws_session_token"]


def test_role_settings_reach_assume_role(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    assert cli(isolated_env, "read", "aws_session_token", "-p", "dev", env=env).returncode == 0
    call = next(c for c in proxy.calls if c.action == "AssumeRole")
    assert (call.params["ExternalId"], call.params["RoleSessionName"], call.region) == (
        "acme-42",
        "alice-dev",
        "eu-west-1",
    )

    write_config(isolated_env, ROLES.replace("external_id = acme-42", "duration_seconds = 43200"))
    proxy.calls.clear()
    done = cli(isolated_env, "read", "aws_session_token", "-p", "dev", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "duration_seconds 43200 is more than the hour AWS allows" in done.stderr
    assert [c.params["DurationSeconds"] for c in proxy.calls if c.action == "AssumeRole"] == ["3600"]


def test_a_chain_of_roles(session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> None:
    done = cli(isolated_env, "read", "aws_access_key_id", "-p", "chained", env=env)
    assert done.returncode == 0, done.stderr
    prod_key = cached(isolated_env)["prod"]["aws_access_key_id"]
    assert assume_calls(proxy) == [(PROD, session), (READONLY, prod_key)]
    assert done.stdout.strip() == cached(isolated_env)["chained"]["aws_access_key_id"]


def test_a_changed_role_arn_is_not_served_the_old_roles_keys(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    first = cli(isolated_env, "read", "aws_access_key_id", "-p", "prod", env=env).stdout
    write_config(isolated_env, ROLES.replace(PROD, "arn:aws:iam::222222222222:role/Other"))
    second = cli(isolated_env, "read", "aws_access_key_id", "-p", "prod", env=env).stdout
    assert first != second and [arn for arn, _ in assume_calls(proxy)][-1].endswith("role/Other")


BAD_CONFIGS = {
    "a cycle": ("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/B\nsource_profile = a\n", "a", "a cycle in source_profile: a -> b -> a"),
    "a source that is nothing": ("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = nobody\n", "a", "the source_profile 'nobody' of profile 'a' does not exist"),
    "a malformed role_arn": ("[profile a]\nrole_arn = Deploy\nsource_profile = default\n", "a", "role_arn 'Deploy' is not a role's ARN"),
    "duration_seconds under 900": ("[profile a]\nrole_arn = arn:aws:iam::1:role/A\nsource_profile = default\nduration_seconds = 600\n", "a", "duration_seconds '600' must be a whole number of seconds, 900 or more"),
    "credential_source": ("[profile a]\nrole_arn = arn:aws:iam::1:role/A\ncredential_source = Ec2InstanceMetadata\n", "a", "credential_source = Ec2InstanceMetadata: stscreds assumes roles from a source_profile"),
}  # fmt: skip


@pytest.mark.parametrize("config, profile, message", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_a_bad_role_profile_is_one_line_before_any_call(
    config: str,
    profile: str,
    message: str,
    session: str,
    isolated_env: Path,
    env: dict[str, str],
    proxy: RecordingProxy,
) -> None:
    write_config(isolated_env, config)
    before = credentials_path(isolated_env).read_bytes()
    for args in (("read", "aws_session_token", "-p", profile), ("assume", profile)):
        done = cli(isolated_env, *args, env=env)
        assert done.returncode != 0 and done.stdout == "" and message in done.stderr, done.stderr
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert proxy.calls == [] and credentials_path(isolated_env).read_bytes() == before and cached(isolated_env) == {}


def test_a_trust_policy_that_refuses_names_the_profile_and_role(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.role_faults[PROD] = ROLE_REFUSED
    done = cli(isolated_env, "read", "aws_session_token", "-p", "prod", env=env)
    assert_one_line_failure(done)
    assert f"profile 'prod': AWS refused to let you assume {PROD} (AccessDenied): its trust policy" in done.stderr
    assert cached(isolated_env) == {}


def test_an_expired_session_with_no_way_to_ask_fails_cleanly_for_a_role(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    write_config(isolated_env, ROLES)
    proxy.calls.clear()
    done = run(isolated_env, "credential-process", "--profile", "prod", env=env, prefix=("setsid",))
    assert_one_line_failure(done)
    assert "profile 'prod' is assumed from the session of 'default'" in done.stderr
    assert "there is no terminal to ask on" in done.stderr
    assert proxy.calls == [] and cached(isolated_env) == {}


def test_a_roles_mfa_serial_picks_the_sessions_device(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    serial = initialised.mfa_serials[0]
    write_config(isolated_env, ROLES.replace("source_profile = default\n\n[profile dev]", f"source_profile = default\nmfa_serial = {serial}\n\n[profile dev]", 1))  # fmt: skip
    done = cli(isolated_env, "read", "aws_session_token", "-p", "prod", stdin="123456\n", env=env)
    assert done.returncode == 0, done.stderr
    assert [c.params["SerialNumber"] for c in proxy.calls if c.action == "GetSessionToken"] == [serial]

    write_credentials(isolated_env, EXPIRED_SESSION)
    write_config(isolated_env, ROLES.replace("source_profile = default\n\n[profile dev]", "source_profile = default\nmfa_serial = arn:aws:iam::123456789012:mfa/someone-else\n\n[profile dev]", 1))  # fmt: skip
    done = cli(isolated_env, "read", "aws_session_token", "-p", "prod", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "is not an MFA device of alice" in done.stderr


# --- expiry: roles renew silently while the session lasts -------------------------------------


def test_after_an_hour_a_role_renews_without_a_prompt_and_with_the_session_both_renew(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    write_config(isolated_env, ROLES)
    proxy.unique_tokens = True
    ui = ScriptedUI("123456")
    first = broker_for(ui).get("prod")  # no session yet: one prompt, both fetched
    assert ui.prompts == [f"MFA code for {user.mfa_serials[0]}: "]
    assert [c.action for c in proxy.calls].count("GetSessionToken") == 1

    in_an_hour = first.expires_at - RENEW_MARGIN_SECONDS + 1
    proxy.calls.clear()
    quiet = ScriptedUI()  # no answers: it must not ask
    second = broker_for(quiet, clock=lambda: in_an_hour).get("prod")
    assert second != first and quiet.prompts == [] and [c.action for c in proxy.calls] == ["AssumeRole"]

    session_end = answers.cached("default", 0).expires_at  # type: ignore[union-attr]
    proxy.calls.clear()
    again = ScriptedUI("123456")
    broker_for(again, clock=lambda: session_end + 60).get("prod")
    assert len(again.prompts) == 1
    assert [c.action for c in proxy.calls] == ["GetUser", "ListMFADevices", "GetSessionToken", "AssumeRole"]


@needs_faketime
def test_a_day_on_the_command_line(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    assert cli(isolated_env, "read", "aws_session_token", "-p", "prod", env=env).returncode == 0
    proxy.calls.clear()
    done = run(isolated_env, "read", "aws_session_token", "-p", "prod", env=env, prefix=faketime("+61m"))
    assert done.returncode == 0 and done.stderr == "", done.stderr  # no prompt: stdin is closed
    assert [c.action for c in proxy.calls] == ["AssumeRole"]

    proxy.calls.clear()
    answer_the_one_mfa_prompt(f"faketime -f +13h {STSCREDS} read aws_session_token -p chained", env, isolated_env)
    assert [c.action for c in proxy.calls].count("GetSessionToken") == 1
    assert [arn for arn, _ in assume_calls(proxy)] == [PROD, READONLY]


# --- assume: many roles at once ------------------------------------------------------------


def many_roles(count: int, refused: tuple[int, ...] = ()) -> str:
    return ROLES + "".join(
        f"\n[profile role{n:03d}]\nrole_arn = arn:aws:iam::{100000000000 + n}:role/Deploy\nsource_profile = default\n"
        for n in range(count)
    )


def test_assume_renews_the_named_roles_and_says_so_per_profile(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    done = cli(isolated_env, "assume", "prod", "dev", "chained", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [line.split()[0] for line in lines] == ["prod", "dev", "chained"] and done.stdout == ""
    assert f"prod     {PROD} until " in lines[0]
    assert set(cached(isolated_env)) == {"prod", "dev", "chained"}
    # prod once, though chained is assumed from it too; then prod again, whatever the cache holds
    again = cli(isolated_env, "assume", "prod", env=env)
    assert again.returncode == 0 and [arn for arn, _ in assume_calls(proxy)].count(PROD) == 2


def test_assume_all_in_parallel_one_refused_and_json(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_config(
        isolated_env, many_roles(20) + "\n[profile broken]\nrole_arn = arn:aws:iam::1:role/X\nsource_profile = nobody\n"
    )
    proxy.role_faults["arn:aws:iam::100000000007:role/Deploy"] = ROLE_REFUSED
    # In parallel: AssumeRoles wait at the proxy until 20 are in flight at once, which one after
    # another never are (benchmarks/roles.py times both behind 100 ms of latency).
    proxy.hold("AssumeRole", 20)
    done = cli(isolated_env, "assume", "--all", "--json", env=env)
    assert done.returncode == 1  # one failed
    lines = done.stderr.splitlines()
    assert len(lines) == 23 and "broken" not in done.stderr  # every role whose chain ends at stscreds
    assert [line for line in lines if "failed" in line] == [
        next(line for line in lines if line.startswith("role007"))
    ] and "trust policy" in lines[[line.split()[0] for line in lines].index("role007")]
    assumed = json.loads(done.stdout)
    assert len(assumed) == 22 and "role007" not in assumed
    assert set(assumed["prod"]) == {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}
    assert assumed["prod"]["AccessKeyId"] == cached(isolated_env)["prod"]["aws_access_key_id"]
    assert proxy.most_at_once("AssumeRole") >= 20  # in parallel, not one after another


def test_assume_with_an_expired_session_asks_once(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    write_config(isolated_env, many_roles(12))
    proxy.calls.clear()
    answer_the_one_mfa_prompt(f"{STSCREDS} assume --all", env, isolated_env)
    assert [c.action for c in proxy.calls].count("GetSessionToken") == 1
    assert len(assume_calls(proxy)) == 15 and len(cached(isolated_env)) == 15


def test_two_assume_runs_at_once_lose_no_update(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_config(isolated_env, many_roles(16))
    proxy.latency = 0.05
    runs = [
        subprocess.Popen(
            [STSCREDS, "assume", *(f"role{n:03d}" for n in range(start, 16, 2))],
            env=env,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        for start in (0, 1)
    ]
    assert [process.wait(60) for process in runs] == [0, 0]
    assert set(cached(isolated_env)) == {f"role{n:03d}" for n in range(16)}


def test_get_many_in_process_with_one_prompt(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    write_config(isolated_env, many_roles(10))
    ui = ScriptedUI("123456")
    results = broker_for(ui).get_many(["prod", "dev", *(f"role{n:03d}" for n in range(10)), "nosuch-role"])
    assert len(ui.prompts) == 1
    assert isinstance(results.pop("nosuch-role"), NotInitialisedError)  # its failure is its own
    assert len({r.access_key_id for r in results.values() if isinstance(r, Credentials)}) == 12


def test_assume_needs_a_profile(isolated_env: Path, env: dict[str, str]) -> None:
    done = cli(isolated_env, "assume", env=env)
    assert_one_line_failure(done, 2)
    assert "name the role profiles to assume, or use --all" in done.stderr


# --- the AWS CLI and boto3 on the same config ------------------------------------------------

SDK_CONFIG = f"""\
[profile mfa]
credential_process = {STSCREDS} credential-process

# botocore assumes the role itself, from keys stscreds gives it: no MFA prompt of its own
# (no mfa_serial here), and it renews the role every hour in a long-running process.
[profile prod]
role_arn = {PROD}
source_profile = mfa

# or stscreds assumes it, and every process on the machine shares its cache
[profile prod-cached]
credential_process = {STSCREDS} credential-process --profile prod
"""

BOTO3_CALLER = (
    "import boto3, sys; print(boto3.Session(profile_name=sys.argv[1]).client('sts').get_caller_identity()['Arn'])"
)


def test_boto3_and_the_aws_cli_use_the_role_profiles_without_a_prompt(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_config(isolated_env, SDK_CONFIG)
    env = {**env, "AWS_DEFAULT_REGION": "us-east-1"}
    for consumer in (
        [sys.executable, "-c", BOTO3_CALLER, "prod"],
        [AWS_BIN, "sts", "get-caller-identity", "--profile", "prod"],
    ):
        proxy.calls.clear()
        done = subprocess.run(consumer, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
        assert done.returncode == 0, done.stderr
        (role_call, identity_call) = proxy.calls
        assert (role_call.action, role_call.params["RoleArn"], role_call.access_key_id) == ("AssumeRole", PROD, session)
        assert identity_call.action == "GetCallerIdentity" and identity_call.access_key_id.startswith("ASIA")
        assert identity_call.access_key_id != session

    # stscreds reads the same profile: its source `mfa` stands for the stscreds profile default.
    proxy.calls.clear()
    key = cli(isolated_env, "read", "aws_access_key_id", "-p", "prod", env=env).stdout.strip()
    assert assume_calls(proxy) == [(PROD, session)]
    for consumer in (
        [sys.executable, "-c", BOTO3_CALLER, "prod-cached"],
        [AWS_BIN, "sts", "get-caller-identity", "--profile", "prod-cached"],
    ):
        proxy.calls.clear()
        done = subprocess.run(consumer, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60)
        assert done.returncode == 0, done.stderr
        assert [(c.action, c.access_key_id) for c in proxy.calls] == [("GetCallerIdentity", key)]


def test_a_long_running_boto3_process_keeps_working_past_the_roles_hour(
    session: str, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    """botocore refreshes role credentials itself; through credential_process it gets the
    renewed role from stscreds. The process's clock is moved past the hour."""
    write_config(isolated_env, SDK_CONFIG)
    script = tmp_path / "job.py"
    script.write_text(
        "import sys, datetime, boto3, botocore.credentials as c\n"
        "sts = boto3.Session(profile_name=sys.argv[1]).client('sts')\n"
        "print(sts.get_caller_identity()['Arn'])\n"
        "later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=61)\n"
        "c._local_now = lambda: later  # botocore's clock for refreshing\n"
        "print(sts.get_caller_identity()['Arn'])\n"
    )
    env = {**env, "AWS_DEFAULT_REGION": "us-east-1"}
    for profile in ("prod", "prod-cached"):
        proxy.calls.clear()
        done = subprocess.run(
            [sys.executable, str(script), profile], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, done.stderr
        identities = [c.access_key_id for c in proxy.calls if c.action == "GetCallerIdentity"]
        assert len(identities) == 2, proxy.actions


def test_commands_assume_reports_each_profile(session: str, isolated_env: Path) -> None:
    results = assume(["prod", "nosuch"], False, broker_for(ScriptedUI()), 4)
    assert [(r.profile, r.role_arn) for r in results] == [("prod", PROD), ("nosuch", None)]
    assert isinstance(results[0].result, Credentials) and isinstance(results[1].result, NotInitialisedError)
    assert cache.sections()["prod"]["role_arn"] == PROD
    assert os.path.exists(isolated_env / ".stscreds" / "cache")
