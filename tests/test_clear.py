"""`stscreds clear` (issue 21): forgets cached credentials, the MFA session's four keys in the
shared credentials file byte for byte, and what was got through them; never long-term keys,
never an IAM Identity Center login."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import state
from awsproxy import RecordingProxy
from botocore.configloader import raw_config_parse
from conftest import (
    WITH_FIXTURES,
    IamUser,
    ScriptedUI,
    assert_one_line_failure,
    broker_for,
    credentials_path,
    examples,
    read_value,
    run,
    write_credentials,
)
from hypothesis import assume, given, settings
from strategies import credential_files
from test_guarantees import CORPUS

from stscreds import credentials_file, ini, ini_edit, keystore
from stscreds.credentials import INI_KEYS, Credentials
from stscreds.errors import StscredsError
from stscreds.resolve import resolve

ROLES_AND_SSO = """\
[default]
region = us-east-1

[profile prod]
role_arn = arn:aws:iam::222222222222:role/Deploy
source_profile = default

[profile chained]
role_arn = arn:aws:iam::444444444444:role/ReadOnly
source_profile = prod

[profile portal]
sso_start_url = https://example.awsapps.com/start
sso_region = eu-west-1
sso_account_id = 111111111111
sso_role_name = Admin

[profile portal-role]
role_arn = arn:aws:iam::555555555555:role/FromPortal
source_profile = portal

