"""The project's own promises: help for every command, a README that documents them and starts
with the two set-up commands that .ci/run uses, and clean ruff and mypy."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from conftest import STSCREDS, cli

from stscreds.cli.main import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_there_are_the_commands_the_issues_name() -> None:
    assert COMMANDS == [
        "assume",
        "auth",
        "clear",
        "console",
        "credential-process",
        "env",
        "exec",
        "init",
        "list",
        "login",
        "logout",
        "read",
        "retire-keys",
        "rotate",
        "sso",
        "status",
        "whoami",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str, isolated_env: Path) -> None:
    done = cli(isolated_env, command, "--help")  # in-process; test_top_level_help runs the script
    assert done.returncode == 0 and "Usage: stscreds " + command in done.stdout
    assert f"`stscreds {command}" in README


def test_top_level_help() -> None:
    done = subprocess.run([STSCREDS, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and all(command in done.stdout for command in COMMANDS)


def test_readme_starts_with_the_two_set_up_commands_and_ci_runs_the_second() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(first_block) == 2
    assert "pip install '.[demo]' && python demo.py" in first_block[0]
    assert first_block[1].endswith("pip install '.[test]' && pytest")
    assert README.index("```sh") < 20  # right under the title
    assert "pip install '.[test]' && pytest" in (ROOT / ".ci" / "run").read_text()


def test_the_guarantees_name_tests_that_exist() -> None:
    section = README.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(?:(test_\w+)\.py::)?(test_\w+)`", section)
    assert len(named) >= 20
    for file, test in named:
        where = [ROOT / "tests" / f"{file}.py"] if file else [ROOT / "tests" / "test_guarantees.py"]
        assert any(f"def {test}(" in path.read_text() for path in where), (file, test)


LINTED_VARIABLE = "STSCREDS_CI_LINTED"


@pytest.mark.parametrize("tool", [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]])
def test_lint(tool: list[str]) -> None:
    if os.environ.get(LINTED_VARIABLE):  # .ci/run: the same code, linted once, in its first run
        pytest.skip(f"{LINTED_VARIABLE} is set: ruff and mypy ran in an earlier run of this CI")
    executable = shutil.which(tool[0], path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip(f"{tool[0]} is not installed")
    done = subprocess.run([executable, *tool[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


# --- no test reads the machine's clock to bound a duration -----------------------------------

CLOCKS = {"monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "time", "time_ns", "process_time", "now"}


def _reads_a_clock(node: ast.AST, clock_names: set[str]) -> bool:
    """Whether `node` reads the clock: time.monotonic(), perf_counter(), datetime.now()... or a
    variable that holds such a reading."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in CLOCKS:
                return True
        if isinstance(child, ast.Name) and child.id in clock_names:
            return True
    return False


def _is_elapsed(node: ast.AST, clock_names: set[str], elapsed_names: set[str]) -> bool:
    """A difference of two clock readings (time.monotonic() - started), or a name holding one."""
    for child in ast.walk(node):
        if isinstance(child, ast.Name) and child.id in elapsed_names:
            return True
        if (
            isinstance(child, ast.BinOp)
            and isinstance(child.op, ast.Sub)
            and _reads_a_clock(child.left, clock_names)
            and _reads_a_clock(child.right, clock_names)
        ):
            return True
    return False


def elapsed_time_comparisons(source: str) -> list[int]:
    """Lines where a measured duration is compared with something: `elapsed < 20`,
    `time.monotonic() - started < 15`, `1 <= waited`. Deadlines in wait loops compare a clock
    with a clock reading (`time.monotonic() < deadline`), not a duration, and are not flagged."""
    tree = ast.parse(source)
    clock_names: set[str] = set()
    elapsed_names: set[str] = set()
    for _ in range(2):  # names assigned from names assigned from clocks
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
                names = {t.id for t in node.targets if isinstance(t, ast.Name)}
                if _is_elapsed(node.value, clock_names, elapsed_names):
                    elapsed_names |= names
                elif _reads_a_clock(node.value, clock_names):
                    clock_names |= names
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(_is_elapsed(side, clock_names, elapsed_names) for side in (node.left, *node.comparators))
    ]


def test_the_clock_checker_finds_what_it_must() -> None:
    bad = [
        "started = time.monotonic()\nrun()\nassert time.monotonic() - started < 15\n",
        "t0 = perf_counter()\nrun()\nelapsed = perf_counter() - t0\nassert elapsed < 2.0\n",
        "s = time.time()\nrun()\nwaited = time.time() - s\nassert 1 <= waited < 10\n",
        "a = datetime.now()\nrun()\nassert (datetime.now() - a).total_seconds() < 3\n",
    ]
    good = [
        "deadline = time.monotonic() + 30\nwhile time.monotonic() < deadline:\n    pass\n",
        "before = time.time()\nassert (before + 3600) * 1000 - 5000 <= x\n",
        "assert registration['expires'] > time.time() + 80\n",
    ]
    assert [bool(elapsed_time_comparisons(text)) for text in bad] == [True] * len(bad)
    assert [bool(elapsed_time_comparisons(text)) for text in good] == [False] * len(good)


def test_no_test_compares_elapsed_time_with_a_bound() -> None:
    """Speed belongs in benchmarks/: a test that measures seconds fails on a busy machine."""
    found = {
        f"{path.name}:{line}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        for line in elapsed_time_comparisons(path.read_text())
    }
    assert found == set()
