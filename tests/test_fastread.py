"""The fast path (issues 3 and 10): same answers as the full path, lighter imports.

`stscreds/__main__.py` answers `read`, `env`, `credential-process` and `status` while the
credentials are valid, through the broker's lookup and `ini`'s re-free reader, which reads a
plain file as configparser would and leaves anything else ([DEFAULT] sections, files
configparser refuses) to configparser. Everything else falls through to the full CLI, whose
behaviour the other test files pin down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock

import pytest
from conftest import STSCREDS, WITH_FIXTURES, cli_env, examples, write_credentials
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import credential_files, values

from stscreds import answers, ini, ini_edit
from stscreds.__main__ import fast_answer
from stscreds.credentials import EXPIRATION, INI_KEYS, RENEW_MARGIN_SECONDS, format_timestamp, parse_expiration
from stscreds.errors import MalformedFileError, StscredsError

HEAVY = ("boto3", "botocore", "typer", "click", "rich")
# Each of these costs about as much as Python's own start-up on the machines measured.
AVOIDED = (*HEAVY, "re", "configparser", "datetime", "typing", "configobj")
FUTURE, PAST = "2999-01-01T00:00:00Z", "2001-01-01T00:00:00Z"
SESSION = (
    "[default]\n"
    "aws_access_key_id = ASIAEXAMPLEEXAMPLE01\n"
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n"
    "aws_session_token = FwoGZXIvYXdz/EXAMPLE+token==\n"
    f"x_security_token_expires = {FUTURE}\n"
)


def both_paths(text: str) -> tuple[dict[str, ini.Section] | None, dict[str, ini.Section] | MalformedFileError]:
    """What the re-free reader and configparser (as botocore uses it) make of `text`."""
    fast = ini._fast_sections(text)
    try:
        full: dict[str, ini.Section] | MalformedFileError = ini._as_dict(ini._parse(text, "<t>"), "<t>")
    except MalformedFileError as error:
        full = error
    return fast, full


def assert_same_answers(text: str, home: Path, now: float) -> None:
    """The re-free reader reads exactly as configparser, or declines (None) and leaves it to
    configparser; and the fast path's answer for every profile is what its reading gives."""
    write_credentials(home, text)
    fast, full = both_paths(text)
    if isinstance(full, MalformedFileError) or "[DEFAULT]" in text:
        assert fast is None or fast == full
    else:
        assert fast == full
    profiles = {"default", "work", *(line.strip()[1:-1] for line in text.splitlines() if line.strip()[:1] == "[")}
    for profile in profiles:
        answer = fast_answer(["read", "aws_session_token", "--profile", profile])
        if isinstance(full, MalformedFileError):
            assert answer is None, profile
            continue
        try:
            valid = answers.cached(profile, RENEW_MARGIN_SECONDS, now) is not None
        except StscredsError:  # not a profile name at all
            valid = False
        expected = full.get(profile, {}).get("aws_session_token") if valid else None
        assert answer == (None if expected is None else f"{expected}\n"), profile


# --- same values as botocore's parser ------------------------------------------------------

CORPUS = [
    SESSION,
    SESSION.replace("\n", "\r\n"),
    SESSION.replace(" = ", "="),
    SESSION.replace(" = ", ": "),
    SESSION.replace("aws_session_token", "AWS_Session_Token"),
    "; comment\n# comment\n[work]\nregion = eu-west-1\n\n" + SESSION + "\n[other]\nkey = v\n",
    SESSION.replace("FwoGZXIvYXdz/EXAMPLE+token==", "'quoted token' with = and / and \"quotes\""),
    SESSION.replace("FwoGZXIvYXdz/EXAMPLE+token==", "token   with   inner   spaces   "),
    SESSION.replace("FwoGZXIvYXdz/EXAMPLE+token==", "first\n    second line"),
    SESSION.replace(FUTURE, PAST),
    SESSION.replace(FUTURE, "not a time"),
    SESSION.replace(FUTURE, "2999-01-01T00:00:00+05:30"),
    SESSION.replace("aws_session_token = FwoGZXIvYXdz/EXAMPLE+token==\n", ""),
    SESSION + "[default]\nduplicate = section\n",
    SESSION + "aws_session_token = duplicate key\n",
    "before any header\n" + SESSION,
    SESSION + "a line that is not a setting\n",
    "[DEFAULT]\nregion = x\n" + SESSION,
    SESSION.replace("[default]", "[work]"),
    SESSION.replace("\n", "\r"),
    "",
]


