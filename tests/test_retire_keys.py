"""Retire the keys (issue 22): from a stscreds profile's long-term key to a login of the same IAM
user, never leaving the person without a working way in, every interruption in a named state.

Against moto behind the recording proxy (IAM's key list read before and after), with the AWS
Sign-In fake for the login. moto knows no key the fake mints, so the proxy answers
sts:GetCallerIdentity for those as STS would (signinfake.caller_identity_xml). A fault is
injected at each step: AWS refusing the call at the proxy, a failed write, Ctrl-C.
"""

from __future__ import annotations

import errno
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import signinfake as sf
import state
from awsproxy import INVALID_KEY, RecordingProxy, Reply, aws_error
from conftest import IamUser, ScriptedUI, assert_one_line_failure, broker_for, cli_env, moto_admin, run

from stscreds import keystore
from stscreds.aws import AwsApi
from stscreds.commands.retire_keys import Stopped, retire_keys
from stscreds.credentials import mask
from stscreds.errors import FileAccessError, StscredsError, UsageError
from stscreds.status import status_report, status_text

ALICE = sf.DEFAULT_PRINCIPAL  # moto's account, and conftest's user
LOGIN = "signin"


@pytest.fixture(scope="module")
def _server() -> Iterator[sf.SigninFake]:
    with sf.SigninFake() as fake:
        yield fake


@pytest.fixture
def fake(_server: sf.SigninFake, monkeypatch: pytest.MonkeyPatch) -> sf.SigninFake:
    _server.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", _server.url)
    return _server


