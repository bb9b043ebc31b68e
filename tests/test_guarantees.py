"""The promises in the README's "Guarantees" section, one group of tests each: byte-exact
preservation, atomic writes, one prompt for many shells, faults, bad input, secret hygiene.

Flows run against the real moto server through the recording proxy; the installed CLI is
driven by subprocess (piped stdin) and pexpect (a real terminal)."""

from __future__ import annotations

import ast
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest
from awsproxy import HANG, INVALID_KEY, SERVER_ERROR, THROTTLED, RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    EXPIRED_SESSION,
    STSCREDS,
    IamUser,
    ScriptedUI,
    WaitProbe,
    assert_one_line_failure,
    broker_for,
    credentials_path,
    make_user,
    read_value,
    run,
    spawn,
    write_credentials,
)

from stscreds import lock, paths
from stscreds.aws import AwsApi, Timeouts
from stscreds.commands.auth import AuthResult, authenticate
from stscreds.credentials import INI_KEYS, mask


def auth(profile: str = "default") -> AuthResult:
    return authenticate(profile, 3600, None, broker_for(ScriptedUI("123456")))


def session_lock() -> lock.SourceLock:
    """The lock another stscreds holds while it renews the session of [default]."""
    return lock.SourceLock("session.default", lambda message: None)


def home_files(home: Path) -> dict[str, bytes]:
    """Every file under HOME and its bytes, but the lock files, whose content is a pid."""
    return {
        str(path.relative_to(home)): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.parent != Path(paths.locks_dir())
    }


# --- 1. byte-exact preservation ------------------------------------------------------------

# (before, after): after `auth`, the file must be exactly `after`, with {AK}, {SK}, {TOK} and {EXP}
# standing for the new session's values. Everything but the managed keys' lines is the same.
CORPUS = {
    "comments of both kinds, CRLF, [default] with its own comments": (
        "# personal\r\n; work\r\n[work]\r\nregion = eu-west-1\r\n; inner\r\n\r\n"
        "[default]\r\n# mine\r\naws_access_key_id = OLD\r\n; keep\r\n\r\n[z]\r\nk = v\r\n",
        "# personal\r\n; work\r\n[work]\r\nregion = eu-west-1\r\n; inner\r\n\r\n"
        "[default]\r\n# mine\r\naws_access_key_id = {AK}\r\naws_secret_access_key = {SK}\r\naws_session_token = {TOK}\r\n"
        "x_security_token_expires = {EXP}\r\n; keep\r\n\r\n[z]\r\nk = v\r\n",
    ),
    "no final newline after another profile, key=value without spaces": (
        "[default]\naws_session_token=old\n[work]\nregion=x",
        "[default]\naws_session_token={TOK}\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\n"
        "x_security_token_expires = {EXP}\n[work]\nregion=x",
    ),
    "no final newline in [default]": (
        "[work]\nregion = x\n\n[default]\naws_session_token = old",
        "[work]\nregion = x\n\n[default]\naws_session_token = {TOK}\naws_access_key_id = {AK}\n"
        "aws_secret_access_key = {SK}\nx_security_token_expires = {EXP}",
    ),
    "tabs, trailing spaces and an inline # note": (
        "[work]\t\nregion\t=\teu-west-1   \noutput = json # note\n\n[default]\naws_access_key_id\t=\tOLD\n",
        "[work]\t\nregion\t=\teu-west-1   \noutput = json # note\n\n[default]\naws_access_key_id\t=\t{AK}\n"
        "aws_secret_access_key = {SK}\naws_session_token = {TOK}\nx_security_token_expires = {EXP}\n",
    ),
    "an indented nested block and upper-case keys in another profile": (
        "[work]\nAWS_ACCESS_KEY_ID = AKIAWORKWORKWORKWORK\nAWS_SECRET_ACCESS_KEY = work/secret\n"
        "s3 =\n    addressing_style = path\n    signature_version = s3v4\n\n[default]\nregion = us-west-2\n",
        "[work]\nAWS_ACCESS_KEY_ID = AKIAWORKWORKWORKWORK\nAWS_SECRET_ACCESS_KEY = work/secret\n"
        "s3 =\n    addressing_style = path\n    signature_version = s3v4\n\n[default]\nregion = us-west-2\n"
        "aws_access_key_id = {AK}\naws_secret_access_key = {SK}\naws_session_token = {TOK}\nx_security_token_expires = {EXP}\n",
    ),
    "no [default] yet": (
        "; only a work profile\n[work]\nregion = x\n",
        "; only a work profile\n[work]\nregion = x\n\n[default]\naws_access_key_id = {AK}\n"
        "aws_secret_access_key = {SK}\naws_session_token = {TOK}\nx_security_token_expires = {EXP}\n",
    ),
    "[default] with extra keys and comments, kept in place": (
        "[default]\n# my settings\nregion = eu-west-1\naws_access_key_id = OLD\naws_secret_access_key = OLD\n"
        "; between\nAWS_SESSION_TOKEN = OLD\noutput = json\n\n[work]\nregion = x\n",
        "[default]\n# my settings\nregion = eu-west-1\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\n"
        "; between\nAWS_SESSION_TOKEN = {TOK}\noutput = json\nx_security_token_expires = {EXP}\n\n[work]\nregion = x\n",
    ),
    "an empty file": (
        "",
        "[default]\naws_access_key_id = {AK}\naws_secret_access_key = {SK}\naws_session_token = {TOK}\n"
        "x_security_token_expires = {EXP}\n",
    ),
}