[profile mfa]
credential_process = stscreds credential-process
"""
SOON = time.time() + 3000


def cached(home: Path) -> list[str]:
    path = home / ".stscreds" / "cache"
    return sorted(raw_config_parse(str(path))) if path.exists() else []


def cache_as_a_renewal_leaves_it(*names: str) -> None:
    """Role and IAM Identity Center role credentials in stscreds' cache, as a renewal stores
    them (each profile's own store, with what they were got through)."""
    for number, name in enumerate(names):
        resolve(name).store.save(Credentials(f"ASIAROLE{number:012d}", "role-secret", "role-token", SOON))


@pytest.fixture
def everything_cached(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> Path:
    """A session in [default] (added by auth), roles on it, an IAM Identity Center role and a
    role on that, all cached; and an IAM Identity Center login in AWS CLI v2's cache."""
    proxy.unique_tokens = True
    state.authenticate(isolated_env, duration="12h")
    (isolated_env / ".aws" / "config").write_text(ROLES_AND_SSO)
    cache_as_a_renewal_leaves_it("prod", "chained", "portal", "portal-role")
    login = isolated_env / ".aws" / "sso" / "cache" / "login.json"
    login.parent.mkdir(parents=True)
    login.write_text(json.dumps({"startUrl": "https://example.awsapps.com/start", "accessToken": "t"}))
    proxy.calls.clear()
    return login


def test_clear_forgets_the_session_and_everything_got_through_it(
    everything_cached: Path, initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    path = credentials_path(isolated_env)
    session_key = raw_config_parse(str(path))["default"]["aws_access_key_id"]
    login = everything_cached.read_bytes()
    done = run(isolated_env, "clear", env=env)
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert done.stderr.splitlines() == [
        f"Forgot the session of 'default' ({session_key[:4]}…{session_key[-4:]}) in {path}, "
        "and the [default] section stscreds had added.",
        f"Forgot the cached credentials of 'prod', 'chained' in {isolated_env / '.stscreds' / 'cache'}.",
    ]
    assert path.read_text() == ""  # auth added the only section: the file is as it was
    assert cached(isolated_env) == ["portal", "portal-role"]  # not got through the session
    assert keystore.load_keys("default") == (initialised.access_key_id, initialised.secret_access_key)
    assert keystore.SESSION_SECTION not in keystore.settings("default")  # the next section auth adds is new
    assert everything_cached.read_bytes() == login  # the IAM Identity Center login too
    assert proxy.calls == []
    # The next read asks for a code.
    done = run(isolated_env, "read", "aws_session_token", stdin="123456\n", env=env)
    assert done.returncode == 0, done.stderr
    assert proxy.actions.count("sts:GetSessionToken") == 1


def test_clear_of_a_role_or_an_sso_profile_forgets_what_rests_on_it_only(
    everything_cached: Path, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    session = credentials_path(isolated_env).read_bytes()
    done = run(isolated_env, "clear", "--profile", "prod", env=env)
    assert done.returncode == 0, done.stderr
    assert "Forgot the cached credentials of 'prod', 'chained'" in done.stderr and "session" not in done.stderr
    assert cached(isolated_env) == ["portal", "portal-role"]
    assert credentials_path(isolated_env).read_bytes() == session
    done = run(isolated_env, "clear", "-p", "portal", env=env)
    assert "Forgot the cached credentials of 'portal', 'portal-role'" in done.stderr and cached(isolated_env) == []
    done = run(isolated_env, "clear", "-p", "mfa", env=env)  # an alias of default
    assert "That profile is an alias of 'default'" in done.stderr and "Forgot the session of 'default'" in done.stderr
    # The role is assumed again with the session it rests on, without a prompt once that is renewed.
    ui = ScriptedUI("123456")
    assert read_value("aws_session_token", "prod", broker_for(ui))
    assert [c.action for c in proxy.calls if c.action in ("GetSessionToken", "AssumeRole")] == [
        "GetSessionToken",
        "AssumeRole",
    ]


def test_clear_all_and_what_it_never_touches(
    everything_cached: Path, isolated_env: Path, env: dict[str, str], user: IamUser
) -> None:
    state.store_keys(isolated_env, user, "work")
    path = write_credentials(
        isolated_env,
        credentials_path(isolated_env).read_text()
        + f"\n[work]\n# mine\naws_access_key_id = {user.access_key_id}\naws_secret_access_key = {user.secret_access_key}\n",
    )
    before_work = raw_config_parse(str(path))["work"]
    done = run(isolated_env, "clear", "--all", env=env)
    assert done.returncode == 0, done.stderr
    assert "Forgot the session of 'default'" in done.stderr and "'work'" not in done.stderr
    assert cached(isolated_env) == []
    assert raw_config_parse(str(path)) == {"work": before_work}  # a long-term pair is no session
    assert "# mine" in path.read_text()
    done = run(isolated_env, "clear", "--all", env=env)
    assert done.returncode == 0 and "Nothing to forget" in done.stderr
    done = run(isolated_env, "clear", "--all", "--profile", "prod", env=env)
    assert_one_line_failure(done, 2)
    done = run(isolated_env, "clear", "--profile", "nope", env=env)
    assert_one_line_failure(done)
    assert "no profile 'nope'" in done.stderr


def test_a_section_the_user_made_stays_when_its_session_goes(
    user: IamUser, store_keys, isolated_env: Path, proxy: RecordingProxy
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, "[default]\nregion = eu-west-1\n")
    state.authenticate(isolated_env)
    assert keystore.SESSION_SECTION not in keystore.settings("default")  # not stscreds'
    text = path.read_text()
    credentials_file.session_store("default").forget()
    assert path.read_text() == "[default]\nregion = eu-west-1\n"
    path.write_text("[default]\n")  # only its header left, but not stscreds'
    state.authenticate(isolated_env)
    store = credentials_file.session_store("default")
    assert store.forget(remove_section=False) == credentials_file.KEYS and path.read_text() == "[default]\n"
    assert text != path.read_text()


@pytest.mark.parametrize("before, after", CORPUS.values(), ids=CORPUS.keys())
def test_clear_after_auth_is_byte_exact(
    before: str, after: str, user: IamUser, store_keys, isolated_env: Path, proxy: RecordingProxy
) -> None:
    store_keys(user)
    path = write_credentials(isolated_env, before)
    state.authenticate(isolated_env)
    from stscreds.commands.clear import clear

    clear("default")
    result = path.read_bytes().decode()
    if "[default]" in before:  # the user's section: only the session's lines go
        assert result == ini_edit.update_sections(before, {"default": dict.fromkeys(INI_KEYS)})
        expected = raw_config_parse(str(write_credentials(isolated_env.parent, before)))
        expected["default"] = {k: v for k, v in expected["default"].items() if k not in INI_KEYS}
        assert raw_config_parse(str(path)) == expected
    else:  # stscreds added it: the file is as it was
        assert result == before


SESSION = Credentials("ASIASESSIONSESSION01", "secret", "token", SOON).as_ini()


def botocore_reads(text: str, tmp_path: Path) -> dict[str, dict[str, str]]:
    path = tmp_path / "parsed"
    path.write_bytes(text.encode(ini.file_encoding()))
    return raw_config_parse(str(path))


@settings(suppress_health_check=WITH_FIXTURES, max_examples=examples(50))
@given(generated=credential_files())
def test_forgetting_a_session_keeps_any_file_as_botocore_read_it(
    generated: tuple[list[str], int | None, str], tmp_path: Path
) -> None:
    blocks, _, profile = generated
    text = "".join(blocks)
    try:
        before = botocore_reads(text, tmp_path)
        with_session = ini_edit.update_sections(text, {profile: SESSION})  # what `auth` writes
    except Exception:
        assume(False)  # files botocore or the editor refuse (see test_files.py)
    created = profile not in ini.Document("<text>", text, ini.REGULAR).sections  # as SectionStore.save sees it
    try:
        result, removed = credentials_file.without_session(with_session, profile, remove_section=created)
    except StscredsError:  # [DEFAULT] gives every section a session key: removing ours changes nothing
        assert "[DEFAULT]" in text
        return
    assert removed in (credentials_file.KEYS, credentials_file.SECTION)
    after = botocore_reads(result, tmp_path)
    # botocore reads every other profile as before; ours without the session, or not at all.
    assert {k: v for k, v in after.items() if k != profile} == {k: v for k, v in before.items() if k != profile}
    if not created:
        assert removed == credentials_file.KEYS
        assert after[profile] == {k: v for k, v in before[profile].items() if k not in INI_KEYS}
        return
    assert removed == credentials_file.SECTION and profile not in after
    # The file is as it was; but where the editor's own line break before the section cannot be
    # told from the user's (a blank last line, none at all, a lone CR that fused with it), the
    # file may differ in line breaks at its very end.
    lines = ini.split_lines(text)
    endings = [line[len(line.rstrip("\r\n")) :] for line in lines]
    last, first = (endings[-1], next(e for e in endings if e)) if any(endings) else ("", "")
    if not lines or (lines[-1].strip() and last and not (last == "\r" and first == "\n")):
        assert result == text
    else:
        assert result.rstrip("\r\n") == text.rstrip("\r\n")
