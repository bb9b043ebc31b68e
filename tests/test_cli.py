"""The `stscreds` script, driven as a person would: piped stdin, a pseudo-terminal,
and faketime to move the clock. stdout and stderr are checked separately."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from awsproxy import WRONG_MFA_CODE, RecordingProxy
from conftest import (
    STSCREDS,
    IamUser,
    WaitProbe,
    assert_one_line_failure,
    cli,
    credentials_path,
    faketime,
    free_port,
    make_user,
    needs_faketime,
    run,
    spawn,
    write_credentials,
)

from stscreds import ini
from stscreds.aws import Timeouts

# --- the daily workflow ------------------------------------------------------------------


def test_init_auth_read_with_piped_stdin(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = run(isolated_env, "init", stdin=f"{user.access_key_id}\n{user.secret_access_key}\n", env=env)
    assert done.returncode == 0 and done.stdout == ""
    masked = f"{user.access_key_id[:4]}…{user.access_key_id[-4:]}"
    assert f"Saved {masked} (IAM user alice) as [default]" in done.stderr
    assert user.secret_access_key not in done.stderr and user.access_key_id not in done.stderr

    done = run(isolated_env, "auth", stdin="123456\n", env=env)
    assert done.returncode == 0 and done.stdout == ""
    assert "Current user: alice." in done.stderr
    assert done.stderr.endswith(f"\nWrote credentials to {credentials_path(isolated_env)}\n")
    token = ini.read(str(credentials_path(isolated_env))).sections["default"]["aws_session_token"]
    assert token not in done.stderr

    done = run(isolated_env, "read", "aws_session_token", env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, token + "\n", "")


def test_python_dash_m_works(authenticated: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stscreds", "read", "aws_access_key_id"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and done.stdout == "AKIAIOSFODNN7EXAMPLE\n"


def test_init_warns_about_shadowing_variables(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    env = {**env, "AWS_ACCESS_KEY_ID": "AKIAFROMTHEENVIRONMT", "AWS_SECRET_ACCESS_KEY": "env-secret"}
    done = run(isolated_env, "init", stdin=f"{user.access_key_id}\n{user.secret_access_key}\n", env=env)
    assert done.returncode == 0
    assert "Warning: AWS_ACCESS_KEY_ID is set" in done.stderr and "AWS_SECRET_ACCESS_KEY is set" in done.stderr


def test_read_with_profile_and_shared_credentials_file(
    user: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "elsewhere")}
    assert (
        cli(
            isolated_env, "init", "-p", "work", stdin=f"{user.access_key_id}\n{user.secret_access_key}\n", env=env
        ).returncode
        == 0
    )
    assert cli(isolated_env, "auth", "--profile", "work", stdin="123456\n", env=env).returncode == 0
    done = cli(isolated_env, "read", "aws_access_key_id", "--profile", "work", env=env)
    assert done.stdout == "AKIAIOSFODNN7EXAMPLE\n"
    assert not credentials_path(isolated_env).exists()


# --- failures: one line on stderr, non-zero, nothing on stdout, nothing written ----------


def test_wrong_mfa_code(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> None:
    proxy.faults["GetSessionToken"] = WRONG_MFA_CODE
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "rejected the MFA code" in done.stderr
    assert not credentials_path(isolated_env).exists()


def test_auth_before_init(isolated_env: Path, env: dict[str, str]) -> None:
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "run `stscreds init` first" in done.stderr


def test_malformed_credentials_file(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    path = write_credentials(isolated_env, "[work]\nnot a setting\n")
    for args in (("auth",), ("read", "aws_session_token")):
        done = cli(isolated_env, *args, stdin="123456\n", env=env)
        assert_one_line_failure(done)
        assert f"{path}, line 2:" in done.stderr
        assert "MFA code" not in done.stderr
    assert path.read_text() == "[work]\nnot a setting\n"


def test_aws_unreachable_fails_in_seconds(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    port = free_port()
    env = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    # How long it would take is what the CLI asks for: its connect timeout per attempt and
    # botocore's back-off between them, recorded in the process (benchmarks/faults.py times it).
    probe = WaitProbe(tmp_path, sleep_scale=0.1)
    done = run(isolated_env, "auth", stdin="123456\n", env=probe.env(env))
    assert_one_line_failure(done)
    assert "could not reach AWS" in done.stderr
    default = Timeouts()
    assert probe.waits("connect") == [port] * default.attempts
    assert [t for t in probe.waits("timeout") if t is not None] == [default.connect] * default.attempts
    backoff = probe.waits("sleep")
    assert len(backoff) == default.attempts - 1 and all(0 <= b <= 2**n for n, b in enumerate(backoff))
    assert default.attempts * default.connect + sum(backoff) <= default.unreachable_seconds < 15


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("auth", "--duration", "10m"), "AWS allows 900 s"),
        (("auth", "--duration", "2d"), "invalid duration"),
        (("read", "region"), "unknown key 'region'"),
        (("read", "aws_session_token", "--profile", "DEFAULT"), "invalid profile name"),
    ],
)
def test_bad_arguments_exit_2_before_any_call(
    args: tuple[str, ...],
    message: str,
    initialised: IamUser,
    isolated_env: Path,
    env: dict[str, str],
    proxy: RecordingProxy,
) -> None:
    proxy.calls.clear()
    done = cli(isolated_env, *args, env=env)
    assert_one_line_failure(done, code=2)
    assert message in done.stderr
    assert proxy.calls == []


def test_read_with_no_session_and_no_way_to_ask(initialised: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = cli(isolated_env, "read", "aws_session_token", env=env)  # stdin is /dev/null
    assert_one_line_failure(done)
    assert "there is no terminal to ask on" in done.stderr
    assert not credentials_path(isolated_env).exists()


def test_usage_errors_from_typer_go_to_stderr(isolated_env: Path) -> None:
    done = cli(isolated_env, "read")
    assert done.returncode == 2 and done.stdout == "" and "Missing argument" in done.stderr
    done = cli(isolated_env, "read", "aws_session_token", "--bogus")
    assert done.returncode == 2 and done.stdout == "" and "No such option" in done.stderr


# --- the clock moves (faketime) ----------------------------------------------------------


@needs_faketime
def test_read_before_expiry_makes_no_call(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    token = ini.read(str(credentials_path(isolated_env))).sections["default"]["aws_session_token"]
    proxy.calls.clear()
    done = run(isolated_env, "read", "aws_session_token", env=env, prefix=faketime("+50m"))
    assert (done.returncode, done.stdout) == (0, token + "\n")
    assert proxy.calls == []


@needs_faketime
def test_read_after_expiry_without_a_way_to_ask_fails_and_writes_nothing(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    before = credentials_path(isolated_env).read_bytes()
    done = run(isolated_env, "read", "aws_session_token", env=env, prefix=faketime("+2h"))
    assert_one_line_failure(done)
    assert credentials_path(isolated_env).read_bytes() == before


@needs_faketime
def test_read_after_expiry_authenticates_then_prints_the_new_value(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.unique_tokens = True
    # Within the margin before expiry counts as expired too.
    done = run(isolated_env, "read", "aws_session_token", stdin="123456\n", env=env, prefix=faketime("+56m"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("FwoGZXIvYXdzEXAMPLETOKEN") and done.stdout.count("\n") == 1
    assert done.stdout.strip() == ini.read(str(credentials_path(isolated_env))).sections["default"]["aws_session_token"]
    assert "sts:GetSessionToken" in proxy.actions


# --- a real terminal (pexpect) -----------------------------------------------------------


def test_init_on_a_terminal_hides_the_secret(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    child = spawn(STSCREDS + " init", env, isolated_env)
    child.expect_exact("AWS Access Key ID: ")
    child.sendline(user.access_key_id)
    child.expect_exact("AWS Secret Access Key: ")
    child.sendline(user.secret_access_key)
    child.expect(pexpect.EOF)
    transcript = child.before
    child.close()
    assert child.exitstatus == 0, transcript
    assert "Saved" in transcript
    assert user.secret_access_key not in transcript


def test_ctrl_c_at_the_mfa_prompt(initialised: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    child = spawn(STSCREDS + " auth", env, isolated_env)
    child.expect_exact("MFA code for ")
    child.expect_exact(": ")
    child.sendintr()
    child.expect(pexpect.EOF)
    transcript = child.before
    child.close()
    assert child.exitstatus == 130, transcript
    assert "interrupted" in transcript and "Traceback" not in transcript
    assert not credentials_path(isolated_env).exists()


def test_read_prompts_on_the_terminal_and_prints_only_the_value_to_stdout(
    initialised: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    # As in .bashrc: stdout is captured, the prompt must still reach the person.
    child = spawn(STSCREDS + " read aws_session_token > captured", env, isolated_env)
    child.expect_exact("Current user: alice.")
    child.expect_exact("MFA code for ")
    child.sendline("123456")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    token = ini.read(str(credentials_path(isolated_env))).sections["default"]["aws_session_token"]
    assert (isolated_env / "captured").read_text() == token + "\n"


def test_choosing_between_mfa_devices_on_a_terminal(
    proxy: RecordingProxy, moto_port: int, isolated_env: Path, env: dict[str, str], store_keys
) -> None:
    carol = make_user(moto_port, "carol", mfa_devices=2)
    store_keys(carol)
    child = spawn(STSCREDS + " auth", env, isolated_env)
    child.expect_exact("Choose 1-2: ")
    child.sendline("2")
    child.expect_exact(f"MFA code for {carol.mfa_serials[1]}: ")
    child.sendline("123456")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert proxy.last("GetSessionToken").params["SerialNumber"] == carol.mfa_serials[1]
