"""The project's own promises: help for every command, a README that documents them and starts
with the two set-up commands that .ci/run uses, and clean ruff and mypy."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main
from conftest import STSCREDS

from stscreds.cli.main import app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_there_are_the_commands_the_issues_name() -> None:
    assert COMMANDS == [
        "assume",
        "auth",
        "credential-process",
        "env",
        "exec",
        "init",
        "read",
        "rotate",
        "sso",
        "status",
        "whoami",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    done = subprocess.run([STSCREDS, command, "--help"], capture_output=True, text=True)
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


@pytest.mark.parametrize("tool", [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]])
def test_lint(tool: list[str]) -> None:
    executable = shutil.which(tool[0], path=str(Path(sys.executable).parent))
    if executable is None:
        pytest.skip(f"{tool[0]} is not installed")
    done = subprocess.run([executable, *tool[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
