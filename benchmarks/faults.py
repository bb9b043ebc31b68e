"""How long does stscreds take to give up? The real waits behind the README's promises about
faults, which the tests check as configured (timeouts, attempts, back-offs) rather than time:

- `stscreds auth` against a server that accepts the connection and never answers (the test
  suite's recording proxy, hanging): within 20 s, about 15 s (3 attempts of 4 s, and back-off);
- `stscreds auth` against a port nothing listens on: within 10 s;
- `stscreds sso login` with IAM Identity Center unreachable: within 15 s;
- `stscreds read` while another stscreds holds the lock, with STSCREDS_LOCK_TIMEOUT=1: it gives
  up after the 1 s it was given (and well within 10 s);
- `auth`, `read` and `status` with ~/.aws/credentials a FIFO nothing writes to: not blocked
  (each in well under a second of work, within 30 s).

Run it with the interpreter of a venv where `pip install '.[test]'` installed stscreds (it
needs moto):
    .venv/bin/python benchmarks/faults.py [--runs 1]
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import boto3
from awsproxy import HANG, RecordingProxy
from moto.server import ThreadedMotoServer

from stscreds.aws import Timeouts

STSCREDS = str(Path(sys.executable).parent / "stscreds")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seconds(args: list[str], env: dict[str, str], stdin: str = "", expect: int | None = 1) -> float:
    """How long `stscreds ARGS` takes, checking its exit code."""
    started = time.perf_counter()
    done = subprocess.run([STSCREDS, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)
    elapsed = time.perf_counter() - started
    if expect is not None and done.returncode != expect:
        sys.exit(f"stscreds {' '.join(args)} exited {done.returncode}, not {expect}: {done.stderr[-2000:]}")
    return elapsed


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s" + (f" (median of {len(values)})" if len(values) > 1 else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    proxy = RecordingProxy(port).start()
    home = Path(tempfile.mkdtemp(prefix="stscreds-faults-"))
    figures: list[tuple[str, str, str]] = []
    try:
        admin = boto3.client(
            "iam",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="admin",
            aws_secret_access_key="admin",
        )
        admin.create_user(UserName="bench")
        key = admin.create_access_key(UserName="bench")["AccessKey"]
        device = admin.create_virtual_mfa_device(VirtualMFADeviceName="bench")["VirtualMFADevice"]
        codes = {"AuthenticationCode1": "123456", "AuthenticationCode2": "654321"}
        admin.enable_mfa_device(UserName="bench", SerialNumber=device["SerialNumber"], **codes)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), AWS_ENDPOINT_URL=proxy.url)
        seconds(["init"], env, f"{key['AccessKeyId']}\n{key['SecretAccessKey']}\n", expect=0)
        default = Timeouts()

        proxy.faults["*"] = HANG
        silent = [seconds(["auth"], env, "123456\n") for _ in range(args.runs)]
        proxy.faults.clear()
        figures.append(
            ("auth, a silent server", median(silent), f"< 20 s (worst case {default.silent_server_seconds:g} s)")
        )

        nowhere = {**env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}
        unreachable = [seconds(["auth"], nowhere, "123456\n") for _ in range(args.runs)]
        figures.append(
            ("auth, nothing listening", median(unreachable), f"< 10 s (worst case {default.unreachable_seconds:g} s)")
        )

        config = home / "sso-config"
        config.write_text(
            "[sso-session corp]\nsso_start_url = https://d-1234567890.awsapps.com/start\nsso_region = eu-west-1\n"
        )
        sso = {**nowhere, "AWS_CONFIG_FILE": str(config), "AWS_ENDPOINT_URL_SSO_OIDC": nowhere["AWS_ENDPOINT_URL"]}
        login = [seconds(["sso", "login", "--no-browser"], sso) for _ in range(args.runs)]
        figures.append(("sso login, nothing listening", median(login), "< 15 s"))

        (home / ".aws").mkdir(exist_ok=True)
        expired = (
            "[default]\naws_access_key_id = ASIAOLDOLDOLDOLDOLD1\naws_secret_access_key = old\n"
            "aws_session_token = old\nx_security_token_expires = 2020-01-01T00:00:00Z\n"
        )
        (home / ".aws" / "credentials").write_text(expired)
        os.environ["HOME"] = str(home)  # the lock below is the one the CLI's HOME names
        from stscreds.lock import SourceLock

        with SourceLock("session.default", lambda message: None):
            waited = [
                seconds(["read", "aws_session_token"], {**env, "STSCREDS_LOCK_TIMEOUT": "1"}, "123456\n")
                for _ in range(args.runs)
            ]
        figures.append(("read, the lock held (STSCREDS_LOCK_TIMEOUT=1)", median(waited), "1 s, < 10 s"))

        fifo = home / "fifo"
        os.mkfifo(fifo)
        on_fifo = {**env, "AWS_SHARED_CREDENTIALS_FILE": str(fifo)}
        blocked = [
            seconds(["auth"], on_fifo, "123456\n")
            + seconds(["read", "aws_session_token"], on_fifo)
            + seconds(["status"], on_fifo)
            for _ in range(args.runs)
        ]
        figures.append(("auth, read and status on a FIFO", median(blocked), "< 30 s (not blocked)"))
    finally:
        proxy.stop()
        server.stop()
        subprocess.run(["rm", "-rf", str(home)], check=False)

    print(f"{sys.implementation.name} {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} cores")
    width = max(len(name) for name, _, _ in figures)
    for name, measured, promise in figures:
        print(f"{name:<{width}}  {measured:<22}  promise: {promise}")


if __name__ == "__main__":
    main()