@pytest.fixture
def sts_script(proxy: RecordingProxy, fake: sf.SigninFake, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """What the proxy answers, call by call, before it asks moto (None: moto's, or for
    GetCallerIdentity with a key the fake minted, the fake's identity). A test appends to it."""
    script: dict[str, list[Any]] = {}
    original = proxy._take_fault

    def take(action: str, params: dict[str, str]) -> Reply | None:
        if script.get(action):
            planned = script[action].pop(0)
            if planned is not None:
                return planned  # type: ignore[no-any-return]
        if action == "GetCallerIdentity":
            xml = fake.caller_identity_xml(proxy.last("GetCallerIdentity").access_key_id)
            if xml is not None:
                return Reply(200, xml)
        return original(action, params)

    monkeypatch.setattr(proxy, "_take_fault", take)  # the proxy runs in this process
    return script


@pytest.fixture
def moving(
    initialised: IamUser, isolated_env: Path, proxy: RecordingProxy, fake: sf.SigninFake, sts_script: Any
) -> IamUser:
    """A stscreds profile `default` (its key, an MFA session) and a login profile of the same
    IAM user, as `stscreds login --profile signin` leaves it."""
    proxy.unique_tokens = True
    state.authenticate(isolated_env, duration="12h")
    login = sf.login(fake.url)
    sf.write_cache(isolated_env / ".aws" / "login" / "cache", login.session, login.token)
    (isolated_env / ".aws" / "config").write_text(
        f"[profile {LOGIN}]\nlogin_session = {login.session}\nregion = eu-west-1\n\n"
        "[profile prod]\nrole_arn = arn:aws:iam::222222222222:role/Deploy\nsource_profile = default\n"
    )
    proxy.calls.clear()
    return initialised


def keys(moto_port: int, user: IamUser) -> dict[str, str]:
    listed = moto_admin(moto_port).list_access_keys(UserName=user.name)["AccessKeyMetadata"]
    return {key["AccessKeyId"]: key["Status"] for key in listed}


def store_text(home: Path) -> str:
    return (home / ".stscreds" / "credentials").read_text()


def retire(home: Path, make_api: Any = None, ui: ScriptedUI | None = None, yes: bool = True) -> Any:
    return retire_keys(None, None, broker_for(ui or ScriptedUI(), make_api), yes)


def test_retire_keys_deactivates_checks_deletes_and_forgets_the_key(
    moving: IamUser, isolated_env: Path, proxy: RecordingProxy, fake: sf.SigninFake, moto_port: int
) -> None:
    report = status_report("prod")
    assert (report["rests_on_long_term_key"], report["long_term_key_profile"]) == (True, "default")
    assert "then `stscreds retire-keys` (see README)" in status_text(report)
    assert "then `stscreds retire-keys --profile work`" in status_text({**report, "long_term_key_profile": "work"})
    session_key = (isolated_env / ".aws" / "credentials").read_text().split("aws_access_key_id = ")[1].split()[0]
    done = run(
        isolated_env,
        "retire-keys",
        "--yes",
        env=cli_env(isolated_env, AWS_ENDPOINT_URL=proxy.url, AWS_ENDPOINT_URL_SIGNIN=fake.url),
    )

    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert f"Deactivated and deleted access key {mask(moving.access_key_id)}" in done.stderr
    assert "prod" in done.stderr and f"source_profile at '{LOGIN}'" in done.stderr
    assert keys(moto_port, moving) == {} and "[default]" not in store_text(isolated_env)
    # The login checked before and after; IAM changed with the MFA session only.
    login_keys = set(fake.principals)
    assert [(c.action, c.access_key_id in login_keys) for c in proxy.calls] == [
        ("GetCallerIdentity", True),
        ("ListAccessKeys", False),
        ("UpdateAccessKey", False),
        ("GetCallerIdentity", True),
        ("DeleteAccessKey", False),
    ]
    assert {c.access_key_id for c in proxy.calls if c.service == "iam"} == {session_key}
    assert proxy.last("UpdateAccessKey").params["Status"] == "Inactive"
    assert status_report(LOGIN)["rests_on_long_term_key"] is False


def test_nothing_changes_unless_the_login_works_as_the_same_user(
    moving: IamUser, isolated_env: Path, proxy: RecordingProxy, fake: sf.SigninFake, moto_port: int
) -> None:
    before = store_text(isolated_env)
    cache_dir = isolated_env / ".aws" / "login" / "cache"
    alices = sf.cache_file(cache_dir, ALICE).read_text()
    fake.principal_arn = "arn:aws:iam::123456789012:user/bob"
    sf.write_cache(cache_dir, ALICE, sf.login(fake.url).token)  # bob's sign-in, under alice's login session
    with pytest.raises(UsageError, match=r"signs in as arn:aws:iam::123456789012:user/bob, not as"):
        retire(isolated_env)
    # A login that can no longer be refreshed, where no one can sign in again.
    token = json.loads(alices)
    token["accessToken"]["expiresAt"] = sf.expires_at(time.time, 60)
    sf.write_cache(cache_dir, ALICE, token)
    (isolated_env / ".stscreds" / "cache").unlink()
    fake.end_sessions()
    with pytest.raises(StscredsError, match=r"TOKEN_EXPIRED.*run `stscreds login --profile signin`"):
        retire(isolated_env)
    assert keys(moto_port, moving) == {moving.access_key_id: "Active"} and store_text(isolated_env) == before
    assert [c.action for c in proxy.calls] == ["GetCallerIdentity"]


def test_no_login_profile_and_no_confirmation_stop_it_before_anything(
    moving: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int
) -> None:
    with pytest.raises(UsageError, match=r"confirm on a terminal, or pass --yes"):
        retire(isolated_env, yes=False)
    with pytest.raises(UsageError, match=r"not retired: nothing was changed"):
        retire(isolated_env, ui=ScriptedUI("n", interactive=True), yes=False)
    (isolated_env / ".aws" / "config").write_text("")
    with pytest.raises(UsageError, match=f"no login profile signs in as {ALICE}"):
        retire(isolated_env)
    assert keys(moto_port, moving) == {moving.access_key_id: "Active"}
    assert "UpdateAccessKey" not in [c.action for c in proxy.calls]


def failing_for_the_store(
    monkeypatch: pytest.MonkeyPatch, home: Path, function: str, code: int, message: str
) -> Callable[..., Any]:
    """atomic.<function> failing for the key store alone (a read-only or a full disk there);
    the real function, to put back."""
    from stscreds import atomic

    real: Callable[..., Any] = getattr(atomic, function)
    store = str(home / ".stscreds" / "credentials")

    def failing(path: str, *args: Any, **kwargs: Any) -> Any:
        if path == store:
            raise FileAccessError("write", path, OSError(code, message))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(atomic, function, failing)
    return real


def test_a_store_that_cannot_be_written_stops_it_before_anything(
    moving: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing_for_the_store(monkeypatch, isolated_env, "check_writable", errno.EROFS, "Read-only file system")
    with pytest.raises(FileAccessError, match="Read-only file system"):
        retire(isolated_env)
    assert proxy.calls == [] and keys(moto_port, moving) == {moving.access_key_id: "Active"}


# --- a fault at each step ---------------------------------------------------------------------


def test_a_refused_deactivation_changes_nothing(
    moving: IamUser, isolated_env: Path, sts_script: dict[str, list[Any]], moto_port: int
) -> None:
    before = store_text(isolated_env)
    sts_script["UpdateAccessKey"] = [aws_error("AccessDenied", "not allowed")]
    with pytest.raises(StscredsError, match=r"could not deactivate .*; nothing was changed"):
        retire(isolated_env)
    assert keys(moto_port, moving) == {moving.access_key_id: "Active"} and store_text(isolated_env) == before


def test_a_login_that_stops_working_gets_the_key_reactivated(
    moving: IamUser, isolated_env: Path, sts_script: dict[str, list[Any]], moto_port: int
) -> None:
    before = store_text(isolated_env)
    sts_script["GetCallerIdentity"] = [None, INVALID_KEY]  # fine before, refused after the deactivation
    with pytest.raises(
        StscredsError, match=r"no longer works with .* deactivated .* was reactivated; nothing was changed"
    ):
        retire(isolated_env)
    assert keys(moto_port, moving) == {moving.access_key_id: "Active"} and store_text(isolated_env) == before

    # ...and when reactivating fails too, it says what to do in the console.
    sts_script["GetCallerIdentity"] = [None, INVALID_KEY]
    sts_script["UpdateAccessKey"] = [None, aws_error("AccessDenied", "not allowed")]
    with pytest.raises(StscredsError, match=r"reactivating it failed too .* reactivate it in the IAM console"):
        retire(isolated_env)
    assert keys(moto_port, moving) == {moving.access_key_id: "Inactive"} and store_text(isolated_env) == before


def test_a_refused_delete_leaves_the_key_inactive_and_stored_and_a_second_run_finishes(
    moving: IamUser, isolated_env: Path, sts_script: dict[str, list[Any]], moto_port: int
) -> None:
    sts_script["DeleteAccessKey"] = [aws_error("ServiceFailure", "try later", 500)] * 3  # every attempt
    with pytest.raises(StscredsError, match=r"is deactivated but could not be deleted .* login profile 'signin' works"):
        retire(isolated_env)
    assert keys(moto_port, moving) == {moving.access_key_id: "Inactive"} and keystore.has_keys("default")
    done = retire(isolated_env)
    assert not done.already_deleted and keys(moto_port, moving) == {} and not keystore.has_keys("default")


def test_a_failed_removal_from_the_store_is_named_and_a_second_run_finishes(
    moving: IamUser, isolated_env: Path, moto_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stscreds import atomic

    write_file = failing_for_the_store(monkeypatch, isolated_env, "write_file", errno.ENOSPC, "No space left on device")
    with pytest.raises(StscredsError, match=r"is deleted in IAM, but could not be removed from .*No space left"):
        retire(isolated_env)
    assert keys(moto_port, moving) == {} and keystore.has_keys("default")
    monkeypatch.setattr(atomic, "write_file", write_file)
    done = retire(isolated_env)
    assert done.already_deleted and not keystore.has_keys("default")


def interrupting(method: str, nth: int) -> type[AwsApi]:
    """The API, with Ctrl-C right after the nth call of `method` has reached AWS (the worst moment)."""
    seen = [0]

    def wrapped(self: AwsApi, *args: Any, **kwargs: Any) -> Any:
        result = getattr(AwsApi, method)(self, *args, **kwargs)
        seen[0] += 1
        if seen[0] == nth:
            raise KeyboardInterrupt
        return result

    return type("InterruptedApi", (AwsApi,), {method: wrapped})


@pytest.mark.parametrize(
    ("method", "nth", "named", "left"),
    [
        ("set_access_key_status", 1, "while deactivating .* was reactivated; nothing was changed", "Active"),
        ("caller_arn", 2, "while checking login profile 'signin': .* was reactivated", "Active"),
        ("delete_access_key", 1, "while deleting .* perhaps deleted, .* run `stscreds retire-keys` again", None),
    ],
    ids=["deactivating", "checking-the-login-again", "deleting"],
)
def test_ctrl_c_at_each_step_ends_in_a_state_it_names(
    moving: IamUser, isolated_env: Path, moto_port: int, method: str, nth: int, named: str, left: str | None
) -> None:
    with pytest.raises(Stopped, match=f"interrupted {named}") as stopped:
        retire(isolated_env, make_api=interrupting(method, nth))
    assert stopped.value.exit_code == 130
    assert keys(moto_port, moving) == ({moving.access_key_id: left} if left else {})
    assert keystore.has_keys("default")  # still stored: a second run finishes it
    done = retire(isolated_env)
    assert done.already_deleted == (left is None) and keys(moto_port, moving) == {}
    assert not keystore.has_keys("default")


def test_ctrl_c_in_the_cli_is_one_line_naming_the_state(
    moving: IamUser, isolated_env: Path, proxy: RecordingProxy, fake: sf.SigninFake, tmp_path: Path, moto_port: int
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    # Ctrl-C once IAM has been asked to delete the key (as test_rotate's hook: Python 3.9 has no
    # http.client.send audit event).
    (hook / "sitecustomize.py").write_text(
        "import http.client, os, signal\n"
        "_send = http.client.HTTPConnection.send\n"
        "def send(self, data):\n"
        "    _send(self, data)\n"
        "    if isinstance(data, (bytes, bytearray)) and b'Action=DeleteAccessKey' in data:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "http.client.HTTPConnection.send = send\n"
    )
    env = cli_env(
        isolated_env,
        AWS_ENDPOINT_URL=proxy.url,
        AWS_ENDPOINT_URL_SIGNIN=fake.url,
        PYTHONPATH=f"{hook}:{cli_env(isolated_env)['PYTHONPATH']}",
    )
    done = run(isolated_env, "retire-keys", "--yes", env=env, default_signals=True)
    assert_one_line_failure(done, 130)
    assert "interrupted while deleting" in done.stderr and "run `stscreds retire-keys` again" in done.stderr
    assert keystore.has_keys("default") and keys(moto_port, moving) in ({}, {moving.access_key_id: "Inactive"})


RETIRE_POLICY = Path(__file__).parent.parent / "policies" / "retire-keys.json"


def test_the_retire_keys_policy_lints_clean_and_is_what_retire_keys_calls_with_the_session(
    moving: IamUser, isolated_env: Path, proxy: RecordingProxy, fake: sf.SigninFake
) -> None:
    from parliament import analyze_policy_string

    assert [(f.issue, f.detail) for f in analyze_policy_string(RETIRE_POLICY.read_text()).findings] == []
    (statement,) = json.loads(RETIRE_POLICY.read_text())["Statement"]
    assert statement["Resource"] == "arn:aws:iam::*:user/${aws:username}"
    assert statement["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    retire(isolated_env)
    login_keys = set(fake.principals)
    with_the_session = {c.iam_action for c in proxy.calls if c.access_key_id not in login_keys}
    assert with_the_session == set(statement["Action"])
