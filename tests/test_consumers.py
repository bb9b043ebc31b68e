"""Every way people use the credentials (issue 5), each with a real consumer: bash `eval` of
`env` (and fish when installed), `exec`, boto3 and the AWS CLI through `credential_process`,
`status` under faketime, `whoami`, and MFA codes from a flag or a command."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pexpect
import pytest
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    BIN,
    EXPIRED_SESSION,
    STSCREDS,
    IamUser,
    assert_one_line_failure,
    cli,
    credentials_path,
    examples,
    faketime,
    needs_faketime,
    run,
    spawn,
    write_credentials,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from stscreds import __version__, keystore, outputs
from stscreds.credentials import Credentials, format_timestamp, mask

AWS = str(BIN / "aws")


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """The consumers (boto3, the AWS CLI) need a region; stscreds itself falls back to one."""
    return {**env, "AWS_DEFAULT_REGION": "us-east-1"}


def session(home: Path) -> dict[str, str]:
    return raw_config_parse(str(credentials_path(home)))["default"]


def bash(script: str, env: dict[str, str], home: Path, **options) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env=env, cwd=home, timeout=60, **options
    )


def no_terminal(home: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI in a new session: no controlling terminal, stdin closed, as under a daemon or
    an IDE that runs credential_process."""
    return subprocess.run(
        [STSCREDS, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        start_new_session=True,
    )


# --- env ---------------------------------------------------------------------------------------


def test_bash_eval_of_env_sets_the_session_and_the_aws_cli_uses_it(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    # After the eval, the AWS CLI is kept from the file: it can only use the variables.
    done = bash(
        f'eval "$({STSCREDS} env)" && export AWS_SHARED_CREDENTIALS_FILE=/nonexistent && printf "%s\\n" '
        f'"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" '
        f"&& {AWS} sts get-caller-identity >/dev/null",
        env,
        isolated_env,
    )
    assert done.returncode == 0, done.stderr
    values = session(isolated_env)
    assert done.stdout.splitlines() == [
        values["aws_access_key_id"],
        values["aws_secret_access_key"],
        values["aws_session_token"],
        values["x_security_token_expires"],
    ]
    assert proxy.calls[-1].action == "GetCallerIdentity"
    assert proxy.calls[-1].access_key_id == values["aws_access_key_id"]


def test_env_prints_only_assignments(authenticated: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    values = session(isolated_env)
    for shell, expected in (
        ("sh", f"export AWS_SESSION_TOKEN='{values['aws_session_token']}'"),
        ("fish", f"set -gx AWS_SESSION_TOKEN '{values['aws_session_token']}'"),
        ("powershell", f"$Env:AWS_SESSION_TOKEN = '{values['aws_session_token']}'"),
    ):
        done = cli(isolated_env, "env", "--shell", shell, env=env)
        assert (done.returncode, done.stderr) == (0, "")
        lines = done.stdout.splitlines()
        assert len(lines) == 7 and expected in lines
        assert expected.replace("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN") in lines
        assert (
            expected.replace("AWS_SESSION_TOKEN", "STSCREDS_PROFILE").replace(values["aws_session_token"], "default")
            in lines
        )


def test_env_takes_the_fast_path(authenticated: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = run(isolated_env, "env", "-s", "fish", env={**env, "PYTHONPROFILEIMPORTTIME": "1"})
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert done.returncode == 0 and "stscreds.outputs" in imported
    assert sorted(m for m in imported if m.split(".")[0] in ("boto3", "botocore", "typer", "click", "rich")) == []


def test_env_with_no_way_to_ask_prints_nothing(initialised: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    done = cli(isolated_env, "env", env=env)
    assert_one_line_failure(done)
    assert "there is no terminal to ask on" in done.stderr


def test_env_renews_on_the_terminal_while_stdout_is_captured(
    initialised: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    shell = spawn(f'eval "$({STSCREDS} env)"; echo "token=$AWS_SESSION_TOKEN"', env, isolated_env)
    shell.expect_exact("MFA code for ")
    shell.sendline("123456")
    shell.expect(r"token=(\S+)")
    assert shell.match.group(1) == session(isolated_env)["aws_session_token"]
    shell.expect(pexpect.EOF)


def test_env_refuses_an_unknown_shell(authenticated: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = cli(isolated_env, "env", "--shell", "tcsh", env=env)
    assert_one_line_failure(done, 2)
    assert "unknown shell 'tcsh'" in done.stderr


def test_auth_output_env(initialised: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = cli(isolated_env, "auth", "--output-env", stdin="123456\n", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == outputs.shell_script(Credentials.from_ini(session(isolated_env)), "sh", "default")  # type: ignore[arg-type]
    assert "Wrote credentials" in done.stderr


awkward_values = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@settings(max_examples=examples(25))
@given(st.lists(awkward_values, min_size=1, max_size=10))
def test_each_shell_reads_back_exactly_the_value(values: list[str]) -> None:
    """Quoting: whatever a value holds ($, quotes, backslashes, newlines, unicode), each shell
    sets the variable to exactly it. Shells that are not installed are skipped."""
    shells_here = {"sh": ["bash", "-c"], "fish": ["fish", "-c"], "powershell": ["pwsh", "-NoProfile", "-Command"]}
    for shell, argv in shells_here.items():
        if shutil.which(argv[0]) is None:
            continue
        script = "".join(outputs.assignment(f"V{i}", value, shell) + "\n" for i, value in enumerate(values))
        show = {
            "sh": 'printf "%s\\0" ' + " ".join(f'"$V{i}"' for i in range(len(values))),
            "fish": "printf '%s\\0' " + " ".join(f'"$V{i}"' for i in range(len(values))),
            "powershell": "[Console]::Out.Write(("
            + ",".join(f"$Env:V{i}" for i in range(len(values)))
            + ' -join "`0") + "`0")',
        }[shell]
        done = subprocess.run([*argv, script + show], capture_output=True, timeout=30)
        assert done.returncode == 0, (shell, done.stderr)
        # Environment variables cannot hold NUL; fish and PowerShell read "\r\n" as they like.
        assert done.stdout.decode().split("\0")[:-1] == values, shell


def test_quoting_by_text() -> None:
    assert outputs.quote("it's $HOME", "sh") == "'it'\\''s $HOME'"
    assert outputs.quote("it's a \\ $HOME", "fish") == "'it\\'s a \\\\ $HOME'"
    assert outputs.quote("it's $HOME", "powershell") == "'it''s $HOME'"
    assert outputs.quote("it\u2019s", "powershell") == "'it\u2019\u2019s'"


# --- exec ----------------------------------------------------------------------------------------


def test_exec_passes_the_exit_code(authenticated: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    assert run(isolated_env, "exec", "--", "sh", "-c", "exit 3", env=env).returncode == 3
    assert run(isolated_env, "exec", "true", env=env).returncode == 0


def test_exec_sets_the_session_and_drops_profiles(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    env = {**env, "AWS_PROFILE": "work", "AWS_DEFAULT_PROFILE": "work", "KEEP": "me"}
    done = run(isolated_env, "exec", "--profile", "default", "--", "env", env=env)
    assert done.returncode == 0, done.stderr
    seen = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    values = session(isolated_env)
    assert seen["AWS_SESSION_TOKEN"] == values["aws_session_token"]
    assert seen["AWS_ACCESS_KEY_ID"] == values["aws_access_key_id"]
    assert seen["AWS_CREDENTIAL_EXPIRATION"] == values["x_security_token_expires"]
    assert "AWS_PROFILE" not in seen and "AWS_DEFAULT_PROFILE" not in seen and seen["KEEP"] == "me"

    # A real consumer, with options of its own after the command name. With AWS_PROFILE=work
    # (a profile that does not exist) left in, it would fail.
    proxy.calls.clear()
    done = run(isolated_env, "exec", "-p", "default", AWS, "sts", "get-caller-identity", "--output", "json", env=env)
    assert done.returncode == 0, done.stderr
    assert "Account" in json.loads(done.stdout)
    assert [c.access_key_id for c in proxy.calls] == [values["aws_access_key_id"]]


def test_exec_of_a_missing_command(authenticated: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    done = run(isolated_env, "exec", "--", "no-such-command-here", env=env)
    assert_one_line_failure(done, 127)
    assert "no-such-command-here: command not found" in done.stderr


# --- credential-process --------------------------------------------------------------------------


@pytest.fixture
def sdk_config(isolated_env: Path, env: dict[str, str]) -> dict[str, str]:
    """An ~/.aws/config whose profile `viastscreds` gets its keys from stscreds."""
    config = isolated_env / ".aws" / "config"
    config.parent.mkdir(exist_ok=True)
    config.write_text(f"[profile viastscreds]\ncredential_process = {STSCREDS} credential-process\n")
    return {**env, "AWS_CONFIG_FILE": str(config)}


def test_credential_process_prints_the_sdk_json(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    done = cli(isolated_env, "credential-process", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    values = session(isolated_env)
    assert json.loads(done.stdout) == {
        "Version": 1,
        "AccessKeyId": values["aws_access_key_id"],
        "SecretAccessKey": values["aws_secret_access_key"],
        "SessionToken": values["aws_session_token"],
        "Expiration": values["x_security_token_expires"],
    }


BOTO3_CALLER = (
    "import boto3, json; "
    "print(json.dumps(boto3.Session(profile_name='viastscreds').client('sts').get_caller_identity()['Arn']))"
)


def test_boto3_and_the_aws_cli_use_credential_process(
    authenticated: IamUser, isolated_env: Path, sdk_config: dict[str, str], proxy: RecordingProxy
) -> None:
    key = session(isolated_env)["aws_access_key_id"]
    proxy.calls.clear()
    done = subprocess.run([str(BIN / "python"), "-c", BOTO3_CALLER], capture_output=True, text=True, env=sdk_config)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        [AWS, "sts", "get-caller-identity", "--profile", "viastscreds"], capture_output=True, text=True, env=sdk_config
    )
    assert done.returncode == 0, done.stderr
    assert [(c.action, c.access_key_id) for c in proxy.calls] == [("GetCallerIdentity", key)] * 2


def test_credential_process_asks_on_the_terminal_while_the_sdk_reads_its_output(
    initialised: IamUser, isolated_env: Path, sdk_config: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    shell = spawn(f"{AWS} sts get-caller-identity --profile viastscreds >out 2>err", sdk_config, isolated_env)
    shell.expect_exact("MFA code for ")
    shell.sendline("123456")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, (isolated_env / "err").read_text()
    assert "Account" in (isolated_env / "out").read_text()
    assert proxy.actions[-1] == "sts:GetCallerIdentity" and "sts:GetSessionToken" in proxy.actions


def test_credential_process_without_a_terminal_fails_cleanly(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    proxy.calls.clear()
    done = no_terminal(isolated_env, "credential-process", env=env)
    assert_one_line_failure(done)
    assert "there is no terminal to ask on" in done.stderr
    assert proxy.calls == []  # it knew it could not ask before calling AWS
    assert raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_session_token"] == "old-token"


def test_credential_process_renews_early_but_hands_out_a_good_session_when_it_cannot(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    # 12 minutes left: inside botocore's 15-minute refresh window, outside read's 5 minutes.
    soon = format_timestamp(time.time() + 12 * 60)
    write_credentials(isolated_env, EXPIRED_SESSION.replace("2020-01-01T00:00:00Z", soon))
    proxy.calls.clear()
    done = no_terminal(isolated_env, "credential-process", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["SessionToken"] == "old-token"
    assert proxy.calls == []  # an SDK runs it before each call in that window: no AWS calls

    shell = spawn(f"{STSCREDS} credential-process > out", env, isolated_env)  # with a terminal, it renews
    shell.expect_exact("MFA code for ")
    shell.sendline("123456")
    shell.expect(pexpect.EOF)
    new = json.loads((isolated_env / "out").read_text())
    assert new["SessionToken"] == session(isolated_env)["aws_session_token"] != "old-token"


# --- status and whoami ---------------------------------------------------------------------------


@needs_faketime
def test_status_while_valid_and_after_expiry(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.calls.clear()
    done = run(isolated_env, "status", env=env, prefix=faketime("+10m"))
    assert done.returncode == 0, done.stderr
    assert re.search(r"Session: +valid until \S+ \(in (49m|50m)", done.stdout), done.stdout
    assert authenticated.access_key_id not in done.stdout
    assert f"arn:aws:iam::123456789012:user/{authenticated.name}" in done.stdout
    assert mask(session(isolated_env)["aws_access_key_id"]) in done.stdout
    assert mask(authenticated.access_key_id) in done.stdout

    done = run(isolated_env, "status", "--json", env=env, prefix=faketime("+2h"))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["valid"] is False and report["seconds_left"] < -3000
    assert report["expiration"] == session(isolated_env)["x_security_token_expires"]
    assert proxy.calls == []


def test_status_without_a_session(isolated_env: Path, env: dict[str, str]) -> None:
    done = cli(isolated_env, "status", env=env)  # a fresh HOME: the first step is init (issue 20)
    assert_one_line_failure(done)
    assert "run `stscreds init`" in done.stderr
    write_credentials(isolated_env, "[work]\nnot a setting\n")
    assert_one_line_failure(cli(isolated_env, "status", env=env))


def test_whoami(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> None:
    done = cli(isolated_env, "whoami", env=env)
    assert done.returncode == 0, done.stderr
    assert f"User:       {initialised.name}" in done.stdout
    assert f"MFA device: {initialised.mfa_serials[0]}" in done.stdout
    assert mask(initialised.access_key_id) in done.stdout and initialised.access_key_id not in done.stdout
    assert proxy.actions[-2:] == ["iam:GetUser", "iam:ListMFADevices"]


# --- where the MFA code comes from ------------------------------------------------------------


def code_script(folder: Path, output: str = "123456", exit_code: int = 0) -> str:
    script = folder / "mfa-code"
    script.write_text(f"#!/bin/sh\necho 'Touch your key' >&2\necho '{output}'\nexit {exit_code}\n")
    script.chmod(0o755)
    return str(script)


def test_auth_mfa_code_for_scripts(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy) -> None:
    done = cli(isolated_env, "auth", "--mfa-code", "246810", env=env)
    assert done.returncode == 0, done.stderr
    assert proxy.last("GetSessionToken").params["TokenCode"] == "246810"
    proxy.calls.clear()
    assert_one_line_failure(cli(isolated_env, "auth", "--mfa-code", "24681", env=env), 2)
    assert proxy.calls == []


def test_auth_mfa_command(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    done = cli(isolated_env, "auth", "--mfa-command", code_script(tmp_path, "135 790"), env=env)
    assert done.returncode == 0, done.stderr
    assert "Touch your key" in done.stderr
    assert proxy.last("GetSessionToken").params["TokenCode"] == "135790"


@pytest.mark.parametrize(
    ("output", "exit_code", "message"),
    [("123456", 3, "failed with exit code 3"), ("no code", 0, "is not an MFA code"), (None, 0, "was not found")],
)
def test_a_failing_mfa_command_is_one_line(
    output: str | None,
    exit_code: int,
    message: str,
    initialised: IamUser,
    isolated_env: Path,
    env: dict[str, str],
    proxy: RecordingProxy,
    tmp_path: Path,
) -> None:
    command = code_script(tmp_path, output, exit_code) if output is not None else "no-such-mfa-tool --code"
    done = cli(isolated_env, "auth", "--mfa-command", command, env=env)
    assert_one_line_failure(done)
    assert message in done.stderr
    assert "sts:GetSessionToken" not in proxy.actions
    assert not credentials_path(isolated_env).exists()


def test_the_mfa_command_from_the_environment_renews_read_without_a_terminal(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    env = {**env, "STSCREDS_MFA_COMMAND": code_script(tmp_path)}
    done = no_terminal(isolated_env, "read", "aws_session_token", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == session(isolated_env)["aws_session_token"] + "\n" != "old-token\n"


def test_the_mfa_command_stored_at_init_renews_credential_process(
    user: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    keys = f"{user.access_key_id}\n{user.secret_access_key}\n"
    assert cli(isolated_env, "init", "--mfa-command", code_script(tmp_path), stdin=keys, env=env).returncode == 0
    write_credentials(isolated_env, EXPIRED_SESSION)
    done = no_terminal(isolated_env, "credential-process", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["SessionToken"] == session(isolated_env)["aws_session_token"]
    # Running init again without the option keeps it; an empty one removes it (and asks for no keys).
    assert cli(isolated_env, "init", "--force", stdin=keys, env=env).returncode == 0
    assert keystore.settings("default")[keystore.MFA_COMMAND] == code_script(tmp_path)
    assert cli(isolated_env, "init", "--mfa-command", "", env=env).returncode == 0
    assert keystore.MFA_COMMAND not in keystore.settings("default")


# --- version and completion ------------------------------------------------------------------


def test_version(isolated_env: Path) -> None:
    done = cli(isolated_env, "--version")
    assert (done.returncode, done.stdout) == (0, f"stscreds {__version__}\n")


def test_shell_completion_script(isolated_env: Path) -> None:
    # --show-completion is for the shell it runs in (typer looks for it among its parents), as
    # when a person types it: from bash, whether pytest itself was started by a shell or not.
    done = run(isolated_env, "--show-completion", "bash", prefix=("bash", "-c", '"$0" "$@"; exit $?'))
    assert done.returncode == 0 and "_STSCREDS_COMPLETE" in done.stdout
