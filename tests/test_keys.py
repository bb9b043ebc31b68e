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
from pathlib import Path

import pytest
import state
from awsproxy import RecordingProxy
from conftest import (
    STSCREDS,
    IamUser,
    assert_one_line_failure,
    cli,
    moto_admin,
    run,
)

from stscreds import keystore


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


# --- age ---------------------------------------------------------------------------------------


def test_the_keys_age_is_looked_up_once_shown_and_warned_about(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, store_keys
) -> None:
    store_keys(user)
    assert cli(isolated_env, "auth", stdin="123456\n", env=env).returncode == 0
    made = keystore.settings("default")[keystore.KEY_CREATED]
    assert proxy.actions.count("iam:ListAccessKeys") == 1 and made.endswith("Z")
    proxy.calls.clear()
    assert cli(isolated_env, "auth", stdin="123456\n", env=env).returncode == 0
    assert "iam:ListAccessKeys" not in proxy.actions  # remembered

    old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 100 * 86400))
    keystore.save_settings("default", {keystore.KEY_CREATED: old})
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert done.returncode == 0
    assert "Warning: your long-term access key is 100 days old; rotate it with `stscreds rotate`." in done.stderr
    status = cli(isolated_env, "status", env=env)
    assert f"made {old[:10]} (100 days ago)" in status.stdout
    report = json.loads(cli(isolated_env, "status", "--json", env=env).stdout)
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
