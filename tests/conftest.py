"""Shared fixtures: an isolated HOME and environment for every test, a real moto server on
127.0.0.1, and a recording proxy in front of it that the code under test talks to."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pexpect
import pytest
import state
from awsproxy import RecordingProxy
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from moto.server import ThreadedMotoServer

# Hypothesis. `default`, for every run before a commit: derandomized (the same examples each run,
# so a failure shows again on the next run and on another machine, and no .hypothesis database
# is written) and 100 examples a test. `soak` (`pytest --hypothesis-profile soak`), before
# changing the file editor or the fast path: a random search, 30 times as long. Neither has a
# deadline or the too_slow health check: a busy machine is not a failure.
PER_RUN_EXAMPLES = 100
LOAD_IS_NO_FAILURE = [HealthCheck.too_slow]
settings.register_profile(
    "default",
    max_examples=PER_RUN_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=LOAD_IS_NO_FAILURE,
)
settings.register_profile(
    "soak",
    max_examples=30 * PER_RUN_EXAMPLES,
    derandomize=False,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),  # Hypothesis's own default: failures replay
    deadline=None,
    suppress_health_check=LOAD_IS_NO_FAILURE,
)
# For @settings(suppress_health_check=...) on tests that take function-scoped fixtures.
WITH_FIXTURES = [HealthCheck.function_scoped_fixture, *LOAD_IS_NO_FAILURE]


def examples(per_run: int) -> int:
    """A test's own example count: `per_run` under the default profile, scaled with the profile
    in use (30 times as many under soak)."""
    return max(1, per_run * settings.default.max_examples // PER_RUN_EXAMPLES)


# A role in another account on the MFA session of [default], and a profile that gets it through
# credential_process (test_identity, test_console).
PROD_ROLE = "arn:aws:iam::222222222222:role/Deploy"
ROLE_PROFILES = f"""\
[default]
region = us-east-1

[profile prod]
role_arn = {PROD_ROLE}
source_profile = default
region = eu-west-1

