"""How long do many roles take? `stscreds assume --all` over N role profiles (default 100)
against a local moto server behind the test suite's recording proxy, which adds a fixed latency
to every call (default 100 ms: a far-away region), in parallel and one after another
(`--parallel 1`); then the library's `stscreds.get_credentials_many` over the first 50 of them,
with an empty cache, in parallel and with `max_workers=1`. The MFA session is made first, so
no run asks for a code.

Targets: 100 roles with `assume` in at most 1.5 s (issue 11); one after another takes over 10 s.

Run it with the interpreter of a venv where `pip install '.[test]'` installed stscreds (it
needs moto):
    .venv/bin/python benchmarks/roles.py [--roles 100] [--latency 0.1] [--runs 3]
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
from awsproxy import RecordingProxy
from moto.server import ThreadedMotoServer

TARGET_SECONDS = 1.5
STSCREDS = str(Path(sys.executable).parent / "stscreds")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run([STSCREDS, *args], input=stdin, capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"stscreds {' '.join(args)} failed: {done.stderr[-2000:]}")
    return elapsed


LIBRARY = """
import sys, time, stscreds
names = [f"role{n:03d}" for n in range(int(sys.argv[1]))]
started = time.perf_counter()
stscreds.get_credentials_many(names, max_workers=int(sys.argv[2]))
print(time.perf_counter() - started)
"""


def library_seconds(env: dict[str, str], home: Path, count: int, workers: int) -> float:
    """Seconds get_credentials_many takes in a fresh process, with an empty role cache."""
    (home / ".stscreds" / "cache").unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-c", LIBRARY, str(count), str(workers)], capture_output=True, text=True, env=env, timeout=600
    )
    if done.returncode != 0:
        sys.exit(f"get_credentials_many failed: {done.stderr[-2000:]}")
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roles", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every AWS call")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request log
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    proxy = RecordingProxy(port).start()
    home = Path(tempfile.mkdtemp(prefix="stscreds-roles-"))
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
        (home / ".aws").mkdir()
        (home / ".aws" / "config").write_text(
            "".join(
                f"[profile role{n:03d}]\nrole_arn = arn:aws:iam::{100000000000 + n}:role/Deploy\n"
                "source_profile = default\n\n"
                for n in range(args.roles)
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(HOME=str(home), AWS_ENDPOINT_URL=proxy.url)
        run(["init"], env, f"{key['AccessKeyId']}\n{key['SecretAccessKey']}\n")
        run(["auth"], env, "123456\n")

        proxy.latency = args.latency
        parallel = [run(["assume", "--all"], env) for _ in range(args.runs)]
        sequential = [run(["assume", "--all", "--parallel", "1"], env) for _ in range(1)]
        calls = sum(1 for call in proxy.calls if call.action == "AssumeRole")
        library = {workers: library_seconds(env, home, min(50, args.roles), workers) for workers in (16, 1)}
    finally:
        proxy.stop()
        server.stop()
        subprocess.run(["rm", "-rf", str(home)], check=False)

    best = statistics.median(parallel)
    one_by_one = statistics.median(sequential)
    print(f"{sys.implementation.name} {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} cores")
    print(f"{args.roles} role profiles, {args.latency * 1000:.0f} ms added to every call, {calls} AssumeRole calls")
    print(f"stscreds assume --all (32 at once):  {best:.2f} s (median of {args.runs})")
    print(f"stscreds assume --all --parallel 1:  {one_by_one:.2f} s")
    print(f"ratio: {one_by_one / best:.1f}x faster in parallel")
    verdict = "met" if best <= TARGET_SECONDS else "MISSED"
    print(f"target <= {TARGET_SECONDS} s for {args.roles} roles: {verdict}")
    count = min(50, args.roles)
    print(f"stscreds.get_credentials_many({count} roles), 16 workers: {library[16]:.2f} s")
    print(f"stscreds.get_credentials_many({count} roles), max_workers=1: {library[1]:.2f} s")
    print(f"ratio: {library[1] / library[16]:.1f}x")


if __name__ == "__main__":
    main()
