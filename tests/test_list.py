"""`stscreds list [--json]` (issue 21): every profile stscreds can serve, one line each, with
its kind, what it rests on and what is cached for it; read from the files and stores alone (no
network, no prompt, the fast path's modules), the same through the fast path and the full CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from awsproxy import RecordingProxy
from conftest import cli, write_credentials

from stscreds import listing
from stscreds.__main__ import fast_answer

FUTURE, PAST = "2999-01-01T00:00:00Z", "2001-01-01T00:00:00Z"


def session(name: str, expires: str, key: str = "ASIAEXAMPLEEXAMPLE01") -> str:
    return (
        f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = s\naws_session_token = t\n"
        f"x_security_token_expires = {expires}\n\n"
    )


CREDENTIALS = (
    session("default", FUTURE)
    + session("ci", PAST)
    + session("other-tool", FUTURE, "ASIAOTHERTOOLOTHER01")
    + "[temp-keys]\naws_access_key_id = ASIATEMPTEMPTEMPTE01\naws_secret_access_key = s\naws_session_token = t\n\n"
    + "[old-keys]\naws_access_key_id = AKIAOLDKEYSOLDKEYS01\naws_secret_access_key = s\n"
)
CONFIG = """\
[profile prod]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = default

[profile prod-readonly]
role_arn = arn:aws:iam::222222222222:role/ReadOnly
source_profile = prod

[sso-session corp]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = eu-west-1

