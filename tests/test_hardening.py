"""What an adversarial review of the released CLI found (issue 9), one test per finding, grouped
by the class of defect, with the siblings found in each class since.

Each drives the installed CLI as a person would, against moto behind the recording proxy (or
its entry point in-process, conftest.cli, where the process adds nothing a person would see).
Read-only file systems and bind-mounted files are made for real, inside a private mount
namespace (`unshare --mount`): root ignores permission bits, so chmod cannot stand in for them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from awsproxy import CAPTIVE_PORTAL, RecordingProxy, cut_after
from botocore.configloader import raw_config_parse
from conftest import (
    AWS_BIN,
    EXPIRED_SESSION,
    MOTO_SESSION_TOKEN_PREFIX,
    STSCREDS,
    IamUser,
    assert_one_line_failure,
    cli,
    credentials_path,
    make_user,
    run,
    spawn,
    write_credentials,
)

from stscreds import paths

MOTO_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"  # moto's fixed GetSessionToken secret
IS_ROOT = os.geteuid() == 0


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True)
    return done.returncode == 0


CAN_UNSHARE = _can_unshare()
needs_mounts = pytest.mark.skipif(
    not CAN_UNSHARE and not os.environ.get("CI"), reason="cannot make a mount namespace here (unshare --mount)"
)


def in_namespace(
    mounts: str, home: Path, *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI run in a private mount namespace after the shell commands `mounts`."""
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-euc", f'{mounts}\nexec "$0" "$@"', STSCREDS, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def read_only(path: Path) -> str:
    return f"mount --bind '{path}' '{path}'\nmount -o remount,ro,bind '{path}'"


def files_under(home: Path) -> dict[str, bytes]:
    locks = Path(paths.locks_dir())
    return {
        str(p.relative_to(home)): p.read_bytes()
        for p in sorted(home.rglob("*"))
        if p.is_file() and not p.is_symlink() and p.parent != locks
    }


def asks_for_no_code(done: subprocess.CompletedProcess[str], proxy: RecordingProxy) -> None:
    assert "sts:GetSessionToken" not in proxy.actions
    assert not any(line.startswith("MFA code for") for line in done.stderr.splitlines())  # no prompt shown


# --- files that are not what they seem: symlinks, devices, FIFOs ----------------------------


