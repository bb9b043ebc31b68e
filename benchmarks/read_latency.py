"""How much do `stscreds read` and `stscreds env` cost a new shell? Compares the installed
console script with the same interpreter's `python -c pass`, interleaved (A B C A B C ...)
after a warm-up.

Target (issue 3): median of `stscreds read aws_session_token` <= 2.0x median of
`python -c pass`; stretch 1.5x. `env` (issue 5) replaces three reads in .bashrc and shares
read's fast path, so the same target applies to it. Also reports peak memory per process, the heavy modules the
fast path imports (should be none) and, when the AWS CLI is installed,
`aws configure get aws_session_token` for comparison.

Run it with the interpreter of a venv made by the README's install command:
    .venv/bin/python benchmarks/read_latency.py [--pairs 25] [--warmup 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET, STRETCH = 2.0, 1.5
HEAVY = ("boto3", "botocore", "typer", "click", "rich")
SESSION = """\
[work]
region = eu-west-1

[default]
aws_access_key_id = benchmark-key-id
aws_secret_access_key = benchmark/secret+value=
aws_session_token = FwoGZXIvYXdzEXAMPLE/token+value=
x_security_token_expires = 2999-01-01T00:00:00Z
"""


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and peak resident memory (KiB) of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {process.returncode}")
    return elapsed, usage.ru_maxrss


def interleaved(
    commands: dict[str, list[str]], env: dict[str, str], pairs: int, warmup: int
) -> dict[str, list[tuple[float, int]]]:
    for _ in range(warmup):
        for command in commands.values():
            run_once(command, env)
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(pairs):
        for name, command in commands.items():
            results[name].append(run_once(command, env))
    return results


def heavy_imports(command: list[str], env: dict[str, str]) -> list[str]:
    done = subprocess.run(command, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True)
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    script = Path(sys.executable).parent / "stscreds"
    if not script.exists():
        sys.exit(f"no stscreds script beside {sys.executable}: run this with the venv's python")
    import site

    if any(p.name.startswith("__editable__") for d in site.getsitepackages() for p in Path(d).glob("*.pth")):
        print("warning: an editable install's .pth file slows every start-up of this venv, the baseline too;")
        print("         measure in a venv with `pip install .` for figures comparable with the README's\n")
    home = Path(tempfile.mkdtemp(prefix="stscreds-bench-"))
    try:
        (home / ".aws").mkdir()
        (home / ".aws" / "credentials").write_text(SESSION)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
        env["HOME"] = str(home)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "stscreds read aws_session_token": [str(script), "read", "aws_session_token"],
            "stscreds env": [str(script), "env"],
        }
        check = subprocess.run(commands["stscreds read aws_session_token"], env=env, capture_output=True, text=True)
        assert check.stdout == "FwoGZXIvYXdzEXAMPLE/token+value=\n", check

        results = interleaved(commands, env, args.pairs, args.warmup)
        medians = {name: statistics.median(t for t, _ in runs) for name, runs in results.items()}
        peaks = {name: statistics.median(m for _, m in runs) for name, runs in results.items()}
        base = medians["python -c pass"]

        print(f"{sys.implementation.name} {sys.version.split()[0]} on {os.uname().machine}, {os.cpu_count()} cores")
        print(f"{args.pairs} interleaved pairs after {args.warmup} warm-up rounds\n")
        print(f"{'command':40} {'median':>10} {'ratio':>7} {'peak RSS':>10}")
        for name in commands:
            print(f"{name:40} {medians[name] * 1000:8.1f}ms {medians[name] / base:6.2f}x {peaks[name] / 1024:7.1f}MiB")

        aws = shutil.which("aws")
        if aws:
            runs = interleaved({"aws": [aws, "configure", "get", "aws_session_token"]}, env, min(args.pairs, 10), 1)
            median = statistics.median(t for t, _ in runs["aws"])
            peak = statistics.median(m for _, m in runs["aws"])
            label = "aws configure get aws_session_token"
            print(f"{label:40} {median * 1000:8.1f}ms {median / base:6.2f}x {peak / 1024:7.1f}MiB")
        else:
            print("(the AWS CLI is not installed: no comparison with `aws configure get`)")

        print()
        for name, label in (("stscreds read aws_session_token", "read"), ("stscreds env", "env")):
            ratio = medians[name] / base
            heavy = heavy_imports(commands[name], env)
            print(f"{label} / python -c pass = {ratio:.2f}x (target <= {TARGET}x, stretch <= {STRETCH}x): ", end="")
            print("stretch met" if ratio <= STRETCH else "target met" if ratio <= TARGET else "TARGET MISSED")
            print(f"heavy modules imported by {label}: {', '.join(heavy) or 'none'}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
