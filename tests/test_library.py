"""Long jobs never see expired credentials (issue 12): the Python library, `exec --server`'s
credentials endpoint, and shell lines that keep an open shell's variables current.

Time is moved with one injected clock that the broker, botocore's refresh and the proxy (which
dates the credentials moto hands out) all read, or with libfaketime reading a file, so that a
running shell's clock can jump.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import state
from awsproxy import ROLE_REFUSED, RecordingProxy
from conftest import AWS_BIN, EXPIRED_SESSION, STSCREDS, IamUser, run, write_credentials
from test_roles import PROD, READONLY, ROLES, many_roles, write_config

import stscreds
from stscreds import library


class Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Codes:
    """An mfa_code callable that counts what it is asked."""

    def __init__(self, code: str = "123456") -> None:
        self.code = code
        self.asked: list[str] = []

    def __call__(self, serial: str) -> str:
        self.asked.append(serial)
        return self.code


@pytest.fixture
def roles(user: IamUser, store_keys, isolated_env: Path, proxy: RecordingProxy) -> IamUser:
    store_keys(user)
    write_config(isolated_env, ROLES)
    proxy.unique_tokens = True
    return user


def actions(proxy: RecordingProxy, name: str) -> int:
    return [call.action for call in proxy.calls].count(name)


# --- the API ------------------------------------------------------------------------------------


def test_importing_stscreds_imports_neither_boto3_nor_typer(isolated_env: Path) -> None:
    probe = (
        "import sys, stscreds\n"
        "heavy = lambda: sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore', 'typer', 'click'))\n"
        "print(heavy())\n"
        "stscreds.get_credentials, stscreds.Credentials, stscreds.StscredsError\n"
        "print(heavy())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.splitlines() == ["[]", "[]"], done.stderr


def test_get_credentials_renews_as_the_cli_does_and_never_prints(
    roles: IamUser, proxy: RecordingProxy, capfd: pytest.CaptureFixture[str]
) -> None:
    codes = Codes()
    session = stscreds.get_credentials(mfa_code=codes)
    assert isinstance(session, stscreds.Credentials) and session.access_key_id.startswith("ASIA")
    assert session.expiration.tzinfo is not None and session.expiration.utcoffset().total_seconds() == 0
    role = stscreds.get_credentials("prod", mfa_code=codes)
    assert role.access_key_id != session.access_key_id and codes.asked == [roles.mfa_serials[0]]
    assert stscreds.get_credentials("prod", mfa_code=codes) == role  # from the cache, no call
    assert actions(proxy, "GetSessionToken") == 1 and actions(proxy, "AssumeRole") == 1
    assert capfd.readouterr() == ("", "")  # a library does not print
    assert "secret" not in repr(role) and role.secret_access_key not in repr(role)
    with pytest.raises(AttributeError):
        role.access_key_id = "x"  # type: ignore[misc]


def test_library_errors_are_stscreds_errors(roles: IamUser, proxy: RecordingProxy) -> None:
    with pytest.raises(stscreds.NotInitialisedError):
        stscreds.get_credentials("nobody", mfa_code=Codes())
    with pytest.raises(stscreds.MfaCommandError, match="6 digits"):
        stscreds.get_credentials(mfa_code=Codes("12"))
    assert actions(proxy, "GetSessionToken") == 0
    proxy.role_faults[PROD] = ROLE_REFUSED
    with pytest.raises(stscreds.AwsError, match="trust policy"):
        stscreds.get_credentials("prod", mfa_code=Codes())
    assert issubclass(library.ProfilesFailedError, stscreds.StscredsError)


def test_without_a_code_or_a_terminal_it_says_so(roles: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    probe = (
        "import stscreds\n"
        "try:\n"
        "    stscreds.get_credentials('prod')\n"
        "except stscreds.NoInputError as error:\n"
        "    print('NoInputError:', error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, start_new_session=True
    )
    assert done.stdout.startswith("NoInputError: profile 'prod' is assumed from the session of 'default'"), done
    assert "there is no terminal to ask on" in done.stdout and done.stderr == ""


def test_many_roles_in_parallel_with_one_code(roles: IamUser, isolated_env: Path, proxy: RecordingProxy) -> None:
    write_config(isolated_env, many_roles(20))
    # In parallel: AssumeRoles wait at the proxy until 16 (the default max_workers) are in flight
    # at once, which one after another never are (benchmarks/roles.py times both).
    proxy.hold("AssumeRole", 16)
    codes = Codes()
    found = stscreds.get_credentials_many([f"role{n:03d}" for n in range(20)], mfa_code=codes)
    assert len(codes.asked) == 1 and len({c.access_key_id for c in found.values()}) == 20
    assert proxy.most_at_once("AssumeRole") >= 16  # in parallel, not one after another

    proxy.role_faults[READONLY] = ROLE_REFUSED  # `chained`, not assumed yet
    with pytest.raises(library.ProfilesFailedError) as caught:
        stscreds.get_credentials_many(["chained", "prod", "dev"], mfa_code=codes)
    assert set(caught.value.errors) == {"chained"} and set(caught.value.credentials) == {"prod", "dev"}


# --- boto3 sessions that renew themselves ---------------------------------------------------


def test_a_five_hour_boto3_job_on_a_role(roles: IamUser, proxy: RecordingProxy) -> None:
    clock = Clock()
    proxy.clock = clock
    proxy.lifetimes = {"AssumeRole": 3600, "GetSessionToken": 12 * 3600}  # as AWS would date them
    codes = Codes()
    sts = library.session_with(library.library_broker(codes, clock), "prod").client("sts", region_name="us-east-1")
    keys = []
    start = clock.now
    for minute in range(0, 5 * 60, 5):  # a call every five minutes for five hours
        clock.now = start + minute * 60
        sts.get_caller_identity()
        keys.append(proxy.calls[-1].access_key_id)
    assert len(codes.asked) == 1 and actions(proxy, "GetSessionToken") == 1
    # A role lasts an hour; it is renewed 16 minutes before its end, so about every 44 minutes.
    assert 5 <= actions(proxy, "AssumeRole") <= 8
    assert len(set(keys)) == actions(proxy, "AssumeRole") and not any(k.startswith("ASIASESSION") for k in keys)


def test_a_job_outlives_its_mfa_session_with_one_more_code(roles: IamUser, proxy: RecordingProxy) -> None:
    clock = Clock()
    proxy.clock = clock
    proxy.lifetimes = {"AssumeRole": 3600, "GetSessionToken": 12 * 3600}
    codes = Codes()
    sts = library.session_with(library.library_broker(codes, clock), "default").client("sts", region_name="us-east-1")
    start = clock.now
    for hour in range(0, 26, 2):  # two days' worth of calls, each two hours apart
        clock.now = start + hour * 3600
        sts.get_caller_identity()
    assert len(codes.asked) == 3 and actions(proxy, "GetSessionToken") == 3  # at 0 h, 12 h, 24 h


def test_32_threads_through_a_renewal_cause_one_assume_role(roles: IamUser, proxy: RecordingProxy) -> None:
    clock = Clock()
    proxy.clock = clock
    proxy.lifetimes = {"AssumeRole": 3600, "GetSessionToken": 12 * 3600}
    session = library.session_with(library.library_broker(Codes(), clock), "prod")
    clients = [session.client("sts", region_name="us-east-1") for _ in range(32)]
    assert actions(proxy, "AssumeRole") == 1
    clock.now += 50 * 60  # past the renewal point
    barrier = threading.Barrier(32)
    failures: list[BaseException] = []

    def call(client: object) -> None:
        try:
            barrier.wait()
            client.get_caller_identity()  # type: ignore[attr-defined]
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=call, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == [] and actions(proxy, "AssumeRole") == 2


def test_boto3_session_takes_the_profiles_region(roles: IamUser, proxy: RecordingProxy) -> None:
    assert stscreds.boto3_session("dev", mfa_code=Codes()).region_name == "eu-west-1"
    assert stscreds.boto3_session("dev", region_name="ap-south-1", mfa_code=Codes()).region_name == "ap-south-1"


# --- exec --server ------------------------------------------------------------------------------

CHILD = """
import json, os, sys, urllib.request, urllib.error
import boto3
url, token = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"], os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
def status(header):
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=header), timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code
sts = boto3.Session().client("sts", region_name="us-east-1")
arns = [sts.get_caller_identity()["Arn"] for _ in range(3)]
print(json.dumps({
    "url": url,
    "fixed": sorted(k for k in os.environ if k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")),
    "no_token": status({}), "wrong_token": status({"Authorization": "x" + token}), "token": status({"Authorization": token}),
    "config": open(os.environ["AWS_CONFIG_FILE"]).read(), "config_file": os.environ["AWS_CONFIG_FILE"],
}))
sys.exit(7)
"""


def test_exec_server_serves_the_commands_sdks_from_its_endpoint(
    roles: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    state.authenticate(isolated_env, duration="12h")
    session_key = proxy.calls[-1].access_key_id
    (tmp_path / "child.py").write_text(CHILD)
    # Roles that end within botocore's refresh window: the SDK asks the endpoint before each
    # call, and is answered at once with the role's current credentials, not a renewal each
    # time (the endpoint renews them in the background: test_exec.py, with a clock it moves).
    proxy.lifetimes = {"AssumeRole": 14 * 60}
    proxy.calls.clear()
    done = run(
        isolated_env, "exec", "--server", "--profile", "dev", "--", sys.executable, str(tmp_path / "child.py"), env=env
    )
    assert done.returncode == 7, done.stderr  # the command's exit code
    seen = json.loads(done.stdout)
    assert seen["url"].startswith("http://127.0.0.1:") and seen["fixed"] == []
    assert (seen["no_token"], seen["wrong_token"], seen["token"]) == (403, 403, 200)
    # The SDK used the endpoint, not the session in ~/.aws/credentials.
    signers = [c.access_key_id for c in proxy.calls if c.action == "GetCallerIdentity"]
    assert len(signers) == 3 and session_key not in signers and len(set(signers)) == 1
    assert actions(proxy, "AssumeRole") == 1 and signers[0] in {c.access_key_id for c in proxy.calls}
    assert seen["config"].startswith("[default]\nregion = eu-west-1\n") and "role_arn" not in seen["config"]
    assert not os.path.exists(seen["config_file"])  # removed when the command ended
    with pytest.raises(OSError):  # and the endpoint stopped
        import urllib.request

        urllib.request.urlopen(seen["url"], timeout=2)


def test_exec_server_with_the_aws_cli(
    roles: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    state.authenticate(isolated_env, duration="12h")
    proxy.calls.clear()
    done = run(isolated_env, "exec", "--server", "-p", "prod", "--", AWS_BIN, "sts", "get-caller-identity", env=env)
    assert done.returncode == 0, done.stderr
    role_key = next(c for c in proxy.calls if c.action == "AssumeRole")
    identity = next(c for c in proxy.calls if c.action == "GetCallerIdentity")
    assert identity.access_key_id.startswith("ASIA") and identity.access_key_id != role_key.access_key_id
    assert "Arn" in json.loads(done.stdout)


def test_exec_server_fails_before_running_when_it_cannot_renew(
    roles: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    marker = tmp_path / "ran"
    done = run(isolated_env, "exec", "--server", "--", "touch", str(marker), env=env, prefix=("setsid",))
    assert done.returncode == 1 and "there is no terminal to ask on" in done.stderr
    assert not marker.exists()


# --- a shell kept current by its prompt ------------------------------------------------------

HOOK_LINES = Path(__file__).parent.parent / "README.md"


def readme_bash_hook() -> str:
    """The bash lines the README gives for a shell that stays open, taken from the README."""
    text = HOOK_LINES.read_text()
    block = text.split("<!-- bash-hook -->", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return block


@pytest.mark.skipif(shutil.which("faketime") is None and not os.environ.get("CI"), reason="no Debian faketime")
def test_the_prompt_hook_keeps_an_open_shell_current(
    roles: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    state.authenticate(isolated_env, duration="12h")
    # A stscreds that notes each time it runs, first on the PATH.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "runs"
    wrapper = bin_dir / "stscreds"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{STSCREDS}" "$@"\n')
    wrapper.chmod(0o755)
    env = {**env, "PATH": f"{bin_dir}:{env['PATH']}"}
    exported = tmp_path / "exported"
    lines = readme_bash_hook()
    hook = next(line for line in lines.splitlines() if line.startswith("_stscreds_renew()"))
    # The shell as it opens (for prod: AWS_PROFILE), the README's lines, then prompts while the role is valid.
    opened = f"{lines}\n_stscreds_renew\n_stscreds_renew\nexport -p > '{exported}'\n"
    done = subprocess.run(
        ["bash", "-c", opened], capture_output=True, text=True, env={**env, "AWS_PROFILE": "prod"}, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert log.read_text().splitlines() == ["env"]  # one process, not one per prompt
    # The same shell's variables an hour later (faketime), and its next prompts.
    later = f"source '{exported}'\n{hook}\n_stscreds_renew\n_stscreds_renew\necho \"$AWS_ACCESS_KEY_ID\"\n"
    proxy.clock, proxy.lifetimes = (lambda: time.time() + 61 * 60), {"AssumeRole": 3600}  # that shell's hour
    done = subprocess.run(
        ["faketime", "-f", "+61m", "bash", "-c", later], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr  # the role renewed silently
    first = next(line for line in exported.read_text().splitlines() if "AWS_ACCESS_KEY_ID=" in line)
    assert done.stdout.strip().startswith("ASIA") and done.stdout.strip() not in first
    assert log.read_text().splitlines() == ["env", "env --profile prod"]  # one renewal for two prompts
    assert [c.action for c in proxy.calls].count("GetSessionToken") == 1  # the MFA session lasts
