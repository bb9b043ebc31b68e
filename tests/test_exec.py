"""`exec` and `exec --server` run the command as it would have run without stscreds (issues 19
and 20): the signal dispositions the person's shell gave, every signal sent to stscreds passed
on exactly once, the same line and exit code when it cannot start, an endpoint that never
makes an SDK wait for a person and lives as long as the command, and a shell started by
`exec --profile prod` (or `exec` alone) that stays prod's with the README's lines.

Renewals are driven by a clock the test moves (the broker's, the endpoint's and the proxy's,
which dates what moto hands out); processes are synchronised by what they print, never by time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import botocore.credentials
import botocore.httpsession
import pexpect
import pytest
import state
from awsproxy import RecordingProxy
from conftest import (
    EXPIRED_SESSION,
    STSCREDS,
    WITHOUT_CRT,
    IamUser,
    assert_one_line_failure,
    run,
    write_credentials,
)
from test_roles import ROLES, write_config

from stscreds import answers, library
from stscreds.commands.exec import NEVER, CannotRunError, CommandNotFoundError, find_command, inherited_ignored
from stscreds.credentials import RENEW_MARGIN_SECONDS, Credentials
from stscreds.server import RENEW_BEFORE_SECONDS, USABLE_SECONDS, CredentialsServer, RenewingCredentials

README = Path(__file__).parent.parent / "README.md"


@pytest.fixture
def roles(user: IamUser, store_keys, isolated_env: Path, proxy: RecordingProxy) -> IamUser:  # type: ignore[no-untyped-def]
    """Alice's keys, the role profiles of test_roles, and a 12-hour MFA session."""
    store_keys(user)
    write_config(isolated_env, ROLES)
    proxy.unique_tokens = True
    state.authenticate(isolated_env, duration="12h")
    return user


def stscreds_folder(home: Path) -> list[str]:
    folder = home / ".stscreds"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


# --- 19.5: the signal dispositions of the person's shell ---------------------------------------

SIGIGN = "sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status"
# The signals a program can use: glibc keeps two real-time signals (32, 33) for itself, and its
# posix_spawn leaves them ignored in every child it starts (fish's, Rust's and exec --server's).
USABLE = sum(1 << (number - 1) for number in signal.valid_signals() if number < signal.NSIG)


def ignored(sigign: str) -> int:
    return int(sigign, 16) & USABLE


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux's /proc tells dispositions")
@pytest.mark.parametrize("mode", [[], ["--server"]], ids=["exec", "server"])
def test_the_command_gets_the_signal_dispositions_of_the_shell(
    roles: IamUser, isolated_env: Path, env: dict[str, str], mode: list[str]
) -> None:
    # A pipe whose reader ends first: `yes` dies of SIGPIPE, quietly, and pipefail says 141.
    pipes = 'yes | head -1; set -o pipefail; yes | head -1; echo "pipefail: $?"'
    done = run(isolated_env, "exec", *mode, "--", "bash", "-c", pipes, env=env)
    assert (done.returncode, done.stdout, done.stderr) == (0, "y\ny\npipefail: 141\n", "")
    # Every disposition is what the command gets without stscreds, from a shell that starts it
    # (`; :` keeps the shell from becoming stscreds), whether the shell ignores SIGPIPE and
    # SIGXFSZ, one of them, or neither.
    exec_ = f"{STSCREDS} exec {' '.join(mode)} --"
    for setup in ("", "trap '' PIPE XFSZ; ", "trap '' XFSZ; "):
        alone = subprocess.run(["sh", "-c", f"{setup}{SIGIGN}; :"], capture_output=True, text=True, env=env)
        under = subprocess.run(["sh", "-c", f"{setup}{exec_} {SIGIGN}; :"], capture_output=True, text=True, env=env)
        assert under.returncode == 0 and under.stderr == "", under.stderr
        assert ignored(under.stdout) == ignored(alone.stdout), setup
    assert ignored(alone.stdout) >> (signal.SIGXFSZ - 1) & 1  # the last one did ignore one


