"""The first hour (issue 20): moving in without losing a key, the profile names a shell
completes, and a next step in every message. Driven as a person would: piped stdin for
scripts, pexpect for the questions, bash's own completion machinery for completion.

Where a person starts: keys from `aws configure` in [default] of ~/.aws/credentials (or in
AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, as aws-vault's `add --env` takes them).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pexpect
import pytest
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    EXPIRED_SESSION,
    STSCREDS,
    IamUser,
    assert_one_line_failure,
    cli,
    cli_env,
    credentials_path,
    make_user,
    run,
    spawn,
    write_credentials,
)

from stscreds import keystore
from stscreds.credentials import mask


def aws_configure_left(user: IamUser) -> str:
    """[default] as `aws configure` writes it, and a profile of someone else's beside it."""
    return (
        "[default]\n"
        f"aws_access_key_id = {user.access_key_id}\n"
        f"aws_secret_access_key = {user.secret_access_key}\n"
        "\n[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\naws_secret_access_key = other/secret\n"
    )


def key_store(home: Path) -> bytes:
    return (home / ".stscreds" / "credentials").read_bytes()


def in_a_closed_stdin(home: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The CLI with stdin closed (not /dev/null: no stdin at all), in a session of its own."""
    return subprocess.run(
        ["sh", "-c", 'exec "$@" <&-', "sh", STSCREDS, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        start_new_session=True,
    )


# --- 1. a session is never written over a long-term pair that is not the stored one ------------


RENEWALS = [("auth",), ("read", "aws_session_token"), ("env",), ("exec", "--", "true"), ("credential-process",)]


def test_no_session_is_written_over_a_long_term_pair_that_is_not_the_stored_one(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    bob = make_user(moto_port, "bob")  # another user's keys, as `aws configure` left them
    path = write_credentials(isolated_env, aws_configure_left(bob))
    before, stored = path.read_bytes(), key_store(isolated_env)
    proxy.calls.clear()
    for args in RENEWALS:  # `auth`, and every renewal through read, env, exec, credential-process
        done = run(isolated_env, *args, stdin="123456\n", env=env, prefix=("setsid",))
        assert_one_line_failure(done)
        assert f"holds the long-term key {mask(bob.access_key_id)}" in done.stderr, args
        assert "keep it with `stscreds init --import`" in done.stderr
        assert "MFA code" not in done.stderr  # before any prompt
    assert proxy.calls == []
    assert path.read_bytes() == before and key_store(isolated_env) == stored


def test_moving_in_from_aws_configure_keeps_the_pair_and_auth_turns_the_file_into_a_session(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    path = write_credentials(isolated_env, aws_configure_left(user))
    before = path.read_bytes()
    done = in_a_closed_stdin(isolated_env, "init", "--import", env=env)  # nothing typed: nothing to type
    assert done.returncode == 0, done.stderr
    assert f"Saved {mask(user.access_key_id)} (IAM user alice) from [default] of {path}" in done.stderr
    assert user.secret_access_key not in done.stderr + done.stdout
    assert keystore.load_keys("default") == (user.access_key_id, user.secret_access_key)
    assert keystore.settings("default")[keystore.USER_ARN].endswith(":user/alice")
    assert [(c.action, c.access_key_id) for c in proxy.calls] == [("GetUser", user.access_key_id)]
    assert path.read_bytes() == before  # left for auth
    # The stored pair in [default] is replaced by the session, as before.
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert done.returncode == 0, done.stderr
    section = raw_config_parse(str(path))["default"]
    assert section["aws_access_key_id"] != user.access_key_id and section["aws_session_token"]
    assert proxy.last("GetSessionToken").access_key_id == user.access_key_id
    assert raw_config_parse(str(path))["other"]["aws_access_key_id"] == "AKIAOTHEROTHEROTHER1"


def test_import_takes_the_environments_pair_and_says_what_it_cannot_take(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    pair = {"AWS_ACCESS_KEY_ID": user.access_key_id, "AWS_SECRET_ACCESS_KEY": user.secret_access_key}
    temporary = {**pair, "AWS_SESSION_TOKEN": "token"}
    done = in_a_closed_stdin(isolated_env, "init", "--import", env={**env, **temporary})
    assert_one_line_failure(done, 2)
    assert "nothing to import: no long-term pair in [default]" in done.stderr and proxy.calls == []
    bob = make_user(moto_port, "bob")
    write_credentials(isolated_env, aws_configure_left(bob))
    done = in_a_closed_stdin(isolated_env, "init", "--import", env={**env, **pair})
    assert_one_line_failure(done, 2)
    assert f"holds {mask(bob.access_key_id)} and AWS_ACCESS_KEY_ID holds {mask(user.access_key_id)}" in done.stderr
    assert proxy.calls == [] and not (isolated_env / ".stscreds" / "credentials").exists()
    credentials_path(isolated_env).unlink()
    done = in_a_closed_stdin(isolated_env, "init", "--import", env={**env, **pair})
    assert done.returncode == 0, done.stderr
    assert "from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY" in done.stderr
    assert "Warning: AWS_ACCESS_KEY_ID is set" in done.stderr  # it shadows every session: unset it
    assert keystore.load_keys("default") == (user.access_key_id, user.secret_access_key)


def test_init_on_a_terminal_offers_the_pair_it_finds(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    path = write_credentials(isolated_env, aws_configure_left(user))
    shell = spawn(f"{STSCREDS} init", env, isolated_env)
    shell.expect_exact(f"Found {mask(user.access_key_id)} in [default] of {path}. Keep that pair in stscreds? [Y/n] ")
    shell.sendline("")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert "AWS Secret Access Key" not in shell.before  # never asked for
    assert keystore.load_keys("default") == (user.access_key_id, user.secret_access_key)


# --- 2. a stored pair is replaced only when the person says so ---------------------------------


def test_init_asks_before_replacing_a_stored_pair_and_needs_force_elsewhere(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    bob = make_user(moto_port, "bob")
    keys = f"{bob.access_key_id}\n{bob.secret_access_key}\n"
    stored = key_store(isolated_env)
    proxy.calls.clear()
    done = cli(isolated_env, "init", stdin=keys, env=env)
    assert_one_line_failure(done, 2)
    assert f"profile 'default' holds {mask(initialised.access_key_id)} (alice) already: pass --force" in done.stderr
    assert key_store(isolated_env) == stored and proxy.calls == []

    shell = spawn(f"{STSCREDS} init", env, isolated_env)
    shell.expect_exact(f"Profile default holds {mask(initialised.access_key_id)} (alice). Replace it? [y/N] ")
    shell.sendline("n")
    shell.expect_exact("nothing was changed")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 2 and key_store(isolated_env) == stored and proxy.calls == []

    shell = spawn(f"{STSCREDS} init", env, isolated_env)
    shell.expect_exact("Replace it? [y/N] ")
    shell.sendline("y")
    shell.expect_exact("AWS Access Key ID: ")
    shell.sendline(bob.access_key_id)
    shell.expect_exact("AWS Secret Access Key: ")
    shell.sendline(bob.secret_access_key)
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert keystore.load_keys("default") == (bob.access_key_id, bob.secret_access_key)

    done = cli(
        isolated_env,
        "init",
        "--force",
        stdin=f"{initialised.access_key_id}\n{initialised.secret_access_key}\n",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert keystore.load_keys("default")[0] == initialised.access_key_id


# --- 4. a setting of a stored profile is changed without its keys -------------------------------


def test_changing_the_mfa_command_never_asks_for_the_keys(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.calls.clear()
    done = in_a_closed_stdin(isolated_env, "init", "--mfa-command", "ykman oath accounts code --single aws", env=env)
    assert done.returncode == 0, done.stderr
    assert "MFA command set to 'ykman oath accounts code --single aws'" in done.stderr
    assert keystore.settings("default")[keystore.MFA_COMMAND] == "ykman oath accounts code --single aws"
    done = in_a_closed_stdin(isolated_env, "init", "--mfa-command", "", env=env)
    assert done.returncode == 0 and "MFA command removed" in done.stderr, done.stderr
    assert keystore.MFA_COMMAND not in keystore.settings("default")
    assert keystore.load_keys("default") == (initialised.access_key_id, initialised.secret_access_key)
    assert proxy.calls == []


# --- 9. shell completion -------------------------------------------------------------------------

COMPLETION_CONFIG = """\
[profile prod]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = default

[profile portal]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 111111111111
sso_role_name = Admin

[profile mfa]
credential_process = stscreds credential-process --profile work
"""

COMPLETE = """
set -e
line=$(complete -p stscreds)              # what bash itself will run on <Tab>
function=${line##*-F }; function=${function%% *}
complete_words() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    "$function" stscreds "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$*| ${COMPREPLY[*]}"
}
complete_words stscreds read --profile ''
complete_words stscreds status -p p
complete_words stscreds read aws_s
"""


def test_bash_completes_every_kind_of_profile_and_reads_keys(
    store_keys, user: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    store_keys(user, "work")  # a stscreds profile: only in the key store
    (isolated_env / ".aws").mkdir()
    (isolated_env / ".aws" / "config").write_text(COMPLETION_CONFIG)
    write_credentials(isolated_env, "[static]\naws_access_key_id = AKIASTATICSTATIC0001\naws_secret_access_key = s\n")
    # As a person installs it: from bash, which typer finds among its parent processes (`; exit`
    # keeps bash from replacing itself with stscreds, and so from leaving the process tree).
    installed = subprocess.run(
        ["bash", "-c", f"{STSCREDS} --install-completion; exit $?"],
        capture_output=True, text=True, env=env, cwd=isolated_env, timeout=60,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    env = {**env, "PATH": f"{Path(STSCREDS).parent}:{env['PATH']}"}
    done = subprocess.run(
        ["bash", "-i", "-c", COMPLETE], capture_output=True, text=True, env=env, cwd=isolated_env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("| ") for line in done.stdout.splitlines())
    assert sorted(lines["stscreds read --profile "].split()) == ["mfa", "portal", "prod", "static", "work"]
    assert lines["stscreds status -p p"].split() == ["prod", "portal"]
    assert lines["stscreds read aws_s"].split() == ["aws_secret_access_key", "aws_session_token"]


# --- 10. no way to ask for a code: decided before any call ---------------------------------------


@pytest.mark.parametrize("stdin", ["/dev/null", "closed"])
def test_no_way_to_ask_for_a_code_is_one_line_before_any_call(
    stdin: str, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    path = write_credentials(isolated_env, EXPIRED_SESSION)
    proxy.calls.clear()
    for args in (("read", "aws_session_token"), ("auth",)):
        if stdin == "closed":
            done = in_a_closed_stdin(isolated_env, *args, env=env)
        else:
            done = run(isolated_env, *args, env=env, prefix=("setsid",))
        assert_one_line_failure(done)
        last = done.stderr.splitlines()[-1]
        assert "there is no terminal to ask on" in last, last
        assert "run `stscreds auth` in a terminal, or set STSCREDS_MFA_COMMAND" in last
        assert "`stscreds init --mfa-command CMD`" in last
    assert proxy.calls == []  # no iam:GetUser first
    assert path.read_text() == EXPIRED_SESSION
    # A code that is not one is refused before any call too.
    done = cli(isolated_env, "read", "aws_session_token", stdin="12345\n", env=env)
    assert_one_line_failure(done, 2)
    assert "must be the 6 digits" in done.stderr and proxy.calls == []


# --- 11. a fresh HOME points at the first missing step -------------------------------------------


def test_a_fresh_home_points_at_init(isolated_env: Path) -> None:
    env = cli_env(isolated_env)
    for args in (("status",), ("status", "--json"), ("auth",), ("read", "aws_session_token"), ("env",), ("clear",)):
        done = cli(isolated_env, *args, env=env)
        assert_one_line_failure(done)
        assert "run `stscreds init`" in done.stderr, (args, done.stderr)
        assert "stscreds auth" not in done.stderr
    assert list(isolated_env.iterdir()) == []  # nothing written
