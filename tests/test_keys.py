"""The long-term keys (issue 14): rotate them in one command, know their age, keep the secret in
the OS keyring.

Rotation runs against moto (its key list is read before and after) behind the proxy, which
records which credentials sign each call and injects a fault at each step. The keyring runs
against a real Secret Service: gnome-keyring-daemon inside dbus-run-session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
import state
from awsproxy import INVALID_KEY, RecordingProxy, aws_error
from conftest import (
    STSCREDS,
    IamUser,
    ScriptedUI,
    WaitProbe,
    assert_one_line_failure,
    broker_for,
    credentials_path,
    make_user,
    moto_admin,
    run,
    spawn,
)

from stscreds import keystore
from stscreds.commands.rotate import rotate
from stscreds.credentials import mask


def iam(moto_port: int):  # type: ignore[no-untyped-def]
    return moto_admin(moto_port)


def keys_of(moto_port: int, user: str) -> list[str]:
    return [k["AccessKeyId"] for k in iam(moto_port).list_access_keys(UserName=user)["AccessKeyMetadata"]]


def stored(home: Path) -> dict[str, str]:
    from configobj import ConfigObj

    return dict(ConfigObj(str(home / ".stscreds" / "credentials"))["default"])


@pytest.fixture
def session(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> IamUser:
    """A user set up with init, with an MFA session whose key is an ASIA one of its own."""
    proxy.unique_tokens = True
    state.authenticate(isolated_env, duration="12h")  # `stscreds auth`'s default duration
    proxy.calls.clear()
    return initialised


# --- rotate ------------------------------------------------------------------------------------


def test_rotate_replaces_the_key_with_the_session_and_leaves_none_behind(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    assert keys_of(moto_port, session.name) == [session.access_key_id]
    done = run(isolated_env, "rotate", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    (new_key,) = keys_of(moto_port, session.name)
    assert new_key != session.access_key_id and stored(isolated_env)["aws_access_key_id"] == new_key
    assert keystore.load_keys("default")[1] != session.secret_access_key
    assert mask(new_key) in done.stderr and mask(session.access_key_id) in done.stderr
    assert new_key not in done.stderr and session.access_key_id not in done.stderr
    # Created and deleted with the MFA session; the new pair checked with itself; nothing with the old pair.
    signers = {call.action: call.access_key_id for call in proxy.calls}
    assert signers["CreateAccessKey"] == signers["DeleteAccessKey"] == signers["ListAccessKeys"]
    assert signers["CreateAccessKey"].startswith("ASIA") and signers["GetUser"] == new_key
    assert session.access_key_id not in {call.access_key_id for call in proxy.calls}
    assert proxy.last("DeleteAccessKey").params["AccessKeyId"] == session.access_key_id
    status = run(isolated_env, "status", env=env)
    assert f"{mask(new_key)} in " in status.stdout and "(0 days ago)" in status.stdout
    assert run(isolated_env, "auth", stdin="123456\n", env=env).returncode == 0  # the new key works


def test_a_user_with_two_keys_already_is_told_before_anything_is_created(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    other = iam(moto_port).create_access_key(UserName=session.name)["AccessKey"]["AccessKeyId"]
    done = run(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert (
        f"has two access keys already, AWS's limit: {mask(session.access_key_id)} (stscreds') and {mask(other)}"
        in done.stderr
    )
    assert "CreateAccessKey" not in [c.action for c in proxy.calls]
    assert sorted(keys_of(moto_port, session.name)) == sorted([session.access_key_id, other])


def test_a_refused_create_changes_nothing(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    before = (isolated_env / ".stscreds" / "credentials").read_bytes()
    proxy.faults["CreateAccessKey"] = aws_error("AccessDenied", "not allowed to create access keys")
    done = run(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert "iam:CreateAccessKey failed with AccessDenied" in done.stderr
    assert keys_of(moto_port, session.name) == [session.access_key_id]
    assert (isolated_env / ".stscreds" / "credentials").read_bytes() == before


def test_a_new_key_iam_does_not_accept_yet_is_waited_for(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    proxy.faults["GetUser"] = replace(INVALID_KEY, times=3)  # IAM is eventually consistent
    probe = WaitProbe(tmp_path, sleep_scale=0.05)  # its waits recorded, and made 20 times shorter
    done = run(isolated_env, "rotate", "--yes", env=probe.env(env))
    assert done.returncode == 0, done.stderr
    assert [c.action for c in proxy.calls].count("GetUser") == 4
    waits = probe.waits("sleep")  # one wait after each refusal, within the README's half a minute
    assert len(waits) == 3 and 0 < sum(waits) <= 30
    assert keys_of(moto_port, session.name) == [stored(isolated_env)["aws_access_key_id"]]


def test_a_new_key_never_accepted_is_deleted_again(session: IamUser, proxy: RecordingProxy, moto_port: int) -> None:
    proxy.faults["GetUser"] = INVALID_KEY
    with pytest.raises(Exception, match="InvalidClientTokenId"):
        rotate("default", broker_for(ScriptedUI()), yes=True, sleep=lambda seconds: None)
    assert keys_of(moto_port, session.name) == [session.access_key_id]  # no orphan
    assert keystore.load_keys("default") == (session.access_key_id, session.secret_access_key)
    assert [c.action for c in proxy.calls][-1] == "DeleteAccessKey"


def test_a_failed_delete_of_the_old_key_says_so_and_keeps_the_new(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    proxy.faults["DeleteAccessKey"] = aws_error("ServiceFailure", "try later", 500)
    done = run(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert f"the new key is stored, but the old key {mask(session.access_key_id)} was not deleted" in done.stderr
    new_key = stored(isolated_env)["aws_access_key_id"]
    assert sorted(keys_of(moto_port, session.name)) == sorted([session.access_key_id, new_key])
    assert keystore.load_keys("default")[0] == new_key  # the store never points at a deleted key


def test_ctrl_c_between_create_and_store_deletes_the_new_key(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    store = isolated_env / ".stscreds" / "credentials"
    # Ctrl-C as the new pair is about to replace the old in the store.
    (hook / "sitecustomize.py").write_text(
        "import os, signal, sys\n"
        "def _hook(event, args):\n"
        f"    if event == 'os.rename' and str(args[1]) == {str(store)!r}:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.addaudithook(_hook)\n"
    )
    before = store.read_bytes()
    done = run(isolated_env, "rotate", "--yes", env={**env, "PYTHONPATH": str(hook)}, default_signals=True)
    assert_one_line_failure(done, 130)
    assert keys_of(moto_port, session.name) == [session.access_key_id] and store.read_bytes() == before
    assert not list((isolated_env / ".stscreds").glob("*.tmp"))


def test_a_session_that_stops_working_is_pointed_out(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.faults["GetCallerIdentity"] = INVALID_KEY
    done = run(isolated_env, "rotate", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "The current session no longer works: run `stscreds auth`."


def test_rotate_asks_on_a_terminal_and_needs_yes_elsewhere(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    done = run(isolated_env, "rotate", env=env)
    assert_one_line_failure(done, 2)
    assert "confirm on a terminal, or pass --yes" in done.stderr and proxy.calls == []
    shell = spawn(f"{STSCREDS} rotate", env, isolated_env)
    shell.expect_exact(
        f"Replace access key {mask(session.access_key_id)} of IAM user {session.name} with a new one? [y/N] "
    )
    shell.sendline("n")
    shell.expect_exact("not rotated: nothing was changed")
    shell.close()
    assert keys_of(moto_port, session.name) == [session.access_key_id]


def test_the_keys_age_is_looked_up_once_shown_and_warned_about(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, store_keys
) -> None:
    store_keys(user)
    assert run(isolated_env, "auth", stdin="123456\n", env=env).returncode == 0
    made = keystore.settings("default")[keystore.KEY_CREATED]
    assert proxy.actions.count("iam:ListAccessKeys") == 1 and made.endswith("Z")
    proxy.calls.clear()
    assert run(isolated_env, "auth", stdin="123456\n", env=env).returncode == 0
    assert "iam:ListAccessKeys" not in proxy.actions  # remembered

    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100 * 86400))
    keystore.save_settings("default", {keystore.KEY_CREATED: old})
    done = run(isolated_env, "auth", stdin="123456\n", env=env)
    assert done.returncode == 0
    assert "Warning: your long-term access key is 100 days old; rotate it with `stscreds rotate`." in done.stderr
    status = run(isolated_env, "status", env=env)
    assert f"made {old[:10]} (100 days ago)" in status.stdout
    report = json.loads(run(isolated_env, "status", "--json", env=env).stdout)
    assert (report["long_term_key_created"], report["long_term_key_age_days"]) == (old, 100)


# --- the OS keyring --------------------------------------------------------------------------------

HAS_SECRET_SERVICE = bool(shutil.which("gnome-keyring-daemon") and shutil.which("dbus-run-session"))
needs_secret_service = pytest.mark.skipif(
    not HAS_SECRET_SERVICE and not os.environ.get("CI"), reason="no gnome-keyring-daemon and dbus-run-session"
)

IN_A_DESKTOP_SESSION = """
set -e
echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null
"""


def in_desktop_session(script: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`script` (sh) with a session bus and an unlocked Secret Service, as on a desktop."""
    return subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", IN_A_DESKTOP_SESSION + script],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@needs_secret_service