@pytest.mark.parametrize("text", CORPUS)
def test_fast_path_agrees_with_the_full_path_on_a_corpus(text: str, isolated_env: Path) -> None:
    assert_same_answers(text, isolated_env, time.time())


def test_fast_path_answers_for_the_usual_file(isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION)
    found = answers.cached("default", RENEW_MARGIN_SECONDS)
    assert found is not None and found.as_ini() == {
        "aws_access_key_id": "ASIAEXAMPLEEXAMPLE01",
        "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        "aws_session_token": "FwoGZXIvYXdz/EXAMPLE+token==",
        "x_security_token_expires": FUTURE,
    }


@settings(max_examples=examples(75), suppress_health_check=WITH_FIXTURES)
@given(generated=credential_files())
def test_fast_path_agrees_on_arbitrary_files(generated: tuple[list[str], int | None, str], isolated_env: Path) -> None:
    assert_same_answers("".join(generated[0]), isolated_env, time.time())


session_values = values.map(str.strip).filter(bool)


@settings(max_examples=examples(75), suppress_health_check=WITH_FIXTURES)
@given(
    generated=credential_files(),
    session=st.fixed_dictionaries(
        {key: session_values for key in INI_KEYS[:3]}
        | {EXPIRATION: st.sampled_from([FUTURE, PAST, "2999-01-01 00:00:00.5+01:00", "soon"])}
    ),
)
def test_fast_path_agrees_on_sessions_written_into_arbitrary_files(
    generated: tuple[list[str], int | None, str], session: dict[str, str], isolated_env: Path
) -> None:
    blocks, _, profile = generated
    try:
        text = ini_edit.update_sections("".join(blocks), {profile: session})
    except (StscredsError, ValueError):  # a broken file, or a value the editor refuses
        return
    assert_same_answers(text, isolated_env, time.time())
    if session[EXPIRATION] == FUTURE and "[DEFAULT]" not in text:
        assert fast_answer(["read", "aws_session_token", "-p", profile]) == session["aws_session_token"] + "\n"


# --- the command line of the fast path --------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["aws_session_token", "--profile", "work"],
        ["--profile", "work", "aws_session_token"],
        ["aws_session_token", "--profile=work"],
        ["aws_session_token", "-p", "work"],
    ],
)
def test_profile_forms(args: list[str], isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION.replace("[default]", "[work]"))
    assert fast_answer(["read", *args]) == "FwoGZXIvYXdz/EXAMPLE+token==\n"


def test_aws_shared_credentials_file(isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text(SESSION)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(elsewhere))
    assert fast_answer(["read", "aws_access_key_id"]) == "ASIAEXAMPLEEXAMPLE01\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["aws_session_token", "--help"],
        ["-h"],
        ["region"],
        [],
        ["aws_session_token", "aws_access_key_id"],
        ["aws_session_token", "--bogus"],
        ["aws_session_token", "--profile"],
        ["aws_session_token", "--profile", "DEFAULT"],
        ["aws_session_token", "--profile", "missing"],
    ],
)
def test_anything_but_a_plain_valid_read_goes_to_the_full_cli(args: list[str], isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION)
    assert fast_answer(["read", *args]) is None


def test_expired_session_goes_to_the_full_cli(isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION.replace(FUTURE, PAST))
    assert fast_answer(["read", "aws_session_token"]) is None


# --- what it imports -------------------------------------------------------------------


def test_the_installed_script_imports_nothing_heavy(isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION)
    env = cli_env(isolated_env, PYTHONPROFILEIMPORTTIME="1")
    done = subprocess.run([STSCREDS, "read", "aws_session_token"], capture_output=True, text=True, env=env)
    assert done.stdout == "FwoGZXIvYXdz/EXAMPLE+token==\n"
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "stscreds.ini" in imported  # the measurement works
    assert sorted(m for m in imported if m.split(".")[0] in HEAVY) == []