[profile prod-cached]
credential_process = stscreds credential-process --profile prod
"""

# moto's own fixed answer to GetSessionToken.
MOTO_SESSION_TOKEN_PREFIX = "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT"

# A session in [default] that ended long ago: the next read, env... must renew it.
EXPIRED_SESSION = (
    "[default]\n"
    "aws_access_key_id = ASIAOLDOLDOLDOLDOLD1\n"
    "aws_secret_access_key = old-secret\n"
    "aws_session_token = old-token\n"
    "x_security_token_expires = 2020-01-01T00:00:00Z\n"
)

BIN = Path(sys.executable).parent
STSCREDS = str(BIN / "stscreds")
AWS_BIN = str(BIN / "aws")  # the AWS CLI (awscli from PyPI), a real consumer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and no AWS_* variables from the machine."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture(scope="session")
def moto_port() -> Iterator[int]:
    # Not a log record for every request moto answers (pytest keeps each for a failure's
    # report): the recording proxy's calls say what a test needs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield port
    server.stop()


@pytest.fixture(scope="session")
def _proxy(moto_port: int) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(moto_port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxy(_proxy: RecordingProxy, moto_port: int, monkeypatch: pytest.MonkeyPatch) -> RecordingProxy:
    """moto, emptied, behind a recording proxy that AWS_ENDPOINT_URL points at."""
    request = urllib.request.Request(f"http://127.0.0.1:{moto_port}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    _proxy.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", _proxy.url)
    return _proxy


@dataclass(frozen=True)
class IamUser:
    name: str
    access_key_id: str
    secret_access_key: str
    mfa_serials: list[str]


@functools.cache
def moto_admin(moto_port: int, service: str = "iam"):  # type: ignore[no-untyped-def]
    """A client straight to moto (not through the proxy), made once per worker: making one
    costs ~0.15 s, and clients are thread-safe."""
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        aws_access_key_id="admin",
        aws_secret_access_key="admin",
    )


def make_user(moto_port: int, name: str = "alice", mfa_devices: int = 1) -> IamUser:
    """An IAM user with a key pair and `mfa_devices` enabled virtual MFA devices, made on moto
    directly (not through the proxy, so the proxy records only what stscreds does)."""
    admin = moto_admin(moto_port)
    admin.create_user(UserName=name)
    key = admin.create_access_key(UserName=name)["AccessKey"]
    serials = []
    for number in range(mfa_devices):
        device = admin.create_virtual_mfa_device(VirtualMFADeviceName=f"{name}-{number}")["VirtualMFADevice"]
        admin.enable_mfa_device(
            UserName=name,
            SerialNumber=device["SerialNumber"],
            AuthenticationCode1="123456",
            AuthenticationCode2="654321",
        )
        serials.append(device["SerialNumber"])
    return IamUser(name, key["AccessKeyId"], key["SecretAccessKey"], serials)


@pytest.fixture
def user(proxy: RecordingProxy, moto_port: int) -> IamUser:
    return make_user(moto_port)


class ScriptedUI:
    """Answers prompts from a list; fails the test if asked more than it was given."""

    def __init__(self, *answers: str, interactive: bool = False) -> None:
        self.answers = list(answers)
        self.interactive = interactive
        self.prompts: list[str] = []
        self.said: list[str] = []

    def say(self, message: str) -> None:
        self.said.append(message)

    def ask(self, prompt: str, *, secret: bool = False) -> str:
        self.prompts.append(prompt)
        if not self.answers:
            from stscreds.errors import NoInputError

            raise NoInputError(f"no answer for {prompt!r}")
        return self.answers.pop(0)


def broker_for(ui: ScriptedUI, make_api=None, clock=time.time, code: str | None = None):  # type: ignore[no-untyped-def]
    """The broker the CLI would use, with a scripted UI (and maybe another clock or API)."""
    from stscreds import commands
    from stscreds.aws import AwsApi

    return commands.cli_broker(ui, make_api or AwsApi, code=code, clock=clock)


def read_value(key: str, profile: str, broker):  # type: ignore[no-untyped-def]
    """What `stscreds read KEY --profile PROFILE` prints (without its newline), in-process."""
    from stscreds import answers

    answers.checked_key(key)  # as the CLI does, before anything else
    return answers.read(broker.get(profile, answers.MARGINS["read"]), key).removesuffix("\n")


@pytest.fixture
def store_keys(isolated_env: Path):  # type: ignore[no-untyped-def]
    """Store a user's long-term pair as `stscreds init` would, without the AWS check."""

    def store(user: IamUser, profile: str = "default") -> None:
        state.store_keys(isolated_env, user, profile)

    return store


def credentials_path(home: Path) -> Path:
    """The shared credentials file under the isolated HOME."""
    return home / ".aws" / "credentials"


def write_credentials(home: Path, text: str) -> Path:
    """Give the isolated HOME a ~/.aws/credentials holding exactly `text`."""
    path = credentials_path(home)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(text.encode())
    return path


WITHOUT_CRT = str(Path(__file__).parent / "without_crt")