@pytest.mark.parametrize("before, after", CORPUS.values(), ids=CORPUS.keys())
def test_auth_changes_only_the_managed_lines(
    before: str, after: str, user: IamUser, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, before)
    others_before = {k: v for k, v in raw_config_parse(str(path)).items() if k != "default"}
    values = auth().credentials.as_ini()
    expected = after
    for placeholder, key in (
        ("AK", "aws_access_key_id"),
        ("SK", "aws_secret_access_key"),
        ("TOK", "aws_session_token"),
        ("EXP", "x_security_token_expires"),
    ):
        expected = expected.replace("{" + placeholder + "}", values[key])
    assert path.read_bytes() == expected.encode()
    assert {k: v for k, v in raw_config_parse(str(path)).items() if k != "default"} == others_before


# The Hypothesis property over generated files is test_files.py's
# test_any_valid_file_round_trips_outside_the_managed_section.


# --- 2. atomic, permission-safe writes -----------------------------------------------------


def test_modes_under_umask_000_and_no_temp_files(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    keys = f"{user.access_key_id}\n{user.secret_access_key}\n"
    for args, stdin in ((("init",), keys), (("auth",), "123456\n")):
        done = subprocess.run(
            ["sh", "-c", f'umask 000; exec "{STSCREDS}" "$@"', "sh", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    locks = isolated_env / ".stscreds" / "locks"
    mode = {
        str(p.relative_to(isolated_env)): stat.S_IMODE(p.stat().st_mode)
        for p in (isolated_env / ".stscreds", isolated_env / ".aws", *isolated_env.rglob("*"))
    }
    assert mode == {
        ".stscreds": 0o700,
        ".stscreds/credentials": 0o600,
        ".stscreds/locks": 0o700,
        **{str(p.relative_to(isolated_env)): 0o600 for p in locks.iterdir()},
        ".aws": 0o700,
        ".aws/credentials": 0o600,
    }
    assert "session.default" in {p.name for p in locks.iterdir()}
    assert sorted(p.name for p in (isolated_env / ".aws").iterdir()) == ["credentials"]
    assert sorted(p.name for p in (isolated_env / ".stscreds").iterdir()) == ["credentials", "locks"]


# Another program reading the file with botocore's own parser, as fast as it can, until told
# to stop; it reports how many reads it made, what tokens it saw and anything that went wrong,
# and adds a byte to `progress` after each read, so that the test can interleave its writes.
READER = """
import json, os, sys
from botocore.configloader import raw_config_parse
path, stop, progress = sys.argv[1:]
reads, tokens, problems = 0, set(), []
progress = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
while not os.path.exists(stop):
    try:
        parsed = raw_config_parse(path)
        tokens.add(parsed["default"]["aws_session_token"])
        if parsed["work"] != {"aws_access_key_id": "AKIAWORKWORKWORKWORK"} or len(parsed["default"]) != 4:
            problems.append(repr(parsed))
    except Exception as error:  # anything at all is a torn read
        problems.append(repr(error))
    reads += 1
    os.write(progress, b".")
print(json.dumps({"reads": reads, "tokens": sorted(tokens), "problems": problems[:5]}))
"""


def test_a_reader_never_sees_a_partial_file(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path, tmp_path: Path
) -> None:
    store_keys(user)
    other = "[work]\naws_access_key_id = AKIAWORKWORKWORKWORK\n\n"
    path = write_credentials(isolated_env, other + EXPIRED_SESSION + ("# padding\n" * 2000))
    proxy.unique_tokens = True
    stop, progress = tmp_path / "stop", tmp_path / "progress"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path), str(stop), str(progress)], stdout=subprocess.PIPE, text=True
    )

    def reader_reads(more: int) -> None:
        """Wait until the reader has read `more` more times (however busy the machine is)."""
        seen = progress.stat().st_size if progress.exists() else 0
        deadline = time.monotonic() + 30
        while (progress.stat().st_size if progress.exists() else 0) < seen + more and time.monotonic() < deadline:
            time.sleep(0.005)

    try:
        issued = set()
        for _ in range(12):  # each auth replaces the file between the reader's reads
            reader_reads(5)
            issued.add(auth().credentials.session_token)
        reader_reads(5)
    finally:
        stop.touch()
        report = json.loads(reader.communicate(timeout=30)[0])
    assert report["problems"] == []
    assert report["reads"] > 50 and set(report["tokens"]) <= issued | {"old-token"}
    assert len(set(report["tokens"]) & issued) > 1  # it did read while auths replaced the file
    assert sorted(p.name for p in path.parent.iterdir()) == ["credentials"]