def test_the_fast_path_itself_imports_none_of_the_costly_modules(isolated_env: Path) -> None:
    """Stricter than the script (pip's older wrappers import re themselves): our own code."""
    write_credentials(isolated_env, SESSION)
    probe = (
        "import sys\n"
        # Forget what start-up already loaded (an editable install's finder imports re), so
        # that any import of these by the fast path shows.
        f"for name in [m for m in sys.modules if m.split('.')[0] in {AVOIDED!r}]: del sys.modules[name]\n"
        "before = set(sys.modules)\n"
        "sys.argv = ['stscreds', 'read', 'aws_session_token']\n"
        "from stscreds.__main__ import main; main()\n"
        "loaded = sorted(set(sys.modules) - before)\n"  # before json, which imports re
        "import json; print(json.dumps(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=cli_env(isolated_env))
    value, loaded = done.stdout.splitlines()
    assert value == "FwoGZXIvYXdz/EXAMPLE+token=="
    costly = [m for m in json.loads(loaded) if m.split(".")[0] in AVOIDED]
    assert costly == [], "the fast path now imports " + ", ".join(costly)


def test_the_expired_case_still_works_with_everything_loaded(isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION.replace(FUTURE, PAST))
    done = subprocess.run(
        [STSCREDS, "read", "aws_session_token"],
        capture_output=True,
        text=True,
        env=cli_env(isolated_env),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 1 and done.stdout == "" and "run `stscreds init` first" in done.stderr


# --- expiry arithmetic without datetime ----------------------------------------------------


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from(
            [timezone.utc, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
        ),
    ),
    separator=st.sampled_from(["T", " "]),
)
def test_parse_expiration_matches_datetime(moment: datetime, separator: str) -> None:
    text = moment.isoformat(sep=separator)
    assert parse_expiration(text) == pytest.approx(moment.timestamp(), abs=1e-6)
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat() + "Z"
    assert parse_expiration(utc) == moment.replace(microsecond=0).timestamp()


@given(st.text(max_size=40))
def test_parse_expiration_never_raises(text: str) -> None:
    result = parse_expiration(text)
    if result is not None:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))


@pytest.mark.parametrize(
    "text", ["2026-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-1-01T00:00:00Z", ""]
)
def test_impossible_times_are_not_expirations(text: str) -> None:
    assert parse_expiration(text) is None


def test_format_then_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    moment = datetime(2026, 11, 23, 19, 41, 57, 123456, tzinfo=timezone.utc)
    assert format_timestamp(moment.timestamp()) == "2026-11-23T19:41:57Z"
    assert parse_expiration(format_timestamp(moment.timestamp())) == int(moment.timestamp())


def test_fast_path_needs_no_environment_beyond_home(isolated_env: Path) -> None:
    write_credentials(isolated_env, SESSION)
    env = {"HOME": str(isolated_env), "PATH": os.defpath}
    done = subprocess.run([STSCREDS, "read", "aws_session_token"], capture_output=True, text=True, env=env)
    assert done.stdout == "FwoGZXIvYXdz/EXAMPLE+token==\n"


# --- every fast-path command: nothing heavy imported, the full CLI's exact output (issue 10) ----

FAST_COMMANDS = [
    ["read", "aws_session_token"],
    ["read", "x_security_token_expires", "--profile", "work"],
    ["env"],
    ["env", "--shell", "fish"],
    ["env", "-s", "powershell"],
    ["credential-process"],
    ["credential-process", "--profile=work"],
    ["status"],
    ["status", "--json"],
    ["status", "-p", "work", "--json"],
]
STORE = "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\nuser_arn = arn:aws:iam::123456789012:user/alice\n"


def full_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """What the typer CLI itself prints, the fast path bypassed."""
    from stscreds.cli.main import app

    capsys.readouterr()
    code = app(args, prog_name="stscreds", standalone_mode=False)
    return code or 0, capsys.readouterr().out


# The fast path's clock, stopped at STSCREDS_TEST_NOW (time is a built-in module: nothing imported).
STOPPED_CLOCK = "import os, time\n_now = float(os.environ['STSCREDS_TEST_NOW'])\ntime.time = lambda: _now\n"