def cli_env(home: Path, crt: bool = False, **extra: str) -> dict[str, str]:
    """The environment a person's shell would give the real CLI in these tests. Without `crt`,
    the processes it starts see no awscrt (see tests/without_crt)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(home)
    if not crt:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [WITHOUT_CRT, env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def faketime_available() -> bool:
    return shutil.which("faketime") is not None


# --- the installed CLI, as a person's shell runs it ----------------------------------------


def run(
    home: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
    default_signals: bool = False,
) -> subprocess.CompletedProcess[str]:
    """The CLI as a shell runs it. `default_signals`: with SIGINT, SIGTERM and SIGHUP as a
    foreground job has them, whoever started the tests (nohup and `&` leave them ignored)."""
    return subprocess.run(
        [*prefix, STSCREDS, *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env or cli_env(home),
        timeout=60,
        preexec_fn=_default_signals if default_signals else None,
    )


def cli(
    home: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`run`, in this interpreter: the script's own entry point (stscreds.__main__.main, the fast
    path first) with the same arguments, environment, stdin (a pipe, else /dev/null), stdout and
    stderr (files), and the exit code and traceback a process would end with; without the ~0.25 s
    of CPU a process spends importing typer and botocore. For what a command says, writes and
    calls; what a process is (signals, terminals, the fd of its stdout, the fast path's imports, a
    command that might hang) is `run`'s."""
    from stscreds import __main__ as script
    from stscreds.cli import common

    if stdin is None:
        given = open(os.devnull, encoding="utf-8")
    else:
        reader, writer = os.pipe()
        os.write(writer, stdin.encode())  # a test pipes in a few lines: they fit in the pipe
        os.close(writer)
        given = open(reader, encoding="utf-8")
    out = tempfile.TemporaryFile("w+", encoding="utf-8")
    err = tempfile.TemporaryFile("w+", encoding="utf-8", errors="backslashreplace")
    saved_env, saved_argv, saved_streams = dict(os.environ), sys.argv, (sys.stdin, sys.stdout, sys.stderr)
    saved_signals = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    logger = logging.getLogger("stscreds")
    saved_logging = (list(logger.handlers), logger.level, logger.propagate)
    os.environ.clear()
    os.environ.update(env or cli_env(home))
    sys.argv, sys.stdin, sys.stdout, sys.stderr = [STSCREDS, *args], given, out, err
    common.reported = False  # as in a new process
    try:
        script.main()
        code = 0
    except SystemExit as exit:
        if isinstance(exit.code, str):
            print(exit.code, file=err)
        code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
    except Exception:  # what the interpreter does with an exception nobody caught
        traceback.print_exc(file=err)
        code = 1
    finally:
        sys.argv, (sys.stdin, sys.stdout, sys.stderr) = saved_argv, saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        for number, handler in saved_signals.items():
            signal.signal(number, handler)
        logger.handlers[:] = saved_logging[0]
        logger.setLevel(saved_logging[1])
        logger.propagate = saved_logging[2]
        given.close()
    with out, err:
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess([STSCREDS, *args], code, out.read(), err.read())


@pytest.fixture
def env(isolated_env: Path, proxy: RecordingProxy) -> dict[str, str]:
    return cli_env(isolated_env, AWS_ENDPOINT_URL=proxy.url)


@pytest.fixture
def initialised(user: IamUser, isolated_env: Path, env: dict[str, str]) -> IamUser:
    """What `stscreds init` leaves (made in-process, see state.py; test_cli.py drives init itself)."""
    state.initialise(isolated_env, user)
    return user


@pytest.fixture
def authenticated(initialised: IamUser, isolated_env: Path, env: dict[str, str]) -> IamUser:
    """What `stscreds auth --duration 1h` leaves (made in-process, see state.py)."""
    state.authenticate(isolated_env, duration="1h")
    return initialised


# Records, from inside the CLI's interpreter, every wait it asks for: each time.sleep, each
# socket timeout and each connection it opens; and can make the real waits shorter by a factor,
# as if the process's clock ran faster. A test then checks how long the CLI would wait (the
# timeouts and back-offs it gives botocore) without waiting that long, and without reading a
# clock of its own.
WAIT_PROBE = """
import ast, os, socket, sys, time
_log = os.open(os.environ["STSCREDS_TEST_WAITS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
_sleep_scale, _timeout_scale = ast.literal_eval(os.environ["STSCREDS_TEST_WAIT_SCALES"])

def _record(*fields):
    os.write(_log, (repr(fields) + "\\n").encode())

_sleep = time.sleep
def sleep(seconds):
    _record("sleep", seconds)
    _sleep(seconds * _sleep_scale)
time.sleep = sleep

_settimeout = socket.socket.settimeout
def settimeout(self, value):
    _record("timeout", value)
    _settimeout(self, None if value is None else value * _timeout_scale)
socket.socket.settimeout = settimeout

def _hook(event, args):
    if event == "socket.connect" and isinstance(args[1], tuple):
        _record("connect", args[1][1])
sys.addaudithook(_hook)
"""


