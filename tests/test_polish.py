"""Secrets and small things (issue 19, 16-20), and what a newcomer reads and sees (issue 20,
13-15): an MFA command named by its program only, a library `mfa_code` that answers anything,
settings continued onto a next line, `stscreds` alone, Ctrl-C before main(), native Windows,
help as people read it, and `--debug` as one line per call to AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import state
import typer.main
from awsproxy import SERVER_ERROR, RecordingProxy
from conftest import (
    EXPIRED_SESSION,
    STSCREDS,
    WITH_FIXTURES,
    IamUser,
    assert_one_line_failure,
    cli_env,
    examples,
    run,
    write_credentials,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from test_roles import write_config
from test_sso import CONFIG as SSO_CONFIG
from test_sso import _fake, fake, seed_token, sso_env  # noqa: F401  (fixtures)
from typer.testing import CliRunner

import stscreds
from stscreds import cache, prompts
from stscreds.cli.main import app
from stscreds.config import ROLE_SETTINGS, SSO_SETTINGS
from stscreds.credentials import Credentials, mask
from stscreds.errors import MfaCommandError, StscredsError, UsageError

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
SEED = "SEED-THAT-MUST-NOT-SHOW"  # what `oathtool --totp -b SEED` would hold


def sitecustomize(tmp_path: Path, code: str) -> str:
    """A folder for PYTHONPATH whose sitecustomize runs `code` before stscreds does."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(code)
    return str(folder)


# --- 19.16: an MFA command is named by its program, never by its arguments ------------------


def fake_oathtool(tmp_path: Path, output: str = "123456", exit_code: int = 0) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    script = folder / "oathtool"
    script.write_text(f"#!/bin/sh\necho '{output}'\nexit {exit_code}\n")
    script.chmod(0o755)
    return folder