@pytest.mark.parametrize("args", FAST_COMMANDS, ids=" ".join)
def test_each_fast_command_imports_nothing_heavy_and_prints_what_the_full_cli_prints(
    args: list[str], isolated_env: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write_credentials(isolated_env, SESSION + "\n" + SESSION.replace("[default]", "[work]"))
    (isolated_env / ".stscreds").mkdir(mode=0o700)
    (isolated_env / ".stscreds" / "credentials").write_text(STORE)
    # One instant for both: status --json prints the seconds left, which a second boundary
    # between the two would change.
    now = time.time()
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(STOPPED_CLOCK)
    env = {**cli_env(isolated_env), "PYTHONPATH": str(hook), "STSCREDS_TEST_NOW": repr(now)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", STSCREDS, *args], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr[-500:]
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "stscreds.__main__" in imported and "stscreds.cli" not in imported  # the fast path answered
    assert sorted(m for m in imported if m.split(".")[0] in (*HEAVY, "pydantic", "configobj")) == []
    with mock.patch("time.time", lambda: now):
        assert full_cli(args, capsys) == (0, done.stdout)


@settings(max_examples=examples(30), suppress_health_check=WITH_FIXTURES)
@given(
    generated=credential_files(),
    session=st.fixed_dictionaries(
        {key: session_values for key in INI_KEYS[:3]}
        | {EXPIRATION: st.sampled_from([FUTURE, "2999-01-01 00:00:00.5+01:00"])}
    ),
    command=st.sampled_from([["credential-process"], ["status"], ["status", "--json"], ["env", "-s", "fish"]]),
)
def test_fast_answers_equal_the_full_clis_for_generated_files(
    generated: tuple[list[str], int | None, str],
    session: dict[str, str],
    command: list[str],
    isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    blocks, _, profile = generated
    try:
        text = ini_edit.update_sections("".join(blocks), {profile: session})
    except (StscredsError, ValueError):
        return
    write_credentials(isolated_env, text)
    args = [*command, "--profile", profile]
    # One instant for both: status prints the seconds left, which a second boundary would change.
    now = time.time()
    with mock.patch("time.time", lambda: now):
        fast = fast_answer(args)
        if "[DEFAULT]" not in text:
            assert fast is not None
        if fast is not None:
            assert full_cli(args, capsys) == (0, fast)


def test_json_string_is_what_json_dumps_writes() -> None:
    from stscreds.credentials import json_object, json_string

    @settings(max_examples=examples(300))
    @given(st.text())
    def check(text: str) -> None:
        assert json_string(text) == json.dumps(text)

    check()
    values = {"a": None, "b": True, "c": False, "d": -12, "e": 'x\u2026\U0001f600"\\\n'}
    assert json_object(values) == json.dumps(values)
    assert json_object(values, indent=2) == json.dumps(values, indent=2)
    assert json_object({}, indent=2) == json.dumps({}, indent=2)


# Counts, from inside the CLI's interpreter (an audit hook), how often each file is opened.
# Each open is put down to stscreds, or to botocore when botocore's code is on the stack.
OPEN_COUNTER = """
import atexit, collections, os, sys
_counts = collections.Counter()
def _hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        frame, who = sys._getframe(0), "stscreds"
        while frame is not None:
            if frame.f_globals.get("__name__", "").startswith("botocore"):
                who = "botocore"
            frame = frame.f_back
        _counts[(who, os.path.realpath(os.fsdecode(args[0])))] += 1
sys.addaudithook(_hook)
atexit.register(lambda: os.write(2, ("OPENS " + repr(dict(_counts)) + "\\n").encode()))
"""


def test_an_expired_read_reads_each_file_once(
    initialised, isolated_env: Path, env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 10 counted 6 reads of ~/.aws/credentials and 4 of ~/.stscreds/credentials."""
    import ast

    from conftest import EXPIRED_SESSION, credentials_path, run

    write_credentials(isolated_env, EXPIRED_SESSION)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(OPEN_COUNTER)
    done = run(isolated_env, "read", "aws_session_token", stdin="123456\n", env={**env, "PYTHONPATH": str(hook)})
    assert done.returncode == 0, done.stderr
    opens = ast.literal_eval(done.stderr.rsplit("OPENS ", 1)[1])
    shared = str(credentials_path(isolated_env))
    store = str(isolated_env / ".stscreds" / "credentials")
    # One read each; the writes go to temp files that are then renamed over them. botocore reads
    # the shared file itself as it builds a session (it merges its settings into profiles): once
    # for the long-term keys, once more for the call made with the new session.
    assert (opens.get(("stscreds", shared)), opens.get(("stscreds", store))) == (1, 1), opens
    assert ("botocore", shared) in opens and ("botocore", store) not in opens, opens
