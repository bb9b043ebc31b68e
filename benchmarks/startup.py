"""What do stscreds' frequent commands cost a new shell, however it was installed? Installs the
project three ways (pip in a venv, pipx, uv tool), each into its own temp directory, and times
each command against `python -c pass` run by the interpreter that installed script runs,
interleaved (A B C D E F A B C ...) after a warm-up, in a throwaway HOME holding a valid session.
Before each timed run, --settle untimed runs of `python -c pass` (default 1): a process that
follows a ~140 ms, ~33 MiB one starts ~1.5 ms slower (caches), and without them `python -c pass`
always follows the slowest command, which makes every other ratio look ~0.1x better than it is.

Target: median of each command <= 1.3x median of `python -c pass`, for every installer:
`read` and `env` (issues 3 and 5) run in every new shell, `credential-process` before an SDK's
calls, `status` and `list` from prompts and scripts. The HOME has two profiles: the session, and
a role resting on it (which `list` resolves; the others never look at it). Also reports the
median peak memory (ru_maxrss) of each process, the heavy modules each command imports (none on
the fast path), what each installed script imports, and a footnote row for pip 23.2, whose
console script imports `re`.

Run it with any Python 3.9+; the installs use that interpreter:
    python benchmarks/startup.py [--pairs 25] [--warmup 5] [--installers pip pipx uv pip23]
        [--settle 1] [--source PATH] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET = 1.3
HEAVY = (
    "boto3",
    "botocore",
    "typer",
    "click",
    "rich",
    "pydantic",
    "configobj",
    "re",
    "json",
    "configparser",
    "datetime",
    "dataclasses",
    "typing",
)
BASELINE = "python -c pass"
COMMANDS = {  # label: arguments of stscreds
    "read": ["read", "aws_session_token"],
    "env": ["env"],
    "credential-process": ["credential-process"],
    "status": ["status"],
    "status --json": ["status", "--json"],
    "env --format env": ["env", "--format", "env"],
    "list": ["list"],
}
INSTALLERS = ("pip", "pipx", "uv", "pip23")  # pip23 is the footnote row: `read` only
INSTALL_TIMEOUT = 1800
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# No terminal, no stdin: a command that wanted an MFA code would fail instead of waiting for one.
DETACHED: dict[str, Any] = {"stdin": subprocess.DEVNULL, "start_new_session": True}
SKIPPED_FROM_SOURCE = (".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis")


class InstallError(Exception):
    pass


@dataclass
class Session:
    """The throwaway session's values, made at run time: nothing key-shaped is ever committed."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    long_term_access_key_id: str
    long_term_secret: str

    @classmethod
    def generate(cls) -> Session:
        def key_id(prefix: str) -> str:
            return prefix + "".join(secrets.choice(BASE32) for _ in range(16))

        return cls(
            access_key_id=key_id("ASIA"),
            secret_access_key=f"not-a-secret-{secrets.token_hex(8)}",
            session_token=f"not-a-real-session-token-{secrets.token_hex(16)}",
            long_term_access_key_id=key_id("AKIA"),
            long_term_secret=f"not-a-secret-either-{secrets.token_hex(8)}",
        )


@dataclass
class Install:
    label: str  # the column's title
    script: Path  # the `stscreds` a user runs
    python: Path  # the interpreter its shebang names
    flags: list[str]  # and the flags it gives it
    version: str
    script_imports: list[str]


@dataclass
class Measured:
    median: float  # seconds
    peak: float  # KiB
    failures: int