def test_a_renewal_through_an_mfa_command_shows_its_program_only(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    folder = fake_oathtool(tmp_path)
    env = {
        **env,
        "PATH": f"{folder}{os.pathsep}{env['PATH']}",
        "STSCREDS_MFA_COMMAND": f"oathtool --totp -b {SEED}",
    }
    done = run(isolated_env, "--debug", "read", "aws_session_token", env=env)
    assert done.returncode == 0, done.stderr
    assert "from 'oathtool'." in done.stderr
    assert SEED not in done.stderr and "--totp" not in done.stderr


@pytest.mark.parametrize(
    "command, exit_code, message",
    [
        (f"oathtool --totp -b {SEED}", 3, "the MFA command 'oathtool' failed with exit code 3"),
        (f"/opt/no-such/oathtool --totp -b {SEED}", 0, "the MFA command 'oathtool' was not found"),
        (f"oathtool --totp -b '{SEED}", 0, "the MFA command ('oathtool') cannot be split as a shell would"),
    ],
    ids=["fails", "not found", "unbalanced quote"],
)
def test_an_mfa_command_that_fails_is_named_by_its_program_only(
    command: str, exit_code: int, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = fake_oathtool(tmp_path, exit_code=exit_code)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(MfaCommandError) as raised:
        prompts.run_mfa_command(command)
    assert str(raised.value).startswith(message) and SEED not in str(raised.value)


# --- 19.17: whatever a library mfa_code returns, the answer is a StscredsError ----------------


@pytest.mark.parametrize("answer", [None, 123456, b"123456", ["123456"]], ids=repr)
def test_a_library_mfa_code_that_is_not_text_is_an_mfa_command_error(
    answer: object, initialised: IamUser, isolated_env: Path, proxy: RecordingProxy
) -> None:
    write_credentials(isolated_env, EXPIRED_SESSION)
    with pytest.raises(StscredsError) as raised:
        stscreds.get_credentials(mfa_code=lambda serial: answer)  # type: ignore[arg-type,return-value]
    assert isinstance(raised.value, MfaCommandError)
    assert str(raised.value) == (
        f"mfa_code's answer is not an MFA code: it must be a str of 6 digits, not {type(answer).__name__}"
    )
    assert "sts:GetSessionToken" not in proxy.actions


# --- 19.18: a setting continued onto a next line, refused before any call --------------------


def continued(key: str) -> str:
    """A role profile whose `key` goes on onto an indented next line (configparser joins them)."""
    first = {"role_arn": "arn:aws:iam::222222222222:role/Deploy"}.get(key, "alice")
    settings = {"role_arn": "arn:aws:iam::222222222222:role/Deploy", "source_profile": "default", key: first}
    lines = [f"{name} = {value}" + ("\n  -2" if name == key else "") for name, value in settings.items()]
    return "[default]\nregion = us-east-1\n\n[profile prod]\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("key", ["role_session_name", "mfa_serial", "external_id", "role_arn"])
def test_a_role_setting_continued_onto_a_next_line_is_refused_before_any_call(
    key: str, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    state.authenticate(isolated_env)
    write_config(isolated_env, continued(key))
    proxy.calls.clear()
    done = run(isolated_env, "read", "aws_access_key_id", "--profile", "prod", env=env)
    assert_one_line_failure(done, 2)
    assert f"profile 'prod': {key} is continued onto a next line" in done.stderr
    assert proxy.calls == []  # no AssumeRole, no GetCallerIdentity for a session name: nothing
    assert not (isolated_env / ".stscreds" / "cache").exists()


def test_an_sso_setting_continued_onto_a_next_line_is_refused_before_any_call(
    fake,  # noqa: F811 (test_sso's fixtures)
    isolated_env: Path,
    sso_env: dict[str, str],  # noqa: F811
) -> None:
    seed_token(fake, isolated_env)
    config = SSO_CONFIG.replace("sso_account_id = 111111111111", "sso_account_id = 111111111111\n  222222222222")
    (isolated_env / ".aws" / "config").write_text(config)
    done = run(isolated_env, "read", "aws_access_key_id", "--profile", "dev-admin", env=sso_env)
    assert_one_line_failure(done, 2)
    assert "profile 'dev-admin': sso_account_id is continued onto a next line" in done.stderr
    assert fake.calls_to("GetRoleCredentials") == []  # it once asked for account '111111111111\n222222222222'


CREDENTIALS = Credentials("ASIAEXAMPLEEXAMPLE01", "secret", "token", 4102444800.0)


@settings(max_examples=examples(100), suppress_health_check=WITH_FIXTURES)
@given(
    key=st.sampled_from(sorted({*ROLE_SETTINGS, *SSO_SETTINGS})),
    value=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from("\n\r \t"), max_size=12),
)
def test_the_cache_is_never_asked_to_store_what_it_cannot(key: str, value: str, isolated_env: Path) -> None:
    """Whatever a setting holds, the store's prepare() (before any call) refuses it in one line,
    or it is stored and read back as it was: never a ValueError once AWS has answered."""
    value = value.strip(" \t")  # configparser strips what surrounds a value
    store = cache.CacheStore("prod", {key: value}, "session.default")
    try:
        store.prepare()
    except UsageError as error:
        assert "\n" not in str(error) and key in str(error)
        return
    store.save(CREDENTIALS)
    assert store.load() == CREDENTIALS


# --- 19.19: `stscreds` and `stscreds sso` alone ----------------------------------------------


@pytest.mark.parametrize("args", [(), ("sso",)], ids=["stscreds", "stscreds sso"])
def test_a_group_alone_shows_its_help_and_no_empty_error_line(args: tuple[str, ...], isolated_env: Path) -> None:
    done = run(isolated_env, *args)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"Usage: {' '.join(['stscreds', *args])} [OPTIONS] COMMAND [ARGS]...\n")
    assert not [line for line in done.stderr.splitlines() if line.startswith("stscreds:")], done.stderr


def test_assume_all_without_role_profiles_says_what_is_missing(isolated_env: Path) -> None:
    done = run(isolated_env, "assume", "--all")
    assert_one_line_failure(done, 2)
    assert "no role profile in" in done.stderr and "(a profile with a role_arn and a source_profile)" in done.stderr


# --- 19.20: Ctrl-C before main() ----------------------------------------------------------------

# A real SIGINT, sent once the package is imported and before main() runs: as the code of
# stscreds/__main__.py starts (imported by the script, or run by `python -m`).
SIGINT_BEFORE_MAIN = """
import os, signal, sys
_sent = []
def _hook(event, args):
    if not _sent and event == "exec" and getattr(args[0], "co_filename", "").endswith(
        os.path.join("stscreds", "__main__.py")
    ):
        _sent.append(True)
        os.kill(os.getpid(), signal.SIGINT)
sys.addaudithook(_hook)
"""


@pytest.mark.parametrize("how", ["script", "-m"])
def test_ctrl_c_before_main_is_one_line(how: str, isolated_env: Path, tmp_path: Path) -> None:
    env = cli_env(isolated_env, PYTHONPATH=sitecustomize(tmp_path, SIGINT_BEFORE_MAIN))
    command = [STSCREDS] if how == "script" else [sys.executable, "-m", "stscreds"]
    done = subprocess.run(
        [*command, "whoami"], capture_output=True, text=True, env=env, timeout=60, preexec_fn=default_sigint
    )
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "stscreds: interrupted\n")


def default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a foreground job has it, whoever started the tests