[profile dev-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = AdministratorAccess

[profile legacy]
sso_start_url = https://d-0987654321.awsapps.com/start
sso_region = us-east-1
sso_account_id = 333333333333
sso_role_name = ReadOnly

[profile prod-cached]
credential_process = stscreds credential-process --profile prod

[profile mfa]
credential_process = stscreds credential-process

[profile loop-a]
role_arn = arn:aws:iam::222222222222:role/A
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::222222222222:role/B
source_profile = loop-a

[profile typo]
role_arn = arn:aws:iam::222222222222:role/T
source_profile = prdo

[profile vault]
credential_process = aws-vault export --format=json prod

[profile settings-only]
region = eu-west-1

[profile signin]
login_session = arn:aws:iam::123456789012:user/alice
"""
STORE = (
    "[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = s\n\n"
    "[ci]\naws_access_key_id = AKIACICICICICICICI01\naws_secret_access_key = s\n\n"
    "[fresh]\naws_access_key_id = AKIAFRESHFRESHFRES01\naws_secret_access_key = s\n"
)


def role_cache(name: str, role: str, source: str, expires: str) -> str:
    return (
        f"[{name}]\naws_access_key_id = ASIAROLEROLEROLEROLE\naws_secret_access_key = s\naws_session_token = t\n"
        f"x_security_token_expires = {expires}\nrole_arn = arn:aws:iam::222222222222:role/{role}\n"
        f"source_profile = {source}\nroot = session.default\n\n"
    )


def every_kind(home: Path) -> None:
    write_credentials(home, CREDENTIALS)
    (home / ".aws" / "config").write_text(CONFIG)
    (home / ".stscreds").mkdir(mode=0o700)
    (home / ".stscreds" / "credentials").write_text(STORE)
    (home / ".stscreds" / "cache").write_text(
        role_cache("prod", "Deploy", "default", FUTURE) + role_cache("prod-readonly", "ReadOnly", "prod", PAST)
    )


EXPECTED_TEXT = """\
PROFILE        KIND     FROM                                                                     CREDENTIALS
prod           role     arn:aws:iam::222222222222:role/Deploy via default                        until 2999-01-01T00:00:00Z
prod-readonly  role     arn:aws:iam::222222222222:role/ReadOnly via prod -> default              expired
dev-admin      sso      account 111111111111, role AdministratorAccess, sso-session corp         none
legacy         sso      account 333333333333, role ReadOnly, sso-session https://d-0987654321.awsapps.com/start  none
prod-cached    alias    alias of prod: arn:aws:iam::222222222222:role/Deploy via default         until 2999-01-01T00:00:00Z
mfa            alias    alias of default: stscreds key AKIA…LE01                                 until 2999-01-01T00:00:00Z
loop-a         -        a cycle in source_profile: loop-a -> loop-b -> loop-a
loop-b         -        a cycle in source_profile: loop-b -> loop-a -> loop-b
typo           -        the source_profile 'prdo' of profile 'typo' does not exist; did you mean 'prod'?
vault          -        profile 'vault' gets its credentials by running aws-vault, which stscreds does not run
settings-only  -        profile 'settings-only' has no credentials stscreds can serve (no role_arn, sso_account_id, login_session, stscreds keys or keys of its own): sign in with `stscreds login --profile settings-only`, or set up its keys with `stscreds init --profile settings-only`
signin         login    login arn:aws:iam::123456789012:user/alice                               none
default        session  stscreds key AKIA…LE01                                                   until 2999-01-01T00:00:00Z
ci             session  stscreds key AKIA…CI01                                                   expired
other-tool     session  a session of its own                                                     until 2999-01-01T00:00:00Z
temp-keys      static   keys of its own (temporary)                                              none
old-keys       static   keys of its own (long-term)                                              none
fresh          session  stscreds key AKIA…ES01                                                   none
"""


def test_list_shows_every_kind_what_it_rests_on_and_what_is_cached(isolated_env: Path) -> None:
    every_kind(isolated_env)
    done = cli(isolated_env, "list")
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [line.split()[:2] for line in EXPECTED_TEXT.splitlines()]
    # Columns line up (the legacy SSO row's long start URL widens FROM for all).
    width = lines[0].index("CREDENTIALS")
    rows = [line for line in lines if line.split()[1] != "-"]
    assert all(line[width - 2 : width] == "  " and line[width] != " " for line in rows)
    assert [" ".join(line.split()) for line in lines] == [" ".join(line.split()) for line in EXPECTED_TEXT.splitlines()]


def test_list_json_has_one_documented_row_per_profile(isolated_env: Path) -> None:
    every_kind(isolated_env)
    done = cli(isolated_env, "list", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    document = json.loads(done.stdout)
    assert done.stdout == json.dumps(document, indent=2) + "\n"  # as json.dumps writes it, without json
    assert list(document) == ["profiles"]
    rows = {row["profile"]: row for row in document["profiles"]}
    assert all(list(row) == list(listing.LIST_KEYS) for row in rows.values())
    assert list(rows) == [line.split()[0] for line in EXPECTED_TEXT.splitlines()[1:]]
    assert rows["prod-readonly"] == {
        **dict.fromkeys(listing.LIST_KEYS),
        "profile": "prod-readonly",
        "kind": "role",
        "chain": ["prod-readonly", "prod", "default"],
        "role_arn": "arn:aws:iam::222222222222:role/ReadOnly",
        "credentials": "expired",
        "expiration": PAST,
    }
    assert rows["dev-admin"] == {
        **dict.fromkeys(listing.LIST_KEYS),
        "profile": "dev-admin",
        "kind": "sso",
        "chain": ["dev-admin"],
        "sso_session": "corp",
        "sso_account_id": "111111111111",
        "sso_role_name": "AdministratorAccess",
        "credentials": "none",
    }
    assert rows["mfa"] == {
        **dict.fromkeys(listing.LIST_KEYS),
        "profile": "mfa",
        "kind": "alias",
        "alias_of": "default",
        "chain": ["default"],
        "long_term_access_key_id": "AKIA…LE01",
        "credentials": "valid",
        "expiration": FUTURE,
    }
    assert rows["loop-a"] == {
        **dict.fromkeys(listing.LIST_KEYS),
        "profile": "loop-a",
        "chain": [],
        "error": "a cycle in source_profile: loop-a -> loop-b -> loop-a",
    }
    assert rows["signin"] == {
        **dict.fromkeys(listing.LIST_KEYS),
        "profile": "signin",
        "kind": "login",
        "chain": ["signin"],
        "credentials": "none",
        "login_session": "arn:aws:iam::123456789012:user/alice",
    }
    assert rows["temp-keys"]["keys"] == "temporary" and rows["old-keys"]["keys"] == "long-term"
    # Nothing secret: no secret, no token, no whole key.
    assert "ASIAROLE" not in done.stdout and "AKIAEXAMPLEEXAMPLE01" not in done.stdout and '"t"' not in done.stdout


def test_the_json_shape_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("`stscreds list --json`", 1)[1][:4000]
    assert all(f"`{key}`" in section for key in listing.LIST_KEYS)


def test_list_is_answered_by_the_fast_path_as_the_full_cli_answers_it(
    isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stscreds.cli.main import app

    every_kind(isolated_env)
    for args in (["list"], ["list", "--json"]):
        fast = fast_answer(args)
        assert fast is not None
        capsys.readouterr()
        assert app(args, prog_name="stscreds", standalone_mode=False) in (None, 0)
        assert capsys.readouterr().out == fast


def test_list_calls_no_one_and_asks_nothing(isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> None:
    """Without a terminal, with stdin closed, every credential expired: still an answer, and
    no call to AWS."""
    every_kind(isolated_env)
    write_credentials(isolated_env, CREDENTIALS.replace(FUTURE, PAST))
    cache = isolated_env / ".stscreds" / "cache"
    cache.write_text(cache.read_text().replace(FUTURE, PAST))
    done = cli(isolated_env, "list", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    assert "until" not in done.stdout and proxy.calls == []


@pytest.mark.parametrize(
    ("file", "text", "line"),
    [
        (".aws/config", "[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\n[profile broken\n", 3),
        (".aws/credentials", "[default]\naws_access_key_id = A\nthis is not a setting\n", 3),
    ],
)
def test_a_broken_file_is_one_line_naming_the_file_and_line(
    file: str, text: str, line: int, isolated_env: Path
) -> None:
    (isolated_env / ".aws").mkdir()
    (isolated_env / file).write_text(text)
    done = cli(isolated_env, "list")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"stscreds: {isolated_env / file}, line {line}: " + done.stderr.split(": ", 2)[2]
    assert done.stderr.count("\n") == 1


def test_list_in_a_fresh_home_says_what_to_do(isolated_env: Path) -> None:
    done = cli(isolated_env, "list")
    assert (done.returncode, done.stdout) == (0, "")
    assert "stscreds init" in done.stderr and done.stderr.count("\n") == 1
    done = cli(isolated_env, "list", "--json")
    assert (done.returncode, json.loads(done.stdout), done.stderr) == (0, {"profiles": []}, "")