def make_home(home: Path, session: Session) -> None:
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        "[work]\n"
        "region = eu-west-1\n"
        "role_arn = arn:aws:iam::123456789012:role/Bench\n"
        "source_profile = default\n\n"
        "[default]\n"
        f"aws_access_key_id = {session.access_key_id}\n"
        f"aws_secret_access_key = {session.secret_access_key}\n"
        f"aws_session_token = {session.session_token}\n"
        "x_security_token_expires = 2999-01-01T00:00:00Z\n"
    )
    store = home / ".stscreds"
    store.mkdir(mode=0o700)
    store.chmod(0o700)
    (store / "credentials").write_text(
        "[default]\n"
        f"aws_access_key_id = {session.long_term_access_key_id}\n"
        f"aws_secret_access_key = {session.long_term_secret}\n"
        "user_arn = arn:aws:iam::123456789012:user/bench\n"
    )
    (store / "credentials").chmod(0o600)


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without AWS_* and PYTHON* variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(extra)
    return env


def sh(command: list[str], env: dict[str, str]) -> str:
    """Run an install step; its stdout, or InstallError with the end of its output."""
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InstallError(f"{shlex.join(command)}: {error}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
        raise InstallError(f"{shlex.join(command)} exited {done.returncode}:\n{tail}")
    return done.stdout


def snapshot(source: str, into: Path) -> str:
    """A copy of a source folder, so every installer builds the same tree and none writes into
    the original (others may be editing it); anything else (a wheel, a URL) is used as given."""
    if not Path(source).is_dir():
        return source
    shutil.copytree(source, into, ignore=shutil.ignore_patterns(*SKIPPED_FROM_SOURCE))
    return str(into)


def describe_source(source: str) -> str:
    if not (Path(source) / ".git").exists():
        return source
    try:
        commit = subprocess.run(["git", "-C", source, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        changes = subprocess.run(["git", "-C", source, "status", "--porcelain"], capture_output=True, text=True)
    except OSError:
        return source
    changed = len(changes.stdout.splitlines())
    return f"{source} (commit {commit.stdout.strip()}" + (f", {changed} uncommitted changes)" if changed else ")")


def shebang(script: Path) -> tuple[Path, list[str]]:
    """The interpreter a console script runs and the flags it gets (pipx writes `python -E`): its
    `#!` line, whose rest the kernel passes as one argument, or the `'''exec'` line that pip and
    distlib write under `#!/bin/sh` when the path is too long for a `#!` line."""
    lines = script.read_text(errors="replace").splitlines()
    if not lines or not lines[0].startswith("#!"):
        raise InstallError(f"{script} has no #! line")
    interpreter, _, rest = lines[0][2:].strip().partition(" ")
    flags = [rest.strip()] if rest.strip() else []
    if interpreter == "/bin/sh" and not flags and len(lines) > 1 and lines[1].startswith("'''exec'"):
        words = shlex.split(lines[1][len("'''exec'") :])
        words = words[: words.index("$0")] if "$0" in words else words[:1]
        interpreter, flags = words[0], words[1:]
    elif Path(interpreter).name == "env" and flags:
        interpreter, flags = shutil.which(flags[0]) or flags[0], []
    return Path(interpreter), flags


def script_imports(script: Path) -> list[str]:
    """The modules the console script itself imports."""
    imports: list[str] = []
    for line in script.read_text(errors="replace").splitlines():
        words = line.split()
        if words[:1] == ["import"]:
            imports.extend(name.strip(",") for name in words[1:])
        elif words[:1] == ["from"] and len(words) > 1:
            imports.append(words[1])
    return imports


def finish(label: str, script: Path, version: str) -> Install:
    if not script.exists():
        raise InstallError(f"no stscreds script at {script}")
    python, flags = shebang(script)
    if not python.exists():
        raise InstallError(f"{script} runs {python}, which does not exist")
    return Install(label, script, python, flags, version, script_imports(script))


def pip_version(python: Path, env: dict[str, str]) -> str:
    return sh([str(python), "-m", "pip", "--version"], env).split()[1]


def install_with_pip(work: Path, source: str, pip_requirement: str, env: dict[str, str]) -> Install:
    """`python -m venv`, upgrade or pin pip, then a plain (not editable) `pip install SOURCE`."""
    venv = work / "venv"
    sh([sys.executable, "-m", "venv", str(venv)], env)
    python = venv / "bin" / "python"
    sh([str(python), "-m", "pip", "install", "-q", "-U", pip_requirement], env)
    sh([str(python), "-m", "pip", "install", "-q", source], env)
    version = pip_version(python, env)
    major = version.split(".")[0] if pip_requirement == "pip" else ".".join(version.split(".")[:2])
    return finish(f"pip {major}", venv / "bin" / "stscreds", f"pip {version}")


class Tools:
    """pipx and uv: from the PATH, else installed once into a helper venv."""

    def __init__(self, work: Path, env: dict[str, str]) -> None:
        self.venv = work / "tools"
        self.env = env

    def find(self, name: str) -> str:
        on_path = shutil.which(name)
        if on_path:
            return on_path
        here = self.venv / "bin" / name
        if not here.exists():
            if not self.venv.exists():
                sh([sys.executable, "-m", "venv", str(self.venv)], self.env)
            print(f"  {name} is not on the PATH: installing it into {self.venv}", file=sys.stderr)
            sh([str(self.venv / "bin" / "python"), "-m", "pip", "install", "-q", name], self.env)
        return str(here)


def install_with_pipx(work: Path, source: str, tools: Tools, env: dict[str, str]) -> Install:
    pipx = tools.find("pipx")
    env = {
        **env,
        "PIPX_HOME": str(work / "home"),
        "PIPX_BIN_DIR": str(work / "bin"),
        "PIPX_MAN_DIR": str(work / "man"),
        "USE_EMOJI": "0",
    }
    sh([pipx, "install", "--python", sys.executable, source], env)
    return finish("pipx", work / "bin" / "stscreds", "pipx " + sh([pipx, "--version"], env).strip())


def install_with_uv(work: Path, source: str, tools: Tools, env: dict[str, str]) -> Install:
    uv = tools.find("uv")
    env = {
        **env,
        "UV_TOOL_DIR": str(work / "tools"),
        "UV_TOOL_BIN_DIR": str(work / "bin"),
        "UV_CACHE_DIR": str(work / "cache"),
        "UV_PYTHON_DOWNLOADS": "never",
    }
    sh([uv, "tool", "install", "--compile-bytecode", "--python", sys.executable, source], env)
    return finish("uv tool", work / "bin" / "stscreds", sh([uv, "--version"], env).strip())


# The processes are started by this small launcher, not by the benchmark itself: a child's
# ru_maxrss starts at the resident size of whatever it was forked from (vfork: the parent's peak;
# fork: its copied pages), and this script's ~20 MiB would hide every figure below that.
LAUNCHER = r"""
import os, sys, time
null = os.open(os.devnull, os.O_RDWR)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    args = line.rstrip("\n").split("\0")
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        try:
            if args[0]:
                os.execv(args[0], args)
        finally:
            os._exit(127 if args[0] else 0)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    sys.stdout.write("%r %d %d\n" % (elapsed, usage.ru_maxrss, os.waitstatus_to_exitcode(status)))
    sys.stdout.flush()
"""


class Launcher:
    """`python -I -S` running LAUNCHER with `env`: times one command at a time, fork to wait4."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", LAUNCHER],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its children get no terminal: none can stop to ask for an MFA code
        )

    def run(self, command: list[str]) -> tuple[float, int, int]:
        """Wall seconds, peak resident memory (KiB) and exit code of one run."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("\0".join(command) + "\n")
        self.process.stdin.flush()
        elapsed, peak, code = self.process.stdout.readline().split()
        kib = int(peak) // 1024 if sys.platform == "darwin" else int(peak)  # bytes there
        return float(elapsed), kib, int(code)

    def floor(self) -> int:
        """The ru_maxrss (KiB) of a child that exits at once: no figure can be below it."""
        return self.run([""])[1]

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()


@dataclass
class Plan:
    pairs: int  # timed rounds
    warmup: int  # untimed rounds first
    settle: int  # untimed runs of the baseline before each timed run


def interleaved(commands: dict[str, list[str]], launcher: Launcher, plan: Plan) -> dict[str, Measured]:
    """Runs A B C ... A B C ..., each timed run after `plan.settle` untimed runs of BASELINE."""
    for _ in range(plan.warmup):
        for command in commands.values():
            launcher.run(command)
    runs: dict[str, list[tuple[float, int, int]]] = {name: [] for name in commands}
    for _ in range(plan.pairs):
        for name, command in commands.items():
            for _ in range(plan.settle):
                launcher.run(commands[BASELINE])
            runs[name].append(launcher.run(command))
    return {
        name: Measured(
            median=statistics.median(t for t, _, _ in results),
            peak=statistics.median(m for _, m, _ in results),
            failures=sum(1 for _, _, code in results if code != 0),
        )
        for name, results in runs.items()
    }


def check(name: str, command: list[str], env: dict[str, str], session: Session) -> str | None:
    """None when the command exits 0 and prints what it should; else what went wrong."""
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, **DETACHED)
    except subprocess.TimeoutExpired:
        return "timed out after 60 s"
    problem = f"exited {done.returncode}" if done.returncode != 0 else None
    token = session.session_token
    if problem is None and name == "read" and done.stdout != token + "\n":
        problem = f"printed {done.stdout!r}, not the session token"
    elif problem is None and name == "env" and f"export AWS_SESSION_TOKEN='{token}'" not in done.stdout:
        problem = f"printed no AWS_SESSION_TOKEN line with the token: {done.stdout!r}"
    elif problem is None and name == "credential-process":
        try:
            output = json.loads(done.stdout)
            if output.get("Version") != 1 or output.get("SessionToken") != token:
                problem = f"printed JSON without Version 1 and the token: {done.stdout!r}"
        except (ValueError, AttributeError):
            problem = f"printed no JSON object: {done.stdout!r}"
    elif problem is None and name == "env --format env" and f"export AWS_SESSION_TOKEN={token}\n" not in done.stdout:
        problem = f"printed no AWS_SESSION_TOKEN line with the token, unquoted: {done.stdout!r}"
    elif (
        problem is None
        and name == "list"
        and [line.split()[:2] for line in done.stdout.splitlines()[1:]]
        != [
            ["work", "role"],
            ["default", "session"],
        ]
    ):
        problem = f"printed no work role and default session: {done.stdout!r}"
    elif problem is None and name == "status --json":
        try:
            json.loads(done.stdout)
        except ValueError:
            problem = f"printed no JSON: {done.stdout!r}"
    if problem is None:
        return None
    stderr = done.stderr.strip()
    return problem + ("; stderr:\n      " + "\n      ".join(stderr.splitlines()[-10:]) if stderr else "")


def heavy_imports(install: Install, command: list[str], env: dict[str, str]) -> list[str]:
    """The top-level packages among HEAVY that one run imports. The script is run the way its
    shebang runs it, plus `-X importtime`: `python -E` (pipx) ignores PYTHONPROFILEIMPORTTIME."""
    interpreter = [str(install.python), *install.flags]
    rest = command[len(interpreter) :] if command[: len(interpreter)] == interpreter else command
    profiled = [*interpreter, "-X", "importtime", *rest]
    profile_env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
    done = subprocess.run(profiled, env=profile_env, capture_output=True, text=True, timeout=60, **DETACHED)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return sorted({name.split(".")[0] for name in names} & set(HEAVY))


@dataclass
class Result:
    install: Install
    measured: dict[str, Measured]  # BASELINE and each command that passed its check
    heavy: dict[str, list[str]]
    problems: dict[str, str]
    floor: int  # KiB: a child of the launcher that exits at once


def benchmark(install: Install, names: list[str], env: dict[str, str], session: Session, plan: Plan) -> Result:
    commands = {BASELINE: [str(install.python), *install.flags, "-c", "pass"]}
    problems: dict[str, str] = {}
    for name in names:
        command = [str(install.script), *COMMANDS[name]]
        problem = check(name, command, env, session)
        if problem:
            problems[name] = problem
            print(f"  skipping stscreds {name} ({install.label}): it {problem}", file=sys.stderr)
        else:
            commands[name] = command
    heavy = {name: heavy_imports(install, command, env) for name, command in commands.items()}
    launcher = Launcher(env)
    try:
        return Result(install, interleaved(commands, launcher, plan), heavy, problems, launcher.floor())
    finally:
        launcher.close()


def table(columns: list[Result], rows: list[str], cell: str) -> list[str]:
    lines = [
        "| command | " + " | ".join(r.install.label for r in columns) + " |",
        "| --- |" + " --- |" * len(columns),
    ]
    for name in rows:
        cells = []
        for result in columns:
            measured, base = result.measured.get(name), result.measured[BASELINE]
            if measured is None:
                cells.append("skipped" if name in result.problems else "n/a")
            elif cell == "time":
                failed = f", {measured.failures} failed" if measured.failures else ""
                cells.append(f"{measured.median / base.median:.2f}x ({measured.median * 1000:.1f} ms{failed})")
            else:
                cells.append(f"{measured.peak / 1024:.1f} MiB")
        lines.append(f"| `{label_of(name)}` | " + " | ".join(cells) + " |")
    return lines


def label_of(name: str) -> str:
    return BASELINE if name == BASELINE else f"stscreds {' '.join(COMMANDS[name])}"


def report_footnote(footnote: Result) -> None:
    install, base, read = footnote.install, footnote.measured[BASELINE], footnote.measured.get("read")
    print(f"\nFootnote, {install.version}, whose script imports {', '.join(install.script_imports)}:")
    if read is None:
        print(f"  stscreds read aws_session_token skipped: {footnote.problems.get('read')}")
        return
    ratio = read.median / base.median
    print(f"  stscreds read aws_session_token = {ratio:.2f}x ({read.median * 1000:.1f} ms), ", end="")
    print(f"{read.peak / 1024:.1f} MiB peak; {'within' if ratio <= TARGET else 'over'} the {TARGET}x target")


def report_verdict(results: list[Result]) -> None:
    print(f"\nVerdict (target <= {TARGET}x):\n")
    print("| command | " + " | ".join(r.install.label for r in results) + " |")
    print("| --- |" + " --- |" * len(results))
    missed = []
    for name in COMMANDS:
        cells = []
        for result in results:
            measured, base = result.measured.get(name), result.measured[BASELINE]
            if measured is None:
                cells.append("skipped")
                continue
            ratio = measured.median / base.median
            cells.append("met" if ratio <= TARGET else "MISSED")
            if ratio > TARGET:
                missed.append(f"{name} with {result.install.label} ({ratio:.2f}x)")
        print(f"| `{label_of(name)}` | " + " | ".join(cells) + " |")
    print(f"\n{len(missed)} of the cells miss the target: " + "; ".join(missed) if missed else "\nEvery cell meets it.")


def report_imports(everyone: list[Result]) -> None:
    print(f"\nHeavy modules imported (of {', '.join(HEAVY)}; none on the fast path):")
    for name in [BASELINE, *COMMANDS]:
        found: dict[str, list[str]] = {}
        for result in everyone:
            if name in result.heavy:
                found.setdefault(", ".join(result.heavy[name]) or "none", []).append(result.install.label)
        if found:
            print(f"  {label_of(name)}: " + "; ".join(f"{mods} ({', '.join(who)})" for mods, who in found.items()))
    print("\nWhat each installed script imports itself:")
    for result in everyone:
        print(f"  {result.install.label}: {', '.join(result.install.script_imports)}  [{result.install.script}]")


def report(results: list[Result], footnote: Result | None, args: argparse.Namespace, source: str) -> None:
    print(f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})", end="")
    print(f" on {platform.machine()}, {platform.system()} {platform.release()}, {os.cpu_count()} cores")
    print(f"source: {source}")
    print(
        f"{args.pairs} interleaved rounds after {args.warmup} warm-up rounds, each timed run after {args.settle}",
        end="",
    )
    print(f" untimed `python -c pass`; target <= {TARGET}x python -c pass\n")
    everyone = [*results, *([footnote] if footnote else [])]
    if results:
        print("Median wall time, as a multiple of the same interpreter's `python -c pass`:\n")
        print("\n".join(table(results, list(COMMANDS), "time")))
        print("\nMedian peak memory (ru_maxrss):\n")
        print("\n".join(table(results, [BASELINE, *COMMANDS], "peak")))
        print()
    for result in everyone:
        base, install = result.measured[BASELINE], result.install
        baseline = shlex.join(["python", *install.flags, "-c", "pass"])
        print(f"{install.label} ({install.version}): {baseline} {base.median * 1000:.1f} ms, ", end="")
        print(
            f"{base.peak / 1024:.1f} MiB peak (launcher's floor {result.floor / 1024:.1f} MiB), with {install.python}"
        )
    if footnote:
        report_footnote(footnote)
    if results:
        report_verdict(results)
    report_imports(everyone)
    problems = [(r.install.label, name, text) for r in everyone for name, text in r.problems.items()]
    if problems:
        print("\nSkipped rows:")
        for label, name, text in problems:
            print(f"  stscreds {name} with {label}: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=25, help="interleaved rounds timed (default 25)")
    parser.add_argument("--warmup", type=int, default=5, help="rounds run first and not timed (default 5)")
    parser.add_argument(
        "--settle", type=int, default=1, help="untimed `python -c pass` runs before each timed run (default 1)"
    )
    parser.add_argument(
        "--source", default=str(Path(__file__).resolve().parent.parent), help="what to install (default: this repo)"
    )
    parser.add_argument(
        "--installers", nargs="+", choices=INSTALLERS, default=list(INSTALLERS), help="pip23 is the footnote row"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp directories and say where")
    args = parser.parse_args()

    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="stscreds-startup-"))
    try:
        install_env = clean_env()
        described = describe_source(args.source)
        source = snapshot(args.source, work / "src")
        session = Session.generate()
        make_home(work / "home", session)
        env = clean_env(HOME=str(work / "home"))
        tools = Tools(work, install_env)
        results: list[Result] = []
        footnote: Result | None = None
        for installer in args.installers:
            print(f"installing with {installer} ...", file=sys.stderr)
            folder = work / installer
            folder.mkdir()
            try:
                if installer == "pip":
                    install = install_with_pip(folder, source, "pip", install_env)
                elif installer == "pip23":
                    install = install_with_pip(folder, source, "pip==23.2.1", install_env)
                elif installer == "pipx":
                    install = install_with_pipx(folder, source, tools, install_env)
                else:
                    install = install_with_uv(folder, source, tools, install_env)
            except InstallError as error:
                print(f"  {installer} failed, leaving it out: {error}", file=sys.stderr)
                continue
            print(f"  timing {install.label} ...", file=sys.stderr)
            names = ["read"] if installer == "pip23" else list(COMMANDS)
            result = benchmark(install, names, env, session, Plan(args.pairs, args.warmup, args.settle))
            if installer == "pip23":
                footnote = result
            else:
                results.append(result)
        report(results, footnote, args, described)
        print(f"\n(took {time.perf_counter() - started:.0f} s, installs included)")
        if not results and not footnote:
            sys.exit("no installer worked")
    finally:
        sys.stdout.flush()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