def test_the_inherited_dispositions_are_read_from_a_shell_parent_only(tmp_path: Path) -> None:
    """Which parent's mask counts: a POSIX shell's (what it ignores, its children get), never
    fish's or Python's, which ignore SIGPIPE for themselves and give children the default."""
    parent = os.getppid()
    proc = tmp_path / "proc"
    (proc / str(parent)).mkdir(parents=True)
    ignoring = f"{1 << (signal.SIGPIPE - 1) | 1 << (signal.SIGXFSZ - 1):016x}"
    (proc / str(parent) / "status").write_text(f"Name:\tx\nSigIgn:\t{ignoring}\nSigCgt:\t0\n")
    for exe, expected in (
        ("/usr/bin/bash", {signal.SIGPIPE, signal.SIGXFSZ}),
        ("/bin/dash", {signal.SIGPIPE, signal.SIGXFSZ}),
        ("/usr/bin/fish", set()),
        ("/usr/bin/python3.11", set()),
    ):
        link = proc / str(parent) / "exe"
        link.unlink(missing_ok=True)
        link.symlink_to(exe)
        assert inherited_ignored(str(proc)) == expected, exe
    (proc / str(parent) / "exe").unlink()
    (proc / str(parent) / "exe").symlink_to("/bin/busybox")  # every applet: its name says which
    (proc / str(parent) / "comm").write_text("ash\n")
    assert inherited_ignored(str(proc)) == {signal.SIGPIPE, signal.SIGXFSZ}
    (proc / str(parent) / "comm").write_text("busybox\n")
    assert inherited_ignored(str(proc)) == set()
    assert inherited_ignored(str(tmp_path / "nowhere")) == set()  # no /proc: the default


# --- 19.7: exec --server passes every signal on, once, and lives as long as the command ---------

SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
# The command: waits for each signal in turn (blocked, so none is lost or kills it), says who
# sent it, asks the endpoint for credentials, and ends with 5 after the last.
WAITER = """
import os, signal, sys, urllib.request
waited = {getattr(signal, name) for name in sys.argv[2:]}
signal.pthread_sigmask(signal.SIG_BLOCK, waited)
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                                 headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
print("ready", flush=True)
for _ in range(int(sys.argv[1])):
    info = signal.sigwaitinfo(waited)
    status = urllib.request.urlopen(request, timeout=30).status
    print("got", signal.Signals(info.si_signo).name, info.si_pid, status, flush=True)
sys.exit(5)
"""
# macOS has no sigtimedwait: stscreds then forwards with handlers (the other code path).
NO_SIGTIMEDWAIT = "import signal\ndel signal.sigtimedwait\n"