# --- 3. one prompt for many shells --------------------------------------------------------


def test_eight_shells_at_once_ask_for_one_code(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    proxy.calls.clear()
    proxy.unique_tokens = True
    shells = [spawn(STSCREDS + " read aws_session_token", env, isolated_env) for _ in range(8)]
    asking = []
    for shell in shells:
        if shell.expect([r"MFA code for \S+: ", "is authenticating; waiting up to"], timeout=60) == 0:
            asking.append(shell)
    assert len(asking) == 1
    asking[0].sendline("123456")
    printed = []
    for shell in shells:
        shell.expect(pexpect.EOF, timeout=60)
        output = shell.before
        shell.close()
        assert shell.exitstatus == 0, output
        printed.append(output.strip().splitlines()[-1])
    token = raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_session_token"]
    assert printed == [token] * 8 and token.startswith("FwoGZXIvYXdzEXAMPLETOKEN")
    assert proxy.actions == ["iam:GetUser", "iam:ListMFADevices", "sts:GetSessionToken", "iam:ListAccessKeys"]


def test_waiting_is_bounded_and_says_why(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    before = home_files(isolated_env)
    proxy.calls.clear()
    probe = WaitProbe(tmp_path)
    with session_lock() as held:  # another stscreds, busy with its prompt
        done = run(
            isolated_env,
            "read",
            "aws_session_token",
            stdin="123456\n",
            env=probe.env({**env, "STSCREDS_LOCK_TIMEOUT": "1"}),
        )
        # Bounded: it gave up by itself while the lock was still ours (else run() would time out),
        # never taking it (the holder's pid is still in it).
        assert Path(held.path).read_text() == f"{os.getpid()}\n"
    assert_one_line_failure(done)
    assert f"Another stscreds (pid {os.getpid()}) is authenticating; waiting up to 1 s" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("stscreds: gave up after 1 s waiting for another stscreds")
    polls = probe.waits("sleep")  # it waited, trying the lock again now and then, before it gave up
    assert polls and len(set(polls)) == 1 and polls[0] < 1
    assert proxy.calls == [] and home_files(isolated_env) == before


def test_a_killed_stscreds_leaves_no_lock_behind(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    holder = spawn(STSCREDS + " auth", env, isolated_env)
    holder.expect_exact("MFA code for ")
    holder.kill(signal.SIGKILL)
    holder.close()
    done = run(isolated_env, "auth", stdin="123456\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr


# Another stscreds, in its own process: it takes the lock, says so, waits for "go", then
# renews the session (the code typed into it is 123456) and exits, which releases the lock.
HOLDER = """
import pathlib, sys
from stscreds import lock
from stscreds.broker import Broker
from stscreds.prompts import MfaPrompter, NoInputUI
from stscreds.sources.session import SessionTokenSource
ready, go = map(pathlib.Path, sys.argv[1:])
with lock.SourceLock("session.default", print):
    ready.touch()
    while not go.exists():
        pass
    broker = Broker(NoInputUI("holder"), lambda profile: MfaPrompter(lambda serial: "123456"))
    broker.renew(SessionTokenSource("default", 3600))
"""


def test_the_waiting_stscreds_uses_the_session_the_other_wrote(
    user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path, tmp_path: Path
) -> None:
    store_keys(user)
    write_credentials(isolated_env, EXPIRED_SESSION)
    proxy.unique_tokens = True
    ready, go = tmp_path / "ready", tmp_path / "go"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ready), str(go)])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        results: list[str] = []
        ui = ScriptedUI()  # no answers: it must not need to ask
        waiter = threading.Thread(
            target=lambda: results.append(read_value("aws_session_token", "default", broker_for(ui)))
        )
        waiter.start()
        # Let the holder go only once the waiter is waiting for it (an order, not a delay).
        deadline = time.monotonic() + 30
        while not any("is authenticating; waiting" in line for line in ui.said) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()
        waiter.join(30)
    finally:
        assert holder.wait(30) == 0
    fresh = raw_config_parse(str(credentials_path(isolated_env)))["default"]["aws_session_token"]
    assert results == [fresh] and fresh.startswith("FwoGZXIvYXdzEXAMPLETOKEN")
    assert any("is authenticating; waiting" in line for line in ui.said) and ui.prompts == []
    assert proxy.actions.count("sts:GetSessionToken") == 1


# --- 4. faults -------------------------------------------------------------------------------


def test_a_silent_server_is_given_up_on_within_20_seconds(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, tmp_path: Path
) -> None:
    proxy.calls.clear()
    proxy.faults["*"] = HANG  # accepts the connection, reads the request, never answers
    # The CLI's waits are recorded, and made ten times shorter for real (benchmarks/faults.py
    # times the real ones): how long it would wait is what it asked botocore and the socket for.
    probe = WaitProbe(tmp_path, sleep_scale=0.1, timeout_scale=0.1)
    done = run(isolated_env, "auth", stdin="123456\n", env=probe.env(env))
    assert_one_line_failure(done)
    assert "could not reach AWS for iam:GetUser" in done.stderr and "timeout" in done.stderr.lower()
    default = Timeouts()
    assert proxy.actions == ["iam:GetUser"] * default.attempts
    # Each attempt: a connection with the connect timeout, then the read timeout, which expires.
    port = int(proxy.url.rpartition(":")[2])
    assert probe.waits("connect") == [port] * default.attempts
    timeouts = [t for t in probe.waits("timeout") if t is not None]
    assert timeouts == [default.connect, default.read] * default.attempts
    backoff = probe.waits("sleep")  # botocore's, between attempts: up to 1 s, then 2 s
    assert len(backoff) == default.attempts - 1 and all(0 <= b <= 2**n for n, b in enumerate(backoff))
    waited = default.attempts * default.read + sum(backoff)
    assert waited <= default.silent_server_seconds < 20 and default.unreachable_seconds < 20


@pytest.mark.parametrize(
    ("action", "fault"),
    [("GetSessionToken", SERVER_ERROR), ("GetUser", THROTTLED), ("ListMFADevices", SERVER_ERROR)],
    ids=["a 500 from STS", "throttling on IAM", "a 500 from IAM"],
)
def test_one_transient_failure_is_retried_and_succeeds(
    action: str, fault, user: IamUser, proxy: RecordingProxy, store_keys, isolated_env: Path
) -> None:
    store_keys(user)
    proxy.faults[action] = fault.once()
    auth()
    assert [a.partition(":")[2] for a in proxy.actions].count(action) == 2
    assert "aws_session_token" in raw_config_parse(str(credentials_path(isolated_env)))["default"]


def test_one_hang_is_retried_and_succeeds(user: IamUser, proxy: RecordingProxy, store_keys) -> None:
    store_keys(user)
    proxy.faults["GetSessionToken"] = HANG.once()
    quick = Timeouts(connect=1, read=1)
    authenticate("default", 3600, None, broker_for(ScriptedUI("123456"), lambda *a, **k: AwsApi(*a, quick, **k)))
    assert proxy.actions.count("sts:GetSessionToken") == 2


# Refreshing before Expiration, not after: test_cli.py's
# test_read_after_expiry_authenticates_then_prints_the_new_value (under faketime, 4 minutes before
# the end) and test_flows.py's test_read_counts_a_session_about_to_end_as_expired.


# --- 5. bad input ----------------------------------------------------------------------------


def _store(home: Path, content: bytes) -> None:
    folder = home / ".stscreds"
    folder.mkdir(mode=0o700, exist_ok=True)
    (folder / "credentials").write_bytes(content)


BAD_INPUT = {
    "binary ~/.aws/credentials": (
        lambda home: write_credentials(home, "").write_bytes(b"\x00\x01\xff\xfe[default]\n\x89PNG"),
        ("auth",),
        {},
        1,
        "not readable as",
    ),
    "binary ~/.stscreds/credentials": (
        lambda home: _store(home, b"\xff\xfe\x00\x00garbage\x80"),
        ("auth",),
        {},
        1,
        "not readable as utf-8",
    ),
    "a duplicate section": (
        lambda home: write_credentials(home, "[work]\na = 1\n[work]\nb = 2\n"),
        ("auth",),
        {},
        1,
        "line 3: section [work] appears twice",
    ),
    "a stored access key that is not one": (
        lambda home: _store(home, b"[default]\naws_access_key_id = not-a-key\naws_secret_access_key = s\n"),
        ("auth",),
        {},
        1,
        "does not look like an AWS access key ID",
    ),
    "an MFA code that is not 6 digits": (lambda home: None, ("auth",), {}, 2, "the MFA code must be the 6 digits"),
    "a profile name with ]": (lambda home: None, ("auth", "--profile", "a]b"), {}, 2, "invalid profile name"),
    "a profile name with a newline": (
        lambda home: None,
        ("read", "aws_session_token", "-p", "a\nb"),
        {},
        2,
        "invalid profile name",
    ),
    "a credentials path that is a folder": (
        lambda home: (home / "folder").mkdir(),
        ("auth",),
        {"AWS_SHARED_CREDENTIALS_FILE": "~/folder"},
        1,
        "folder is not a regular file, so botocore and the AWS CLI read no credentials file from it",
    ),
    "a credentials path under a file": (
        lambda home: (home / "plain").write_text("x"),
        ("read", "aws_session_token"),
        {"AWS_SHARED_CREDENTIALS_FILE": "~/plain/credentials"},
        1,
        "credentials: Not a directory",
    ),
}


@pytest.mark.parametrize("setup, args, extra_env, code, message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_one_line_and_writes_nothing(
    setup,
    args: tuple[str, ...],
    extra_env: dict[str, str],
    code: int,
    message: str,
    initialised: IamUser,
    isolated_env: Path,
    env: dict[str, str],
    proxy: RecordingProxy,
) -> None:
    setup(isolated_env)
    before = home_files(isolated_env)
    proxy.calls.clear()
    done = run(isolated_env, *args, stdin="12345\n", env={**env, **extra_env})
    assert_one_line_failure(done, code)
    assert message in done.stderr
    assert "MFA code" not in done.stderr or "6 digits" in message
    assert "sts:GetSessionToken" not in proxy.actions
    assert home_files(isolated_env) == before


def test_an_unreadable_credentials_file(initialised: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    path = write_credentials(isolated_env, "[work]\nregion = x\n")
    path.chmod(0)
    if os.access(path, os.R_OK):
        pytest.skip("running as a user that ignores permissions (root)")
    done = run(isolated_env, "read", "aws_session_token", env=env)
    assert_one_line_failure(done)
    assert "Permission denied" in done.stderr


def test_an_access_key_that_is_not_one_is_refused_before_aws(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    done = run(isolated_env, "init", stdin=f"aws-access-key\n{user.secret_access_key}\n", env=env)
    assert_one_line_failure(done, 2)
    assert "does not look like an AWS access key ID" in done.stderr
    assert proxy.calls == [] and home_files(isolated_env) == {}


def test_a_malformed_mfa_code_is_asked_again_on_a_terminal(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    shell = spawn(STSCREDS + " auth", env, isolated_env)
    shell.expect_exact("MFA code for ")
    shell.sendline("12345")
    shell.expect_exact("The MFA code is the 6 digits your device shows; try again.")
    shell.expect_exact("MFA code for ")
    shell.sendline("654 321")  # as some authenticator apps show it
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert [c.params.get("TokenCode") for c in proxy.calls if c.action == "GetSessionToken"] == ["654321"]


# --- 6. secret hygiene -----------------------------------------------------------------------


def secrets_of(user: IamUser, home: Path) -> list[str]:
    """The long-term pair and the session's three credential values."""
    session = raw_config_parse(str(credentials_path(home)))["default"]
    return [user.access_key_id, user.secret_access_key, *(session[key] for key in INI_KEYS[:3])]


def test_a_terminal_never_shows_a_secret(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    shell = spawn(
        f"{STSCREDS} init && {STSCREDS} auth && {STSCREDS} read aws_access_key_id >/dev/null", env, isolated_env
    )
    shell.logfile_read = transcript = io.StringIO()  # everything the terminal showed
    shell.expect_exact("AWS Access Key ID: ")
    shell.sendline(user.access_key_id)
    shell.expect_exact("AWS Secret Access Key: ")
    shell.sendline(user.secret_access_key)
    shell.expect_exact("MFA code for ")
    shell.sendline("123456")
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, transcript.getvalue()
    shown = transcript.getvalue()
    assert mask(user.access_key_id) in shown and "Wrote credentials" in shown
    # The access key ID is echoed as it is typed, like the AWS CLI's; nothing secret is.
    for secret in secrets_of(user, isolated_env)[1:]:
        assert secret not in shown


def test_debug_logs_mask_every_secret(user: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    logs = ""
    for args, stdin in (
        (("--debug", "init"), f"{user.access_key_id}\n{user.secret_access_key}\n"),
        (("--debug", "auth"), "246810\n"),
    ):
        done = run(isolated_env, *args, stdin=stdin, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        logs += done.stderr
    assert "sts GetSessionToken http://127.0.0.1:" in logs and "-> 200 in " in logs  # each call, one line
    for secret in [*secrets_of(user, isolated_env), "246810"]:
        assert secret not in logs
    assert mask(user.access_key_id) in logs


def test_error_messages_mask_the_key(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.faults["GetUser"] = INVALID_KEY
    done = run(isolated_env, "auth", stdin="123456\n", env=env)
    assert_one_line_failure(done)
    assert mask(initialised.access_key_id) in done.stderr
    assert initialised.access_key_id not in done.stderr and initialised.secret_access_key not in done.stderr


# Records what the CLI writes and starts, from inside its own interpreter: an audit hook
# (PEP 578) installed by a sitecustomize that the test puts first on PYTHONPATH.
AUDIT_HOOK = """
import os, sys
_log = os.open(os.environ["STSCREDS_TEST_AUDIT_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def _record(*fields):
    os.write(_log, (repr(fields) + "\\n").encode())

def _hook(event, args):
    if event == "open":
        path, mode, flags = args
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (flags or 0) & _WRITE:
            _record("write", os.fsdecode(path) if not isinstance(path, int) else path)
    elif event in ("os.rename", "os.replace", "os.mkdir", "os.symlink", "os.link"):
        _record(event, *[os.fsdecode(a) for a in args[:2] if isinstance(a, (str, bytes))])
    # Not os.posix_spawn: since Python 3.13, subprocess raises it as well as subprocess.Popen.
    elif event in ("subprocess.Popen", "os.exec", "os.spawn", "os.system"):
        _record("run", repr(args[:2]))

sys.addaudithook(_hook)
"""


def test_secrets_go_only_into_the_two_credentials_files(
    user: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    log = tmp_path / "audit.log"
    env = {**env, "PYTHONPATH": str(hook), "STSCREDS_TEST_AUDIT_LOG": str(log), "PYTHONDONTWRITEBYTECODE": "1"}
    code = tmp_path / "mfa-code"  # an MFA command, as a YubiKey user would configure
    code.write_text("#!/bin/sh\necho 123456\n")
    code.chmod(0o755)
    for args, stdin in (
        (("init",), f"{user.access_key_id}\n{user.secret_access_key}\n"),
        (("auth",), "123456\n"),
        (("auth", "--mfa-command", f"{code} --account aws"), None),
        (("read", "aws_secret_access_key"), None),
        (("env",), None),
        (("credential-process",), None),
        (("exec", "--", "true", "--flag"), None),
    ):
        done = run(isolated_env, *args, stdin=stdin, env=env)
        assert done.returncode == 0, done.stderr
    events = [ast.literal_eval(line) for line in log.read_text().splitlines()]
    allowed = (str(isolated_env / ".aws") + os.sep, str(isolated_env / ".stscreds") + os.sep)
    touched = {path for event in events if event[0] != "run" for path in event[1:]}
    # Lock files are opened relative to their folder (never through a planted symlink): the
    # audit event then names the file alone.
    touched = {p if os.path.isabs(p) else os.path.join(paths.locks_dir(), p) for p in touched}
    assert touched and all(f"{path}{os.sep}".startswith(allowed) for path in touched), touched
    written = {Path(p) for p in touched if Path(p).is_file()}
    locks = {p for p in written if p.parent == Path(paths.locks_dir())}
    assert written - locks == {credentials_path(isolated_env), isolated_env / ".stscreds/credentials"}
    secrets = secrets_of(user, isolated_env)
    assert locks and all(secret.encode() not in p.read_bytes() for p in locks for secret in secrets)
    # What it started: the MFA command and exec's command, with their own arguments only.
    started = [event[1] for event in events if event[0] == "run"]
    assert len(started) == 2
    assert f"[{str(code)!r}, '--account', 'aws']" in started[0] and "'true', '--flag'" in started[1]
    assert not [argv for argv in started for secret in secrets if secret in argv]


# command, what it shows when Ctrl-C comes, answers to earlier prompts, MFA devices of the user
CTRL_C_POINTS = {
    "the access key prompt": ("init --force", "AWS Access Key ID: ", [], 1),
    "the hidden secret prompt": ("init --force", "AWS Secret Access Key: ", ["AKIAIOSFODNN7EXAMPLE"], 1),
    "the MFA device choice": ("auth", "Choose 1-2: ", [], 2),
    "the MFA code prompt": ("read aws_session_token", "MFA code for ", [], 1),
    "the wait for another stscreds": ("read aws_session_token", "waiting up to", [], 1),
}


@pytest.mark.parametrize("command, prompt, answers, devices", CTRL_C_POINTS.values(), ids=CTRL_C_POINTS.keys())
def test_ctrl_c_anywhere_exits_130_with_one_line_and_writes_nothing(
    command: str,
    prompt: str,
    answers: list[str],
    devices: int,
    proxy: RecordingProxy,
    moto_port: int,
    store_keys,
    isolated_env: Path,
    env: dict[str, str],
) -> None:
    store_keys(make_user(moto_port, "carol", mfa_devices=devices))
    write_credentials(isolated_env, EXPIRED_SESSION)
    before = home_files(isolated_env)
    holder = session_lock().__enter__() if "waiting" in prompt else None
    try:
        shell = spawn(f"{STSCREDS} {command}", env, isolated_env)
        for answer in answers:
            shell.expect_exact(": ")
            shell.sendline(answer)
        shell.expect_exact(prompt)
        time.sleep(0.2)
        shell.sendintr()
        shell.expect(pexpect.EOF)
        shell.close()
    finally:
        if holder is not None:
            holder.__exit__(None, None, None)
    output = shell.before
    assert shell.exitstatus == 130, output
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if "stscreds:" in line] == [
        "stscreds: interrupted; nothing was written"
    ]
    assert home_files(isolated_env) == before
    assert not list(isolated_env.rglob("*.tmp"))