def test_importing_the_library_leaves_ctrl_c_alone(isolated_env: Path) -> None:
    probe = (
        "import signal, sys\n"
        "mine = lambda number, frame: None\n"
        "signal.signal(signal.SIGINT, mine)\n"
        "import stscreds\n"
        "print(signal.getsignal(signal.SIGINT) is mine)\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import importlib; importlib.reload(stscreds)\n"
        "print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(isolated_env))
    assert done.stdout.splitlines() == ["True", "True"], done.stderr


# --- 20.13: where stscreds runs, and how to install it -------------------------------------------

PRETEND_WINDOWS = "import sys\nsys.platform = 'win32'\n"


@pytest.mark.parametrize("args", [("read", "aws_session_token"), ("whoami",), ("--help",)])
def test_native_windows_is_one_line_at_the_start(args: tuple[str, ...], isolated_env: Path, tmp_path: Path) -> None:
    env = cli_env(isolated_env, PYTHONPATH=sitecustomize(tmp_path, PRETEND_WINDOWS))
    done = run(isolated_env, *args, env=env)
    assert_one_line_failure(done, 1)
    assert "native Windows" in done.stderr and "WSL" in done.stderr


def test_the_library_on_native_windows_says_so(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    for call in (stscreds.get_credentials, lambda: stscreds.get_credentials_many(["a"]), stscreds.boto3_session):
        with pytest.raises(StscredsError, match=r"native Windows .* WSL"):
            call()


def test_the_readme_says_how_to_install_and_where_it_runs_first() -> None:
    """Right under the two set-up commands (test_project.py holds those): how to install for
    daily use, and where stscreds runs."""
    first_section = README.split("\n## ", 2)[1]
    assert first_section.startswith("Install\n")
    assert "pipx install . && pipx ensurepath" in first_section and "uv tool install" in first_section
    assert "Linux and macOS; on Windows, inside WSL" in first_section


# --- 20.14: help as people read it ------------------------------------------------------------


def every_command_path() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [()]
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        paths += [(name,), *((name, sub) for sub in getattr(command, "commands", {}))]
    return paths


def help_of(*path: str) -> str:
    done = subprocess.run(
        [STSCREDS, *path, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"}, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def test_every_help_reads_as_people_read_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    for path in every_command_path():
        done = CliRunner().invoke(app, [*path, "--help"], prog_name="stscreds")
        text = done.stdout
        assert done.exit_code == 0, (path, text)
        usage = text.splitlines()[0]
        assert usage.startswith(f"Usage: {' '.join(['stscreds', *path])} [OPTIONS]"), usage
        assert "{" not in usage and "<" not in usage, usage
        for marker in ("<bool>", "<str>", "<int>", "<list", "TEXT", "INTEGER", "BOOLEAN", "╭", "[required]"):
            assert marker not in text, (path, marker)
        assert "-h, --help" in text
        examples = text.split("\nExample:\n" if "\nExample:\n" in text else "\nExamples:\n")
        assert len(examples) == 2 and examples[1].startswith("  "), (path, text)
        assert "Options:" in examples[0] and "stscreds" in examples[1]


READ_HELP = """\
Usage: stscreds read [OPTIONS] KEY

  Print one value of the current credentials; renew them first if they have
  expired.

Arguments:
  KEY  One of: aws_access_key_id, aws_secret_access_key, aws_session_token,
       x_security_token_expires.

Options:
  -p, --profile PROFILE  The profile to use [default: $AWS_DEFAULT_PROFILE,
                         else $AWS_PROFILE, else default, as botocore reads
                         them].
  -h, --help             Show this message and exit.

Examples:
  stscreds read aws_session_token
  token=$(stscreds read aws_session_token --profile prod)
"""


def test_help_is_the_same_text_under_every_typer_allowed() -> None:
    """stscreds renders its help itself (cli/common.render_help) from click's parameters: what
    typer 0.23 (Python 3.9) to 0.28 print themselves differs from one release to the next."""
    assert help_of("read") == READ_HELP
    usage = {path: help_of(*path).splitlines()[0] for path in [("exec",), ("assume",), ("sso", "discover")]}
    assert usage == {
        ("exec",): "Usage: stscreds exec [OPTIONS] [-- COMMAND [ARGS]...]",
        ("assume",): "Usage: stscreds assume [OPTIONS] [PROFILE]...",
        ("sso", "discover"): "Usage: stscreds sso discover [OPTIONS]",
    }


# --- 20.15: --debug, one line per call to AWS ------------------------------------------------------


def test_debug_shows_each_call_to_aws_and_not_botocores_chatter(
    initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.faults["GetSessionToken"] = SERVER_ERROR.once()  # a retry shows as a second attempt
    done = run(isolated_env, "--debug", "auth", stdin="246810\n", env=env)
    assert done.returncode == 0, done.stderr
    calls = [line.split(" stscreds.aws: ", 1)[1] for line in done.stderr.splitlines() if " -> " in line]
    endpoint = f"{proxy.url.rstrip('/')}/"
    assert [line.split(" in ")[0] for line in calls][:4] == [
        f"iam GetUser {endpoint} -> 200",
        f"iam ListMFADevices {endpoint} -> 200",
        f"sts GetSessionToken {endpoint} -> 500 InternalFailure",
        f"sts GetSessionToken {endpoint} -> 200",
    ], calls
    assert all(line.split(" in ")[1].split()[1] == "s" for line in calls)  # its time, in seconds
    assert calls[3].endswith(" (attempt 2)")
    assert mask(initialised.access_key_id) in done.stderr  # a step: who signs
    for chatter in ("botocore", "urllib3", "Event ", "Response body", "Sending http request"):
        assert chatter not in done.stderr, chatter
    for secret in (initialised.secret_access_key, initialised.access_key_id, "246810"):
        assert secret not in done.stderr