def _foreground_signals() -> None:
    """As a terminal's foreground job has them (the test runner may have inherited some ignored)."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform != "linux", reason="the command tells who sent a signal as Linux says it")
@pytest.mark.parametrize("mode", ["siginfo", "handlers"])
def test_exec_server_passes_each_signal_on_once_and_lives_as_long_as_the_command(
    roles: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path, mode: str
) -> None:
    waiter = tmp_path / "waiter.py"
    waiter.write_text(WAITER)
    if mode == "handlers":
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "sitecustomize.py").write_text(NO_SIGTIMEDWAIT)
        env = {**env, "PYTHONPATH": f"{tmp_path / 'site'}{os.pathsep}{WITHOUT_CRT}"}
    # Without siginfo stscreds cannot tell the terminal's ^C and ^\ from a kill's while it holds
    # the terminal, and passes neither on: the terminal's reach the command anyway.
    killed = [name for name in SIGNALS if mode == "siginfo" or name not in ("SIGINT", "SIGQUIT")]
    command = f"exec {STSCREDS} exec --server -- {sys.executable} {waiter} {2 + len(killed)} {' '.join(SIGNALS)}"
    terminal = pexpect.spawn(
        "/bin/bash", ["-c", command], env=env, encoding="utf-8", timeout=30, preexec_fn=_foreground_signals
    )
    terminal.expect_exact("ready")
    config = [name for name in stscreds_folder(isolated_env) if name.startswith("exec-")]
    assert config == [f"exec-{terminal.pid}.config"]
    # ^C and ^\ at the terminal reach the whole foreground group, the command too: not again.
    # (Were stscreds to pass one on, it would reach the command before the signal sent next.)
    for key, name in (("\x03", "SIGINT"), ("\x1c", "SIGQUIT")):
        terminal.send(key)
        terminal.expect(r"got (\w+) (\d+) (\d+)\r\n")
        assert terminal.match.groups() == (name, "0", "200")  # from the kernel; the endpoint answered
    # Sent to stscreds alone (a supervisor, `kill`): passed on, each once, the endpoint still up.
    for name in killed:
        os.kill(terminal.pid, getattr(signal, name))
        terminal.expect(r"got (\w+) (\d+) (\d+)\r\n")
        assert terminal.match.groups() == (name, str(terminal.pid), "200")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 5  # the command's code, after everything it was sent
    assert "stscreds" not in terminal.before and "Traceback" not in terminal.before
    assert [name for name in stscreds_folder(isolated_env) if name.startswith("exec-")] == []


def test_a_killed_exec_servers_config_is_removed_by_the_next(
    roles: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    waiter = tmp_path / "waiter.py"
    waiter.write_text(WAITER)
    killed = subprocess.Popen(
        [STSCREDS, "exec", "--server", "--", sys.executable, str(waiter), "1", "SIGUSR1"],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert killed.stdout is not None and killed.stdout.readline() == "ready\n"
    os.kill(killed.pid, signal.SIGKILL)  # no time to clean up
    killed.wait()
    os.killpg(killed.pid, signal.SIGKILL)  # its command too
    assert f"exec-{killed.pid}.config" in stscreds_folder(isolated_env)
    done = run(isolated_env, "exec", "--server", "--", "true", env=env)
    assert done.returncode == 0, done.stderr
    assert [name for name in stscreds_folder(isolated_env) if name.startswith("exec-")] == []


# --- 19.9: a command that cannot start -----------------------------------------------------------


def test_a_command_that_cannot_start_is_the_same_line_and_code_either_way(
    roles: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "interpreterless").write_text("#!/no/such/interpreter\necho hi\n")
    (tmp_path / "garbage").write_bytes(b"\x00\x01\x02 not a program\n")
    for name in ("interpreterless", "garbage"):
        (tmp_path / name).chmod(0o755)
    cases = {
        # found before anything runs, and when exec (or the spawn) fails: the same line
        str(tmp_path / "interpreterless"): (126, "its #! interpreter /no/such/interpreter is missing"),
        str(tmp_path / "garbage"): (126, "Exec format error"),
        "no-such-command-here": (127, "no-such-command-here: command not found"),
    }
    for command, (code, reason) in cases.items():
        plain = run(isolated_env, "exec", "--", command, env=env)
        served = run(isolated_env, "exec", "--server", "--", command, env=env)
        assert_one_line_failure(plain, code)
        assert reason in plain.stderr, plain.stderr
        assert (served.returncode, served.stderr) == (plain.returncode, plain.stderr)
    # Found out before the session is renewed, where it can be: no MFA code is spent on it.
    write_credentials(isolated_env, EXPIRED_SESSION)
    done = run(isolated_env, "exec", "--", str(tmp_path / "interpreterless"), env=env, prefix=("setsid",))
    assert_one_line_failure(done, 126)
    assert "interpreter" in done.stderr


def test_what_cannot_run_is_found_as_a_shell_finds_it(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tool").write_text("#!/bin/sh\n")  # on PATH, but not executable
    (tmp_path / "readable").write_text("#!/bin/sh\n")
    environ = {"PATH": str(tmp_path / "bin")}
    for name, error, reason in (
        (str(tmp_path / "readable"), CannotRunError, "Permission denied"),
        ("tool", CannotRunError, "could not run tool: Permission denied"),
        (str(tmp_path), CannotRunError, "it is a folder"),
        ("./no-such-file", CommandNotFoundError, "./no-such-file: no such file or directory"),
        ("sh", CommandNotFoundError, "sh: command not found"),  # not on this PATH
    ):
        with pytest.raises(error, match=re.escape(reason)):
            find_command(name, environ)
    (tmp_path / "bin" / "tool").chmod(0o755)
    assert find_command("tool", environ) == str(tmp_path / "bin" / "tool")
    assert CannotRunError.exit_code == 126 and CommandNotFoundError.exit_code == 127


# --- 19.8 and 19.10: the endpoint never makes an SDK wait for a person ------------------------------


class Clock:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Person:
    """A renewal that needs someone: each fetch says it started, then waits until the test
    lets it go (the code typed), and gives the next credentials."""

    def __init__(self, *answers: Credentials) -> None:
        self.answers = list(answers)
        self.started = threading.Event()
        self.typed = threading.Event()
        self.asked = 0

    def __call__(self) -> Credentials:
        self.asked += 1
        self.started.set()
        assert self.typed.wait(60), "nobody typed the code"
        self.typed.clear()
        return self.answers.pop(0)


def keys(name: str, ends: float) -> Credentials:
    return Credentials(f"ASIA{name:0<16}", f"secret-{name}", f"token-{name}", ends)


def test_the_endpoint_answers_at_once_while_the_renewal_waits_for_a_person() -> None:
    clock = Clock()
    first, second = keys("FIRST", clock.now + 3600), keys("SECOND", clock.now + 7200)
    person = Person(second)
    said: list[str] = []
    renewing = RenewingCredentials(person, first, said.append, clock)
    # botocore's own client of the endpoint, with its own 2-second timeout.
    sdk = botocore.credentials.ContainerMetadataFetcher()
    with renewing, CredentialsServer(renewing.get, said.append) as server:

        def ask() -> str:
            return str(sdk.retrieve_full_uri(server.url, headers={"Authorization": server.token})["AccessKeyId"])

        assert ask() == first.access_key_id and person.asked == 0
        # Renewed from the start of botocore's advisory window, a minute early.
        advisory = botocore.credentials.RefreshableCredentials._advisory_refresh_timeout
        assert renewing.renew_at() == first.expires_at - RENEW_BEFORE_SECONDS == first.expires_at - advisory - 60
        clock.now = renewing.renew_at()
        renewing.poke()
        assert person.started.wait(30)
        # The renewal waits for the person; every request is answered at once meanwhile
        # (were one to wait, botocore would give up after 2 seconds and raise).
        assert [ask() for _ in range(3)] == [first.access_key_id] * 3 and person.asked == 1
        person.typed.set()
        assert renewing.wait_for_attempts(1, 30)
        assert ask() == second.access_key_id and person.asked == 1  # one code for it all

        # The laptop slept past the end: nothing valid is left, and a request waits for the
        # renewal it starts (a person at the terminal, an SDK with a patient client).
        third = keys("THIRD", clock.now + 3 * 3600)
        person.answers.append(third)
        person.started.clear()
        clock.now = second.expires_at + 60
        waited: list[str] = []
        request = urllib.request.Request(server.url, headers={"Authorization": server.token})
        client = threading.Thread(target=lambda: waited.append(json.load(urllib.request.urlopen(request, timeout=60))))
        client.start()
        assert person.started.wait(30)
        person.typed.set()
        client.join(60)
        assert waited[0]["AccessKeyId"] == third.access_key_id and person.asked == 2
    assert said == []


@pytest.mark.parametrize("profile", ["default", "prod"])
def test_the_endpoint_renews_a_session_and_a_role_with_one_code_a_session(
    roles: IamUser, isolated_env: Path, proxy: RecordingProxy, profile: str
) -> None:
    clock = Clock()
    proxy.clock, proxy.lifetimes = clock, {"AssumeRole": 3600, "GetSessionToken": 12 * 3600}
    codes: list[str] = []

    def code(serial: str) -> str:
        codes.append(serial)
        return "123456"

    broker = library.library_broker(code, clock)
    calls = len(proxy.calls)
    clock.now += 13 * 3600  # yesterday's session has ended
    first = broker.get(profile, RENEW_BEFORE_SECONDS)
    said: list[str] = []
    renewing = RenewingCredentials(lambda: broker.get(profile, RENEW_BEFORE_SECONDS), first, said.append, clock)
    least_left = first.seconds_left(clock.now)
    with renewing:
        start = clock.now
        for minute in range(0, 26 * 60, 5):  # a request every 5 minutes for 26 hours
            clock.now = start + minute * 60
            if clock.now >= renewing.renew_at():
                before = renewing.attempts
                renewing.poke()
                assert renewing.wait_for_attempts(before + 1, 30)
            least_left = min(least_left, renewing.get().seconds_left(clock.now))
    actions = [call.action for call in proxy.calls[calls:]]
    # Never inside botocore's mandatory window (10 minutes): no SDK had to wait, or failed.
    assert least_left > 10 * 60 and said == []
    assert len(codes) == actions.count("GetSessionToken") == 3  # the first, at about 12 h, at about 24 h
    # A role is renewed 44 minutes into its hour, by the request every 5 minutes: at 45.
    assert actions.count("AssumeRole") == (0 if profile == "default" else 1 + (26 * 60 - 1) // 45)


def test_a_client_that_went_away_is_not_an_error(capfd: pytest.CaptureFixture[str]) -> None:
    finished = threading.Semaphore(0)
    released = threading.Event()
    said: list[str] = []

    def slow() -> Credentials:  # a renewal longer than the clients wait
        assert released.wait(60)
        return keys("LATE", time.time() + 3600)

    with CredentialsServer(slow, said.append, idle_seconds=0.5) as server:
        connections = server._server  # count the connections it is done with
        done_with = connections.shutdown_request

        def counted(request: socket.socket) -> None:
            done_with(request)
            finished.release()

        connections.shutdown_request = counted  # type: ignore[method-assign]
        host, port = server.url[len("http://") : -1].split(":")
        request = f"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: {server.token}\r\n\r\n".encode()
        # One client resets its connection, one closes it; botocore gives up (3 attempts).
        reset, closed = socket.create_connection((host, int(port))), socket.create_connection((host, int(port)))
        for client in (reset, closed):
            client.sendall(request)
        sdk = botocore.credentials.ContainerMetadataFetcher(
            botocore.httpsession.URLLib3Session(timeout=0.2), sleep=lambda seconds: None
        )
        with pytest.raises(botocore.credentials.MetadataRetrievalError):
            sdk.retrieve_full_uri(server.url, headers={"Authorization": server.token})
        reset.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reset.close()
        closed.close()
        # And one says nothing at all: closed after the idle timeout, the thread freed.
        idle = socket.create_connection((host, int(port)))
        idle.settimeout(30)
        assert idle.recv(1) == b""
        idle.close()
        released.set()
        for _ in range(2 + 3 + 1):
            assert finished.acquire(timeout=30)
    assert said == []
    assert capfd.readouterr() == ("", "")  # no traceback, no "Exception occurred"


def test_a_failed_renewal_is_one_line_and_tried_again() -> None:
    from stscreds.errors import NoInputError

    clock = Clock()
    first = keys("FIRST", clock.now + 3600)
    answers_ = [
        NoInputError("no answer for 'MFA code': there is no terminal to ask on"),
        keys("NEXT", clock.now + 9000),
    ]

    def fetch() -> Credentials:
        answer = answers_.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    said: list[str] = []
    renewing = RenewingCredentials(fetch, first, said.append, clock)
    with renewing:
        clock.now = renewing.renew_at()
        renewing.poke()
        assert renewing.wait_for_attempts(1, 30)
        assert said == [
            "stscreds: could not renew the command's credentials: no answer for 'MFA code': "
            "there is no terminal to ask on (again in 1 min)"
        ]
        assert renewing.get() == first  # still valid: handed out meanwhile
        clock.now += 60
        renewing.poke()
        assert renewing.wait_for_attempts(2, 30)
        assert renewing.get().access_key_id.startswith("ASIANEXT") and len(said) == 1
        assert renewing.get().outlives(USABLE_SECONDS, clock.now)


# --- 20.6 and 20.7: the profile travels with the shell ------------------------------------------------


def readme_block(marker: str, language: str = "sh") -> str:
    """A block of the README's "Use it with…", as written."""
    text = README.read_text()
    return text.split(marker, 1)[1].split(f"```{language}\n", 1)[1].split("```", 1)[0]