@pytest.mark.parametrize("dangling", [False, True], ids=["to a file", "dangling"])
def test_the_lock_is_never_followed_through_a_symlink(
    dangling: bool, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    if not dangling:
        victim.write_text("precious\n")
    locks = isolated_env / ".stscreds" / "locks"
    locks.mkdir(mode=0o700)
    (locks / "session.default").symlink_to(victim)
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "is a symbolic link; stscreds does not follow it" in done.stderr
    assert victim.exists() != dangling and (dangling or victim.read_text() == "precious\n")
    asks_for_no_code(done, proxy)


def test_the_locks_folder_is_never_followed_through_a_symlink(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (isolated_env / ".stscreds" / "locks").symlink_to(elsewhere)
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "stscreds will not lock in it" in done.stderr
    assert list(elsewhere.iterdir()) == []
    asks_for_no_code(done, proxy)


def test_a_lock_that_is_a_fifo_or_a_hard_link(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    locks = isolated_env / ".stscreds" / "locks"
    locks.mkdir(mode=0o700)
    os.mkfifo(locks / "session.default")
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "is not a regular file; stscreds will not use it as its lock" in done.stderr
    (locks / "session.default").unlink()
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    os.link(victim, locks / "session.default")
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "a hard link to another file" in done.stderr and victim.read_text() == "precious\n"
    asks_for_no_code(done, proxy)


def _not_regular(kind: str, home: Path, tmp_path: Path) -> Path:
    """Something at a credentials path that is not a regular file."""
    if kind == "a FIFO":
        os.mkfifo(tmp_path / "fifo")
        return tmp_path / "fifo"
    if kind == "a folder":
        (tmp_path / "folder").mkdir()
        return tmp_path / "folder"
    # A null or zero device. As root, our own node: if this regressed, only it is replaced.
    minor = 3 if kind.startswith("/dev/null") else 5
    device = Path(f"/dev/{'null' if minor == 3 else 'zero'}")
    if IS_ROOT:
        device = tmp_path / device.name
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    if kind.endswith("through a symlink"):
        link = home / ".aws" / "credentials"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(device)
        return link
    return device


@pytest.mark.parametrize("kind", ["/dev/null", "/dev/zero", "a FIFO", "a folder", "/dev/null through a symlink"])
def test_a_credentials_path_that_is_not_a_regular_file(
    kind: str, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    target = _not_regular(kind, isolated_env, tmp_path)
    env = {**env, "AWS_SHARED_CREDENTIALS_FILE": str(target)}
    mode = os.lstat(target).st_mode
    # A FIFO blocks nothing: nobody ever writes to it, so a command that opened it to read would
    # never finish (run() would time out); each finishing, with its answer, is the proof.
    for args in (("auth",), ("read", "aws_session_token")):
        done = run(isolated_env, *args, stdin="123456\n", env=env)
        assert_one_line_failure(done)
        assert "is not a regular file, so botocore and the AWS CLI read no credentials file from it" in done.stderr
        asks_for_no_code(done, proxy)
    done = run(isolated_env, "status", env=env)  # reads it as botocore does: no file, no session
    assert done.returncode == 1 and "no session" in done.stdout
    assert os.lstat(target).st_mode == mode


def test_other_files_that_are_not_regular_files(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    os.mkfifo(tmp_path / "config")  # botocore reads no config from it either
    write_credentials(isolated_env, EXPIRED_SESSION)
    done = run(isolated_env, "status", env={**env, "AWS_CONFIG_FILE": str(tmp_path / "config")})
    assert done.returncode == 1 and "expired" in done.stdout
    store = isolated_env / ".stscreds" / "credentials"
    store.unlink()
    os.mkfifo(store)
    done = run(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "credentials: not a regular file" in done.stderr


# --- writes that cannot happen, found before the MFA code -----------------------------------


def test_an_edit_botocore_would_read_differently_is_refused_before_the_code(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    # A new [default] would inherit a [DEFAULT] value botocore cannot nest.
    path = write_credentials(isolated_env, "[DEFAULT]\nregion =\n  no equals sign\n")
    done = cli(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert "not writing [default]: botocore would then read other settings differently" in done.stderr
    asks_for_no_code(done, proxy)
    assert path.read_text() == "[DEFAULT]\nregion =\n  no equals sign\n"


@needs_mounts
def test_no_code_is_spent_when_the_aws_folder_is_read_only(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    (isolated_env / ".aws").mkdir()
    done = in_namespace(read_only(isolated_env / ".aws"), isolated_env, "auth", env=env, stdin="123456\n")
    assert_one_line_failure(done)
    assert "Read-only file system" in done.stderr
    asks_for_no_code(done, proxy)


@needs_mounts
def test_a_bind_mounted_credentials_file_is_written_in_place(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    outside = tmp_path / "host-credentials"  # what `docker run -v ~/.aws/credentials:...` mounts
    outside.write_text("# mine\n[work]\nregion = x\n")
    inside = write_credentials(isolated_env, "")
    mount = f"mount --bind '{outside}' '{inside}'"
    done = in_namespace(mount, isolated_env, "auth", env=env, stdin="123456\n")
    assert done.returncode == 0, done.stderr
    written = outside.read_text()
    assert written.startswith("# mine\n[work]\nregion = x\n\n[default]\n")
    assert raw_config_parse(str(outside))["default"]["aws_session_token"].startswith(MOTO_SESSION_TOKEN_PREFIX)
    assert stat.S_IMODE(outside.stat().st_mode) == 0o600
    assert sorted(p.name for p in inside.parent.iterdir()) == ["credentials"]  # no temp file left

    proxy.calls.clear()
    ro = f"{mount}\nmount -o remount,ro,bind '{inside}'"
    done = in_namespace(ro, isolated_env, "auth", env=env, stdin="123456\n")
    assert_one_line_failure(done)
    assert "Read-only file system" in done.stderr
    asks_for_no_code(done, proxy)
    assert outside.read_text() == written


@needs_mounts
def test_bookkeeping_in_a_read_only_key_store_cannot_fail_auth(
    user: IamUser, store_keys, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    store_keys(user)  # without the user's ARN: auth will want to record it
    store = isolated_env / ".stscreds" / "credentials"
    before = store.read_bytes()
    done = in_namespace(read_only(store), isolated_env, "auth", env=env, stdin="123456\n")
    assert done.returncode == 0, done.stderr
    assert "stscreds:" not in done.stderr and store.read_bytes() == before
    assert cli(isolated_env, "read", "aws_session_token", env=env).returncode == 0


@needs_mounts
def test_a_read_only_stscreds_folder_is_one_line_before_the_code(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    done = in_namespace(read_only(isolated_env / ".stscreds"), isolated_env, "auth", env=env, stdin="123456\n")
    assert_one_line_failure(done)
    assert "Read-only file system" in done.stderr and "locks" in done.stderr
    asks_for_no_code(done, proxy)


def test_a_full_disk_is_one_line_and_leaves_no_temp_file(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    before = files_under(isolated_env)
    # Every write fails with EFBIG (Python ignores SIGXFSZ), the lock's pid among them.
    done = run(isolated_env, "auth", stdin="123456\n", env=env, prefix=("prlimit", "--fsize=0"))
    assert_one_line_failure(done)
    assert f"could not write {credentials_path(isolated_env)}: File too large" in done.stderr
    assert files_under(isolated_env) == before and not list(isolated_env.rglob("*.tmp"))


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_during_the_write_leaves_no_temp_file(
    number: int, initialised: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    before = files_under(isolated_env)
    hook = tmp_path / "hook"
    hook.mkdir()
    # The signal arrives as the temp file holding the new session is about to be renamed over
    # the credentials file: written, fsynced, there.
    (hook / "sitecustomize.py").write_text(
        "import os, sys\n"
        "def _hook(event, args):\n"
        f"    if event == 'os.rename' and str(args[1]) == {str(credentials_path(isolated_env))!r}:\n"
        f"        os.kill(os.getpid(), {int(number)})\n"
        "sys.addaudithook(_hook)\n"
    )
    done = run(isolated_env, "auth", stdin="123456\n", env={**env, "PYTHONPATH": str(hook)}, default_signals=True)
    assert_one_line_failure(done, 128 + number)
    assert f"stopped by {signal.Signals(number).name}; nothing was written" in done.stderr
    assert files_under(isolated_env) == before and not list(isolated_env.rglob("*.tmp"))


def test_nohup_keeps_stscreds_running_when_the_terminal_closes(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """SIGHUP ignored by the caller (nohup) stays ignored: the write goes through."""
    write_credentials(isolated_env, EXPIRED_SESSION)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, signal, sys\n"
        "def _hook(event, args):\n"
        f"    if event == 'os.rename' and str(args[1]) == {str(credentials_path(isolated_env))!r}:\n"
        "        os.kill(os.getpid(), signal.SIGHUP)\n"
        "sys.addaudithook(_hook)\n"
    )
    done = run(isolated_env, "auth", stdin="123456\n", env={**env, "PYTHONPATH": str(hook)}, prefix=("nohup",))
    assert done.returncode == 0, done.stderr
    assert "old-token" not in credentials_path(isolated_env).read_text()


def test_parent_folders_are_0700_under_umask_000(user: IamUser, env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"  # a HOME that does not exist yet
    nested = tmp_path / "a" / "b" / "c" / "credentials"
    env = {**env, "HOME": str(home), "AWS_SHARED_CREDENTIALS_FILE": str(nested)}
    keys = f"{user.access_key_id}\n{user.secret_access_key}\n"
    for args, stdin in ((("init",), keys), (("auth",), "123456\n")):
        done = subprocess.run(
            ["sh", "-c", f'umask 000; exec "{STSCREDS}" "$@"', "sh", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, done.stderr
    made = [tmp_path / "new", home, home / ".stscreds", tmp_path / "a", tmp_path / "a" / "b", nested.parent]
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in made} == {str(p): 0o700 for p in made}


# --- answers that are not AWS's, and secrets in them -----------------------------------------

NOT_AWS = {
    "cut inside the session token": cut_after(b"<SessionToken>AQoEXAMPLEH4"),
    "cut inside the secret": cut_after(b"<SecretAccessKey>wJalrXUtnFEMI"),
    "a captive portal's page": CAPTIVE_PORTAL,
}


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "--debug"])
@pytest.mark.parametrize("answer", NOT_AWS.values(), ids=NOT_AWS.keys())
def test_an_answer_that_is_not_aws_is_one_line_without_its_body(
    answer, debug: bool, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.faults["GetSessionToken"] = answer
    done = cli(isolated_env, *(["--debug"] if debug else []), "auth", stdin="123456\n", env=env)
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].startswith(f"stscreds: {proxy.url} did not answer sts:GetSessionToken like AWS")
    for fragment in ("AQoEXAMPLEH4", "wJalrXUtnFEMI"):
        assert fragment not in done.stderr
    assert debug or "Hotel WiFi" not in done.stderr  # no body, unless asked for with --debug
    assert not credentials_path(isolated_env).exists()


# --- the AWS variables, as botocore reads them -----------------------------------------------


def test_a_stale_aws_security_token_is_replaced(
    authenticated: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    token = raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_session_token"]
    env = {**env, "AWS_SECURITY_TOKEN": "stale-token", "AWS_DEFAULT_REGION": "us-east-1"}
    for script in (
        f'eval "$({STSCREDS} env)" && {AWS_BIN} sts get-caller-identity',
        f"{STSCREDS} exec -- {AWS_BIN} sts get-caller-identity",
    ):
        proxy.calls.clear()
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        assert [c.session_token for c in proxy.calls] == [token]


def test_aws_profile_naming_the_profile_being_created(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    env = {**env, "AWS_PROFILE": "work"}
    done = cli(
        isolated_env, "init", "--profile", "work", stdin=f"{user.access_key_id}\n{user.secret_access_key}\n", env=env
    )
    assert done.returncode == 0, done.stderr
    assert cli(isolated_env, "whoami", "--profile", "work", env=env).returncode == 0
    assert cli(isolated_env, "auth", "--profile", "work", stdin="123456\n", env=env).returncode == 0


def test_aws_shared_credentials_file_resolves_as_botocore_resolves_it(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION.replace("2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z"))
    empty = {**env, "AWS_SHARED_CREDENTIALS_FILE": ""}  # botocore and the AWS CLI read no file
    done = cli(isolated_env, "status", env=empty)
    assert done.returncode == 1 and "no session" in done.stdout
    done = cli(isolated_env, "auth", stdin="123456\n", env=empty)
    assert_one_line_failure(done)
    assert "AWS_SHARED_CREDENTIALS_FILE is set but empty" in done.stderr
    asks_for_no_code(done, proxy)

    work = tmp_path / "work"
    work.mkdir()
    relative = {**env, "AWS_SHARED_CREDENTIALS_FILE": "rel/creds"}  # relative to the current folder
    done = subprocess.run(
        [STSCREDS, "auth"], input="123456\n", capture_output=True, text=True, env=relative, cwd=work, timeout=60
    )
    assert done.returncode == 0 and (work / "rel" / "creds").exists(), done.stderr
    boto3_sees = subprocess.run(
        [sys.executable, "-c", "import boto3; print(boto3.Session().get_credentials().token)"],
        capture_output=True,
        text=True,
        env=relative,
        cwd=work,
    )
    assert boto3_sees.stdout.strip() == raw_config_parse(str(work / "rel" / "creds"))["default"]["aws_session_token"]
    tilde = {**env, "AWS_SHARED_CREDENTIALS_FILE": "~/elsewhere/creds"}
    assert cli(isolated_env, "auth", stdin="123456\n", env=tilde).returncode == 0
    assert (isolated_env / "elsewhere" / "creds").exists()


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("2999-01-01T00:00:00", "2999-01-01T00:00:00Z"),
        ("2999-01-01 00:00:00.5+01:00", "2998-12-31T23:00:00Z"),
        ("2999-01-01t00:00:00.000z", "2999-01-01T00:00:00Z"),
        ("2999-01-01T00:00:00+99:99", None),  # not an instant: no session
        ("2999-01-01T00:00:00.²Z", None),
    ],
)
def test_credential_process_prints_the_instant_it_read(
    written: str, printed: str | None, initialised: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION.replace("2020-01-01T00:00:00Z", written))
    config = isolated_env / ".aws" / "config"
    config.write_text(f"[profile via]\ncredential_process = {STSCREDS} credential-process\n")
    env = {**env, "AWS_CONFIG_FILE": str(config), "AWS_DEFAULT_REGION": "us-east-1"}
    done = run(isolated_env, "credential-process", env=env, prefix=("setsid",))  # no terminal to ask on
    status = cli(isolated_env, "status", env=env)
    if printed is None:
        assert_one_line_failure(done)
        assert status.returncode == 1 and "no session" in status.stdout
        return
    assert json.loads(done.stdout)["Expiration"] == printed
    sdk = subprocess.run(
        [sys.executable, "-c", "import boto3; print(boto3.Session(profile_name='via').get_credentials().token)"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert sdk.stdout.strip() == "old-token", sdk.stderr


def test_the_mfa_commands_stderr_reaches_the_terminal_under_credential_process(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    command = tmp_path / "code"
    command.write_text("#!/bin/sh\necho 'Touch your key' >&2\necho 123456\n")
    command.chmod(0o755)
    config = isolated_env / ".aws" / "config"
    config.write_text(f"[profile via]\ncredential_process = {STSCREDS} credential-process\nregion = us-east-1\n")
    env = {**env, "AWS_CONFIG_FILE": str(config), "STSCREDS_MFA_COMMAND": str(command)}
    shell = spawn(f"{AWS_BIN} sts get-caller-identity --profile via >out 2>err", env, isolated_env)
    shell.expect_exact("Touch your key")  # on the terminal, though the SDK captures stderr
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, (isolated_env / "err").read_text()
    assert "Touch your key" not in (isolated_env / "err").read_text()


def test_an_mfa_command_that_prints_too_much(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    done = cli(isolated_env, "auth", "--mfa-command", "yes 123456", env=env)
    assert_one_line_failure(done)
    assert "printed more than a code" in done.stderr
    assert "sts:GetSessionToken" not in proxy.actions


# --- one line, never a traceback ---------------------------------------------------------------

OUTPUT_COMMANDS = {
    "read (fast)": ("read", "aws_session_token"),
    "env (fast)": ("env",),
    "status (fast)": ("status",),
    "credential-process (fast)": ("credential-process",),
    "status --json (full CLI)": ("status", "--json", "--profile", "unassumed"),  # a role not assumed yet
    "whoami": ("whoami",),
    "auth --output-env": ("auth", "--output-env", "--mfa-code", "123456"),
    "--version": ("--version",),
}


def _closed_pipe() -> int:
    """The write end of a pipe whose reader is gone: every write fails with EPIPE."""
    reader, writer = os.pipe()
    os.close(reader)
    return writer


@pytest.mark.parametrize("stdout", ["closed", "/dev/full", "a broken pipe"])
@pytest.mark.parametrize("args", OUTPUT_COMMANDS.values(), ids=OUTPUT_COMMANDS.keys())
def test_a_stdout_that_cannot_be_written_is_one_line(
    args: tuple[str, ...], stdout: str, authenticated: IamUser, isolated_env: Path, env: dict[str, str]
) -> None:
    (isolated_env / ".aws" / "config").write_text(
        "[profile unassumed]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = default\n"
    )
    command = [STSCREDS, *args]
    if stdout == "closed":
        done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command], capture_output=False, stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL)  # fmt: skip
    else:
        target = os.open("/dev/full", os.O_WRONLY) if stdout == "/dev/full" else _closed_pipe()
        try:
            done = subprocess.run(command, stdout=target, stderr=subprocess.PIPE, text=True, env=env, stdin=subprocess.DEVNULL)  # fmt: skip
        finally:
            os.close(target)
    lines = done.stderr.splitlines()  # auth says what it wrote first
    assert done.returncode == 1 and "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr
    assert [line for line in lines if line.startswith("stscreds")] == lines[-1:] and "stdout" in lines[-1], lines


def test_ctrl_c_while_the_cli_is_being_imported(isolated_env: Path, env: dict[str, str], tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    # As if Ctrl-C came in the ~40 ms typer takes to import.
    (hook / "sitecustomize.py").write_text(
        "import sys\n"
        "def _hook(event, args):\n"
        "    if event == 'import' and args[0] == 'typer':\n"
        "        raise KeyboardInterrupt\n"
        "sys.addaudithook(_hook)\n"
    )
    done = run(isolated_env, "whoami", env={**env, "PYTHONPATH": str(hook)})
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "stscreds: interrupted\n")


ORDINARY_TROUBLE = {
    "--duration ²": (("auth", "--duration", "²"), {}, 2, "invalid duration"),
    "--duration 3600²": (("auth", "--duration", "3600²"), {}, 2, "invalid duration"),
    "--duration of 5,000 digits": (("auth", "--duration", "9" * 5000), {}, 2, "invalid duration"),
    "a profile name that is not text": (("init", "--profile", "x\udcff"), {}, 2, "invalid profile name"),
    "AWS_MAX_ATTEMPTS=abc": (("auth",), {"AWS_MAX_ATTEMPTS": "abc"}, 2, "AWS_MAX_ATTEMPTS"),
    "AWS_ENDPOINT_URL=notaurl": (("auth",), {"AWS_ENDPOINT_URL": "notaurl"}, 2, "AWS_ENDPOINT_URL"),
    "STSCREDS_LOCK_TIMEOUT=soon": (("auth",), {"STSCREDS_LOCK_TIMEOUT": "soon"}, 2, "STSCREDS_LOCK_TIMEOUT"),
    "an expiry with .²": (("read", "aws_session_token"), {}, 1, "there is no terminal to ask on"),
}


@pytest.mark.parametrize("args, extra_env, code, message", ORDINARY_TROUBLE.values(), ids=ORDINARY_TROUBLE.keys())
def test_ordinary_trouble_is_named_in_one_line(
    args: tuple[str, ...],
    extra_env: dict[str, str],
    code: int,
    message: str,
    initialised: IamUser,
    isolated_env: Path,
    env: dict[str, str],
    proxy: RecordingProxy,
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION.replace("2020-01-01T00:00:00Z", "2999-01-01T00:00:00.²Z"))
    proxy.calls.clear()
    done = subprocess.run(
        [os.fsencode(STSCREDS), *(os.fsencode(a) for a in args)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env={**env, **extra_env},
        timeout=60,
    )
    failed = subprocess.CompletedProcess(args, done.returncode, "", done.stderr.decode("utf-8", "replace"))
    assert_one_line_failure(failed, code)  # the one error line last, maybe after "authenticating"
    assert message in failed.stderr and "unexpected error" not in failed.stderr, failed.stderr
    asks_for_no_code(failed, proxy)


def test_a_superscript_at_the_device_choice(
    proxy: RecordingProxy, moto_port: int, isolated_env: Path, env: dict[str, str], store_keys
) -> None:
    store_keys(make_user(moto_port, "carol", mfa_devices=2))
    shell = spawn(STSCREDS + " auth", env, isolated_env)
    shell.expect_exact("Choose 1-2: ")
    shell.sendline("²")
    shell.expect_exact("Please type a number from 1 to 2.")
    shell.sendline("1")
    shell.expect_exact("MFA code for ")
    shell.sendline("123456")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before


USAGE_ERRORS = {
    "a missing argument": (("read",), "Missing argument"),
    "an unknown option": (("read", "aws_session_token", "--bogus"), "No such option: --bogus"),
    "a misspelt option": (("read", "aws_session_token", "--profil", "x"), "--profile"),  # click's suggestion
    "an unknown command": (("rea",), "Did you mean 'read'?"),
    "an option without its value": (("auth", "--duration"), "requires an argument"),
}


@pytest.mark.parametrize("args, message", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_usage_errors_are_one_line(args: tuple[str, ...], message: str, isolated_env: Path) -> None:
    done = cli(isolated_env, *args)
    assert_one_line_failure(done, 2)
    assert message in done.stderr and "--help`)" in done.stderr