class WaitProbe:
    """WAIT_PROBE for the CLI processes a test starts with `probe.env(env)`: `sleep_scale` and
    `timeout_scale` shorten the real waits (0.1: ten times shorter); `events()` is what they
    asked for, in order: ("sleep", seconds), ("timeout", seconds or None), ("connect", port)."""

    def __init__(self, folder: Path, sleep_scale: float = 1.0, timeout_scale: float = 1.0) -> None:
        self.folder = folder / "wait-probe"
        self.folder.mkdir()
        (self.folder / "sitecustomize.py").write_text(WAIT_PROBE)
        self.log = self.folder / "waits"
        self.scales = (sleep_scale, timeout_scale)

    def env(self, env: dict[str, str]) -> dict[str, str]:
        return {
            **env,
            "PYTHONPATH": str(self.folder),
            "STSCREDS_TEST_WAITS": str(self.log),
            "STSCREDS_TEST_WAIT_SCALES": repr(self.scales),
        }

    def events(self) -> list[tuple[object, ...]]:
        import ast

        text = self.log.read_text() if self.log.exists() else ""
        return [ast.literal_eval(line) for line in text.splitlines()]

    def waits(self, kind: str) -> list[Any]:
        return [event[1] for event in self.events() if event[0] == kind]


class WaitsInProcess:
    """WAIT_PROBE's records for code this test runs in its own thread (moto's threads in this
    process are left alone), through `monkeypatch`: the same `waits(kind)`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, sleep_scale: float = 1.0, timeout_scale: float = 1.0) -> None:
        self.events: list[tuple[object, ...]] = []
        mine = threading.get_ident()
        sleep, settimeout, connect = time.sleep, socket.socket.settimeout, socket.socket.connect

        def recorded_sleep(seconds: float) -> None:
            if threading.get_ident() == mine:
                self.events.append(("sleep", seconds))
                seconds *= sleep_scale
            sleep(seconds)

        def recorded_settimeout(sock: socket.socket, value: float | None) -> None:
            if threading.get_ident() == mine:
                self.events.append(("timeout", value))
                value = None if value is None else value * timeout_scale
            settimeout(sock, value)

        def recorded_connect(sock: socket.socket, address: Any) -> None:
            if threading.get_ident() == mine and isinstance(address, tuple):
                self.events.append(("connect", address[1]))
            connect(sock, address)

        monkeypatch.setattr(time, "sleep", recorded_sleep)
        monkeypatch.setattr(socket.socket, "settimeout", recorded_settimeout)
        monkeypatch.setattr(socket.socket, "connect", recorded_connect)

    def waits(self, kind: str) -> list[Any]:
        return [event[1] for event in self.events if event[0] == kind]


def assert_one_line_failure(done: subprocess.CompletedProcess[str], code: int = 1) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert done.stdout == ""
    # Prompt context such as "Current user: NAME." may come first; the error is the one last line.
    lines = done.stderr.splitlines()
    assert lines and lines[-1].startswith("stscreds: "), done.stderr
    assert [line for line in lines if line.startswith("stscreds")] == lines[-1:], done.stderr
    assert "Traceback" not in done.stderr


needs_faketime = pytest.mark.skipif(
    not faketime_available() and not os.environ.get("CI"), reason="Debian's faketime is not installed"
)


def faketime(offset: str) -> tuple[str, ...]:
    return ("faketime", "-f", offset)


def _default_signals() -> None:
    # A job started in the background (nohup ... &) starts with SIGINT (and SIGHUP) ignored, and
    # passes that on: Ctrl-C would then never reach the CLI under test.
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)


def spawn(command: str, env: dict[str, str], home: Path) -> pexpect.spawn:
    return pexpect.spawn(
        "/bin/bash",
        ["-c", command],
        env=env,
        cwd=str(home),
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 200),
        preexec_fn=_default_signals,
    )


def answer_the_one_mfa_prompt(command: str, env: dict[str, str], home: Path, code: str = "123456") -> str:
    """Run `command` on a terminal, type `code` at its MFA prompt, and check it asked only once
    and succeeded; returns what it showed after the prompt."""
    shell = spawn(command, env, home)
    shell.expect_exact("MFA code for ")
    shell.sendline(code)
    shell.expect(pexpect.EOF)
    shell.close()
    assert shell.exitstatus == 0, shell.before
    assert "MFA code for" not in shell.before  # no second prompt after the one matched above
    return str(shell.before)