def test_the_keyring_keeps_the_secret_and_no_file_does(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    secrets_seen = tmp_path / "secrets"  # outside HOME: what the keyring held, for the scan below
    script = (
        f'"{STSCREDS}" init --keyring\n'
        f'printf "123456\\n" | "{STSCREDS}" auth\n'
        f'"{STSCREDS}" status\n'
        f'"{STSCREDS}" rotate --yes\n'
        f'"{sys.executable}" -c "import keyring, sys; from stscreds import keystore; '
        f"print(keystore.load_keys('default')[1]); "
        f"print(keyring.get_password('stscreds', 'default:{user.access_key_id}'))\" > {secrets_seen}\n"
    )
    done = in_desktop_session(script, env, stdin=f"{user.access_key_id}\n{user.secret_access_key}\n")
    assert done.returncode == 0, done.stderr
    new_secret, old_entry = secrets_seen.read_text().splitlines()
    assert old_entry == "None"  # the old key's entry went with the old key
    store = (isolated_env / ".stscreds" / "credentials").read_text()
    assert "secret_store = keyring" in store and "aws_secret_access_key" not in store
    for path in isolated_env.rglob("*"):  # the keyring's own file is encrypted
        if path.is_file():
            data = path.read_bytes()
            assert user.secret_access_key.encode() not in data and new_secret.encode() not in data, path
    assert keys_of(moto_port, user.name) == [stored(isolated_env)["aws_access_key_id"]]


def test_no_keyring_is_one_line_and_stores_nothing(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # as on a server with none
    done = run(isolated_env, "init", "--keyring", stdin=f"{user.access_key_id}\n{user.secret_access_key}\n", env=env)
    assert_one_line_failure(done)
    assert "no OS keyring is available" in done.stderr
    assert not (isolated_env / ".stscreds" / "credentials").exists()


def test_without_the_keyring_package_init_says_how_to_install_it(
    user: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(  # a Python where keyring is not installed
        "import sys\nsys.modules['keyring'] = None\n"
    )
    done = run(
        isolated_env,
        "init",
        "--keyring",
        stdin=f"{user.access_key_id}\n{user.secret_access_key}\n",
        env={**env, "PYTHONPATH": str(hook)},
    )
    assert_one_line_failure(done, 1)
    assert "needs the keyring package, which is not installed: `pipx inject stscreds keyring`" in done.stderr
    assert "`pip install keyring` in stscreds' virtualenv" in done.stderr and "stscreds[keyring]" not in done.stderr
    assert not (isolated_env / ".stscreds").exists()


def test_the_fast_path_never_touches_the_keyring(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, store_keys
) -> None:
    store_keys(user)
    state.authenticate(isolated_env, duration="12h")
    store = isolated_env / ".stscreds" / "credentials"
    store.write_text(
        store.read_text().replace(f"aws_secret_access_key = {user.secret_access_key}", "secret_store = keyring")
    )
    done = subprocess.run(
        [sys.executable, "-X", "importtime", STSCREDS, "status"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and "Long-term:" in done.stdout
    assert "keyring" not in {
        line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line
    }


def test_credentials_path_is_untouched_by_rotation(session: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    before = credentials_path(isolated_env).read_bytes()
    assert run(isolated_env, "rotate", "--yes", env=env).returncode == 0
    assert credentials_path(isolated_env).read_bytes() == before  # the session stays where it was


def test_rotate_in_process_without_a_stored_user_arn(
    proxy: RecordingProxy, moto_port: int, store_keys, isolated_env: Path
) -> None:
    carol = make_user(moto_port, "carol", mfa_devices=1)  # stored without init: no user_arn yet
    store_keys(carol)
    result = rotate("default", broker_for(ScriptedUI("123456")), yes=True, sleep=lambda s: None)
    assert result.user == "carol" and result.old_key_deleted is None and result.session_works