SHELLS = {
    # shell: (its rc file, the README's lines for it, how to start it interactive)
    "bash": (".bashrc", lambda: readme_block("<!-- bash-hook -->"), ["bash", "-i"]),
    "zsh": (".zshrc", lambda: readme_block("<!-- zsh-hook -->"), ["zsh", "-i"]),
    "fish": (".config/fish/config.fish", lambda: readme_block("<!-- fish-lines -->", "fish"), ["fish", "-i"]),
}


@pytest.fixture
def logged_stscreds(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[dict[str, str], Path]]:
    """A `stscreds` first on the PATH that notes each run; the environment to use it."""
    bin_dir = tmp_path / "logged"
    bin_dir.mkdir()
    log = tmp_path / "runs"
    wrapper = bin_dir / "stscreds"
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{STSCREDS}" "$@"\n')
    wrapper.chmod(0o755)
    yield {**env, "PATH": f"{bin_dir}{os.pathsep}{env['PATH']}"}, log


def runs(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_a_shell_started_by_exec_stays_on_its_profile_with_the_readmes_lines(
    roles: IamUser,
    isolated_env: Path,
    logged_stscreds: tuple[dict[str, str], Path],
    shell: str,
) -> None:
    if shutil.which(shell) is None and not (os.environ.get("CI") and shell != "zsh"):
        pytest.skip(f"{shell} is not installed")
    env, log = logged_stscreds
    rc_file, lines, interactive = SHELLS[shell]
    rc = isolated_env / rc_file
    rc.parent.mkdir(parents=True, exist_ok=True)
    rc.write_text(lines())
    if shell == "fish":
        # A fish's first interactive start in a HOME generates completions from every man page
        # (~30 s of CPU here) in a background job that holds the terminal open: a person's fish
        # did that once, long ago.
        (isolated_env / ".local/share/fish/generated_completions").mkdir(parents=True)
    session = answers.cached("default", 0)
    assert session is not None
    show = 'echo "@@$AWS_ACCESS_KEY_ID@@$STSCREDS_PROFILE@@$STSCREDS_RENEW_AT@@"'
    seen = re.compile(r"@@(\w*)@@(\w+)@@(\d+)@@")

    def open_shell(command: str, extra: dict[str, str] | None = None) -> pexpect.spawn:
        terminal = pexpect.spawn(
            "/bin/sh", ["-c", command], env={**env, **(extra or {})}, cwd=str(isolated_env),
            encoding="utf-8", timeout=30, dimensions=(24, 200), preexec_fn=_foreground_signals,
        )  # fmt: skip
        terminal.sendline(show)
        terminal.expect(seen)
        return terminal

    def leave(terminal: pexpect.spawn) -> None:
        terminal.sendline("exit")
        terminal.expect(pexpect.EOF)

    # A shell of its own: the rc file's lines set default's session, with one process.
    terminal = open_shell(" ".join(interactive))
    assert terminal.match.group(1) == session.access_key_id and terminal.match.group(2) == "default"
    leave(terminal)
    assert runs(log) == ["env --shell fish" if shell == "fish" else "env"]

    # `exec --profile prod -- SHELL -i`: the role's keys, not default's put back by the rc file.
    log.unlink()
    terminal = open_shell(f"exec stscreds exec --profile prod -- {' '.join(interactive)}")
    role = answers.cached("prod", 0)
    assert role is not None and role.access_key_id != session.access_key_id
    renew_at = str(int(role.expires_at - RENEW_MARGIN_SECONDS))
    assert terminal.match.groups() == (role.access_key_id, "prod", renew_at)
    if shell != "bash":  # what follows is the same whatever the shell
        leave(terminal)
        assert runs(log) == ["exec --profile prod -- " + " ".join(interactive)]  # and no `env`
        return
    # Another exec inside it that names no profile runs default's, and says so in one line.
    terminal.sendline('stscreds exec -- true && echo done-"ok"')
    terminal.expect("done-ok")
    assert terminal.before.count("inside a shell of 'prod' (STSCREDS_PROFILE)") == 1
    leave(terminal)
    assert runs(log) == ["exec --profile prod -- bash -i", "exec -- true"]  # and no `env`

    # `exec --profile prod` alone opens $SHELL, with the same variables.
    terminal = open_shell("exec stscreds exec --profile prod", {"SHELL": str(shutil.which("bash"))})
    assert terminal.match.groups() == (role.access_key_id, "prod", renew_at)
    leave(terminal)

    # Under --server: no keys, and a hook that never runs `stscreds env` (the endpoint renews).
    log.unlink()
    terminal = open_shell("exec stscreds exec --server --profile prod -- bash -i")
    assert terminal.match.groups() == ("", "prod", NEVER)
    leave(terminal)
    assert runs(log) == ["exec --server --profile prod -- bash -i"]
