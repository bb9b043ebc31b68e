"""`stscreds rotate` (issues 14 and 19): the store always names a key that exists, and IAM holds
no key that nobody has, however rotation stops.

Rotation runs against moto (its key list is read after each case) behind the recording proxy,
which injects a fault at each step: a refusal, a hang, and a call carried out whose answer is
then lost (it hangs, the connection drops, or a 500 comes back). Signals are delivered at each
step from inside the CLI's own process, by a sitecustomize hook, at the moment a request has
gone out or a file is written. A full disk is `prlimit --fsize=0`; a read-only store is a
read-only bind mount. After each case: IAM's keys and the key store.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import pytest
import state
from awsproxy import (
    DONE_THEN_500,
    DONE_THEN_DROPPED,
    DONE_THEN_HANG,
    HANG,
    INVALID_KEY,
    SERVER_ERROR,
    RecordingProxy,
    Reply,
    aws_error,
)
from conftest import (
    STSCREDS,
    IamUser,
    ScriptedUI,
    WaitProbe,
    assert_one_line_failure,
    broker_for,
    cli,
    credentials_path,
    make_user,
    moto_admin,
    run,
    spawn,
)

from stscreds import atomic, keystore
from stscreds.aws import AwsApi, Timeouts
from stscreds.commands.rotate import End, RotateError, rotate
from stscreds.credentials import mask


def keys_of(moto_port: int, user: str) -> list[str]:
    return [k["AccessKeyId"] for k in moto_admin(moto_port).list_access_keys(UserName=user)["AccessKeyMetadata"]]


def store_path(home: Path) -> Path:
    return home / ".stscreds" / "credentials"


def stored(home: Path, profile: str = "default") -> dict[str, str]:
    from configobj import ConfigObj

    return dict(ConfigObj(str(store_path(home)))[profile])


@pytest.fixture
def session(initialised: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy) -> IamUser:
    """A user set up with init, with an MFA session whose key is an ASIA one of its own."""
    proxy.unique_tokens = True
    state.authenticate(isolated_env, duration="12h")  # `stscreds auth`'s default duration
    proxy.calls.clear()
    return initialised


def never_orphaned(moto_port: int, user: IamUser, home: Path) -> str:
    """The invariant after every case: IAM holds exactly the key the store names (no key that
    nobody has, no store naming a deleted key); that key."""
    named = stored(home)["aws_access_key_id"]
    assert keys_of(moto_port, user.name) == [named]
    return named


# A broker whose calls give up after half a second without an answer (a lost answer, sooner).
QUICK = functools.partial(AwsApi, timeouts=Timeouts(read=0.5))


def no_sleep(seconds: float) -> None:
    pass


# --- the whole rotation ------------------------------------------------------------------------


def test_rotate_replaces_the_key_with_the_session_and_leaves_none_behind(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    assert keys_of(moto_port, session.name) == [session.access_key_id]
    done = cli(isolated_env, "rotate", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    new_key = never_orphaned(moto_port, session, isolated_env)
    assert new_key != session.access_key_id
    assert keystore.load_keys("default")[1] != session.secret_access_key
    assert mask(new_key) in done.stderr and mask(session.access_key_id) in done.stderr
    assert new_key not in done.stderr and session.access_key_id not in done.stderr
    # Created and deleted with the MFA session; the new pair checked with itself; nothing with the old pair.
    signers = {call.action: call.access_key_id for call in proxy.calls}
    assert signers["CreateAccessKey"] == signers["DeleteAccessKey"] == signers["ListAccessKeys"]
    assert signers["CreateAccessKey"].startswith("ASIA") and signers["GetUser"] == new_key
    assert session.access_key_id not in {call.access_key_id for call in proxy.calls}
    assert proxy.last("DeleteAccessKey").params["AccessKeyId"] == session.access_key_id
    status = cli(isolated_env, "status", env=env)
    assert f"{mask(new_key)} in " in status.stdout and "(0 days ago)" in status.stdout
    assert cli(isolated_env, "auth", stdin="123456\n", env=env).returncode == 0  # the new key works


def test_rotate_in_process_without_a_stored_user_arn(
    proxy: RecordingProxy, moto_port: int, store_keys, isolated_env: Path
) -> None:
    carol = make_user(moto_port, "carol", mfa_devices=1)  # stored without init: no user_arn yet
    store_keys(carol)
    result = rotate("default", broker_for(ScriptedUI("123456")), yes=True, sleep=no_sleep)
    assert result.user == "carol" and result.old_key_deleted is None and result.session_works
    assert result.end is End.ROTATED


def test_rotate_asks_on_a_terminal_and_needs_yes_elsewhere(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    done = cli(isolated_env, "rotate", env=env)
    assert_one_line_failure(done, 2)
    assert "confirm on a terminal, or pass --yes" in done.stderr and proxy.calls == []
    shell = spawn(f"{STSCREDS} rotate", env, isolated_env)
    shell.expect_exact(
        f"Replace access key {mask(session.access_key_id)} of IAM user {session.name} with a new one? [y/N] "
    )
    shell.sendline("n")
    shell.expect_exact("not rotated: nothing was changed")
    shell.close()
    assert keys_of(moto_port, session.name) == [session.access_key_id]


def test_credentials_path_is_untouched_by_rotation(session: IamUser, isolated_env: Path, env: dict[str, str]) -> None:
    before = credentials_path(isolated_env).read_bytes()
    assert cli(isolated_env, "rotate", "--yes", env=env).returncode == 0
    assert credentials_path(isolated_env).read_bytes() == before  # the session stays where it was


def test_a_session_that_stops_working_is_pointed_out(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy
) -> None:
    proxy.faults["GetCallerIdentity"] = INVALID_KEY
    done = cli(isolated_env, "rotate", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "The current session no longer works: run `stscreds auth`."


# --- before anything is created ----------------------------------------------------------------


def test_a_user_with_two_keys_already_is_told_before_anything_is_created(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    other = moto_admin(moto_port).create_access_key(UserName=session.name)["AccessKey"]["AccessKeyId"]
    done = cli(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert (
        f"has two access keys already, AWS's limit: {mask(session.access_key_id)} (stscreds') and {mask(other)}"
        in done.stderr
    )
    assert "CreateAccessKey" not in [c.action for c in proxy.calls]
    assert sorted(keys_of(moto_port, session.name)) == sorted([session.access_key_id, other])


def test_a_refused_create_changes_nothing(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    before = store_path(isolated_env).read_bytes()
    proxy.faults["CreateAccessKey"] = aws_error("AccessDenied", "not allowed to create access keys")
    done = cli(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert "iam:CreateAccessKey failed with AccessDenied" in done.stderr
    assert [c.action for c in proxy.calls].count("ListAccessKeys") == 1  # a refusal is certain: no look
    assert keys_of(moto_port, session.name) == [session.access_key_id]
    assert store_path(isolated_env).read_bytes() == before


def _can_unshare() -> bool:
    if not shutil.which("unshare"):
        return False
    return (
        subprocess.run(["unshare", "--mount", "--propagation", "private", "true"], capture_output=True).returncode == 0
    )


@pytest.mark.skipif(not _can_unshare() and not os.environ.get("CI"), reason="cannot make a mount namespace here")
def test_a_store_that_cannot_be_written_is_refused_before_anything_is_created(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    store = store_path(isolated_env)
    before = store.read_bytes()
    read_only = f"mount --bind '{store}' '{store}'\nmount -o remount,ro,bind '{store}'"  # root ignores chmod
    namespace = ["unshare", "--mount", "--propagation", "private", "sh", "-euc", f'{read_only}\nexec "$0" "$@"']
    done = subprocess.run(
        [*namespace, STSCREDS, "rotate", "--yes"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert_one_line_failure(done)
    assert f"could not write {store}: Read-only file system" in done.stderr
    assert proxy.calls == [] and keys_of(moto_port, session.name) == [session.access_key_id]
    assert store.read_bytes() == before


# --- issue 19, item 1: a create is never retried blindly; a lost answer is looked into ------------


def test_create_access_key_is_asked_once_and_a_lost_answer_leaves_no_key(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    """The issue's case: IAM makes the key, its answer never comes. botocore would have asked
    again (AWS_MAX_ATTEMPTS=5 here), met the two-key limit and left the first key orphaned."""
    before = store_path(isolated_env).read_bytes()
    proxy.faults["CreateAccessKey"] = DONE_THEN_HANG
    probe = WaitProbe(tmp_path, timeout_scale=0.1)  # its 4 s read timeout, 10 times shorter
    done = run(isolated_env, "rotate", "--yes", env=probe.env({**env, "AWS_MAX_ATTEMPTS": "5"}))
    assert_one_line_failure(done)
    actions = [c.action for c in proxy.calls]
    assert actions.count("CreateAccessKey") == 1  # never asked twice
    assert actions[actions.index("CreateAccessKey") + 1 :] == ["ListAccessKeys", "DeleteAccessKey"]
    made = proxy.last("DeleteAccessKey").params["AccessKeyId"]
    assert made != session.access_key_id
    assert "no answer to iam:CreateAccessKey" in done.stderr
    assert f"IAM had made {mask(made)} all the same, which was deleted again" in done.stderr
    assert f"{mask(session.access_key_id)} is still your key" in done.stderr
    assert never_orphaned(moto_port, session, isolated_env) == session.access_key_id
    assert store_path(isolated_env).read_bytes() == before


LOST_ANSWERS = {
    # the call carried out, its answer lost:
    "done, then no answer": (DONE_THEN_HANG, End.UNCHANGED, "all the same, which was deleted again"),
    "done, then the connection dropped": (DONE_THEN_DROPPED, End.UNCHANGED, "all the same, which was deleted again"),
    "done, then a 500": (DONE_THEN_500, End.UNCHANGED, "all the same, which was deleted again"),
    # not carried out, and no answer that says so:
    "no answer": (HANG, End.UNCHANGED, "IAM lists no new key of alice's, so none was made"),
    "a 500": (SERVER_ERROR, End.UNCHANGED, "IAM lists no new key of alice's, so none was made"),
}


@pytest.mark.parametrize("fault, end, says", LOST_ANSWERS.values(), ids=LOST_ANSWERS.keys())
def test_a_lost_create_answer_is_looked_into_and_a_key_nobody_has_is_deleted(
    fault: Reply, end: End, says: str, session: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int
) -> None:
    before = store_path(isolated_env).read_bytes()
    proxy.faults["CreateAccessKey"] = fault
    with pytest.raises(RotateError) as raised:
        rotate("default", broker_for(ScriptedUI(), make_api=QUICK), yes=True, sleep=no_sleep)
    assert raised.value.end is end and raised.value.exit_code == 1
    assert says in str(raised.value) and f"{mask(session.access_key_id)} is still your key" in str(raised.value)
    assert [c.action for c in proxy.calls].count("CreateAccessKey") == 1
    assert never_orphaned(moto_port, session, isolated_env) == session.access_key_id
    assert store_path(isolated_env).read_bytes() == before


def test_a_key_that_cannot_be_looked_for_or_deleted_is_named(
    session: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int
) -> None:
    # The keys cannot be listed after the lost answer: say where to look, and what to keep.
    proxy.faults["CreateAccessKey"] = DONE_THEN_HANG.once()
    proxy.faults["ListAccessKeys"] = replace(aws_error("AccessDenied", "no"), skip=1)  # the first look is allowed
    with pytest.raises(RotateError) as raised:
        rotate("default", broker_for(ScriptedUI(), make_api=QUICK), yes=True, sleep=no_sleep)
    assert raised.value.end is End.UNKNOWN
    assert (
        f"IAM may hold a new key nobody has; in the IAM console, delete any key of alice's but "
        f"{mask(session.access_key_id)}" in str(raised.value)
    )
    (made,) = set(keys_of(moto_port, session.name)) - {session.access_key_id}
    moto_admin(moto_port).delete_access_key(UserName=session.name, AccessKeyId=made)

    # Found, but it cannot be deleted: named, with where to delete it.
    proxy.reset()
    proxy.faults["CreateAccessKey"] = DONE_THEN_HANG.once()
    proxy.faults["DeleteAccessKey"] = aws_error("AccessDenied", "no")
    with pytest.raises(RotateError) as raised:
        rotate("default", broker_for(ScriptedUI(), make_api=QUICK), yes=True, sleep=no_sleep)
    (made,) = set(keys_of(moto_port, session.name)) - {session.access_key_id}
    assert raised.value.end is End.NEW_KEY_LEFT
    assert f"could not be deleted: {mask(made)} (iam:DeleteAccessKey failed with AccessDenied" in str(raised.value)
    assert "delete it in the IAM console (user alice)" in str(raised.value)
    assert stored(isolated_env)["aws_access_key_id"] == session.access_key_id  # the store: as it was


# --- between the create and the store ------------------------------------------------------------


def test_a_new_key_iam_does_not_accept_yet_is_waited_for(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    proxy.faults["GetUser"] = replace(INVALID_KEY, times=3)  # IAM is eventually consistent
    probe = WaitProbe(tmp_path, sleep_scale=0.05)  # its waits recorded, and made 20 times shorter
    done = run(isolated_env, "rotate", "--yes", env=probe.env(env))
    assert done.returncode == 0, done.stderr
    assert [c.action for c in proxy.calls].count("GetUser") == 4
    waits = probe.waits("sleep")  # one wait after each refusal, within the README's half a minute
    assert len(waits) == 3 and 0 < sum(waits) <= 30
    assert never_orphaned(moto_port, session, isolated_env) != session.access_key_id


def test_a_new_key_never_accepted_is_deleted_again(session: IamUser, proxy: RecordingProxy, moto_port: int) -> None:
    proxy.faults["GetUser"] = INVALID_KEY
    with pytest.raises(RotateError, match="InvalidClientTokenId") as raised:
        rotate("default", broker_for(ScriptedUI()), yes=True, sleep=no_sleep)
    assert raised.value.end is End.UNCHANGED and "was deleted again" in str(raised.value)
    assert keys_of(moto_port, session.name) == [session.access_key_id]  # no orphan
    assert keystore.load_keys("default") == (session.access_key_id, session.secret_access_key)
    assert [c.action for c in proxy.calls][-1] == "DeleteAccessKey"

    # And when that delete is refused too: the key is named, with where to delete it.
    proxy.calls.clear()
    proxy.faults["DeleteAccessKey"] = aws_error("AccessDenied", "no")
    with pytest.raises(RotateError) as raised:
        rotate("default", broker_for(ScriptedUI()), yes=True, sleep=no_sleep)
    (new_key,) = set(keys_of(moto_port, session.name)) - {session.access_key_id}
    assert raised.value.end is End.NEW_KEY_LEFT
    assert f"the new key {mask(new_key)} could not be deleted" in str(raised.value)
    assert "delete it in the IAM console (user alice)" in str(raised.value)


def test_a_full_disk_deletes_the_new_key_again(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    before = store_path(isolated_env).read_bytes()
    # Every write fails with EFBIG (Python ignores SIGXFSZ); the check before the create sees room.
    done = run(isolated_env, "rotate", "--yes", env=env, prefix=("prlimit", "--fsize=0"))
    assert_one_line_failure(done)
    made = proxy.last("DeleteAccessKey").params["AccessKeyId"]
    assert f"could not write {store_path(isolated_env)}: File too large" in done.stderr
    assert f"the new key {mask(made)} was deleted again, and {mask(session.access_key_id)} is still your key" in (
        done.stderr
    )
    assert never_orphaned(moto_port, session, isolated_env) == session.access_key_id
    assert store_path(isolated_env).read_bytes() == before and not list(isolated_env.rglob("*.tmp"))


# --- after the store: only forward ----------------------------------------------------------------


def test_a_failed_delete_of_the_old_key_says_so_and_keeps_the_new(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    proxy.faults["DeleteAccessKey"] = aws_error("ServiceFailure", "try later", 500)
    done = cli(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert f"the new key is stored, but the old key {mask(session.access_key_id)} was not deleted" in done.stderr
    assert "delete it in the IAM console (user alice)" in done.stderr
    new_key = stored(isolated_env)["aws_access_key_id"]
    assert sorted(keys_of(moto_port, session.name)) == sorted([session.access_key_id, new_key])
    assert keystore.load_keys("default")[0] == new_key  # the store never points at a deleted key


def test_a_delete_whose_answer_was_lost_is_checked_not_reported_as_failed(
    session: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int
) -> None:
    # IAM deletes the old key and answers 500; botocore's retry then finds no such key.
    proxy.faults["DeleteAccessKey"] = DONE_THEN_500.once()
    result = rotate("default", broker_for(ScriptedUI()), yes=True, sleep=no_sleep)
    assert result.end is End.ROTATED and result.old_key_deleted is None
    assert [c.action for c in proxy.calls].count("DeleteAccessKey") == 2  # a delete may be asked again
    assert never_orphaned(moto_port, session, isolated_env) != session.access_key_id


# --- issue 19, items 2 and 3: signals at each step ------------------------------------------------

# Sends `number` to the CLI's own process once, right after a request holding `marker` has gone
# out (its answer on its way), or when `event` is audited for `path` (os.rename: the new store is
# about to replace the old; open of its folder: the rename is done and being made durable).
SIGNAL_HOOK = """
import http.client, os, sys
_fired = []
def _fire():
    if not _fired:
        _fired.append(True)
        os.kill(os.getpid(), {number})
_send = http.client.HTTPConnection.send
def send(self, data):
    _send(self, data)
    if {marker!r} and isinstance(data, (bytes, bytearray)) and {marker!r}.encode() in data:
        _fire()
http.client.HTTPConnection.send = send
def _hook(event, args):
    if event == {event!r} and str(args[{index}]) == {path!r}:
        _fire()
sys.addaudithook(_hook)
"""

NEW, OLD = "the new key", "the old key"  # which key IAM and the store end with
SIGNAL_POINTS = {
    "creating: the answer on its way": (
        signal.SIGTERM,
        "Action=CreateAccessKey",
        None,
        OLD,
        "stopped by SIGTERM while creating the new key; the new key {new} was deleted again, and {old} is "
        "still your key",
    ),
    "waiting for IAM to accept it": (
        signal.SIGINT,
        "Action=GetUser",
        None,
        OLD,
        "interrupted while waiting for IAM to accept the new key; the new key {new} was deleted again",
    ),
    "the store being replaced": (
        signal.SIGHUP,
        "",
        ("os.rename", 1, "{store}"),
        NEW,
        "stopped by SIGHUP while storing the new key; the new key {new} is stored for profile default in {store}, "
        "and the old key {old} was deleted",
    ),
    "just after the new pair is stored": (
        signal.SIGTERM,
        "",
        ("open", 0, "{folder}"),
        NEW,
        "stopped by SIGTERM while storing the new key; the new key {new} is stored",
    ),
    "deleting the old key": (
        signal.SIGHUP,
        "Action=DeleteAccessKey",
        None,
        NEW,
        "stopped by SIGHUP while deleting the old key; the new key {new} is stored for profile default in "
        "{store}, and the old key {old} was deleted",
    ),
    "checking the session": (
        signal.SIGTERM,
        "Action=GetCallerIdentity",
        None,
        NEW,
        "stopped by SIGTERM while checking the current session; the new key {new} is stored",
    ),
}


@pytest.mark.parametrize("number, marker, audited, ends_with, says", SIGNAL_POINTS.values(), ids=SIGNAL_POINTS.keys())
def test_a_signal_at_any_step_ends_in_a_named_state_with_its_exit_code(
    number: int,
    marker: str,
    audited: tuple[str, int, str] | None,
    ends_with: str,
    says: str,
    session: IamUser,
    isolated_env: Path,
    env: dict[str, str],
    proxy: RecordingProxy,
    moto_port: int,
    tmp_path: Path,
) -> None:
    store = store_path(isolated_env)
    before = store.read_bytes()
    event, index, path = audited or ("", 0, "")
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        SIGNAL_HOOK.format(
            number=int(number),
            marker=marker,
            event=event,
            index=index,
            path=path.format(store=store, folder=store.parent),
        )
    )
    done = run(isolated_env, "rotate", "--yes", env={**env, "PYTHONPATH": str(hook)}, default_signals=True)
    assert_one_line_failure(done, 128 + number)
    deleted = [c.params["AccessKeyId"] for c in proxy.calls if c.action == "DeleteAccessKey"]
    new = stored(isolated_env)["aws_access_key_id"] if ends_with == NEW else deleted[0]
    expected = says.format(new=mask(new), old=mask(session.access_key_id), store=store)
    assert expected in done.stderr
    assert "nothing was written" not in done.stderr
    named = never_orphaned(moto_port, session, isolated_env)
    assert named == (new if ends_with == NEW else session.access_key_id)
    if ends_with == OLD:
        assert store.read_bytes() == before
    assert not list(isolated_env.rglob("*.tmp"))


def test_nohup_keeps_rotate_running_when_the_terminal_closes(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        SIGNAL_HOOK.format(number=int(signal.SIGHUP), marker="Action=DeleteAccessKey", event="", index=0, path="")
    )
    done = run(isolated_env, "rotate", "--yes", env={**env, "PYTHONPATH": str(hook)}, prefix=("nohup",))
    assert done.returncode == 0, done.stderr
    assert never_orphaned(moto_port, session, isolated_env) != session.access_key_id


# --- issue 19, item 4: two profiles holding the same key -----------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    """The keyring library's interface over a dict, for in-process tests (the real Secret Service
    runs in test_keys.py and below)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.refuse = False

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise keyring.errors.PasswordSetError("the keyring is locked")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError("no such password")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def test_every_profile_holding_the_key_follows_it_in_one_write(
    session: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int, memory_keyring: MemoryKeyring
) -> None:
    # `work` holds the same key, its secret in the keyring; `other` is another user's.
    keystore.save_keys("work", session.access_key_id, session.secret_access_key, keyring=True)
    bob = make_user(moto_port, "bob")
    keystore.save_keys("other", bob.access_key_id, bob.secret_access_key)
    other_before = stored(isolated_env, "other")
    writes = atomic.changed.count(str(store_path(isolated_env)))

    result = rotate("default", broker_for(ScriptedUI()), yes=True, sleep=no_sleep)
    assert result.end is End.ROTATED and result.profiles == ("default", "work")
    assert atomic.changed.count(str(store_path(isolated_env))) == writes + 1  # one atomic write for both
    new_key = never_orphaned(moto_port, session, isolated_env)
    assert keystore.load_keys("work") == keystore.load_keys("default") == (new_key, keystore.load_keys("default")[1])
    assert stored(isolated_env, "work")["secret_store"] == "keyring" and "aws_secret_access_key" not in stored(
        isolated_env, "work"
    )
    assert ("stscreds", f"work:{session.access_key_id}") not in memory_keyring.entries  # the old secret went
    assert stored(isolated_env, "other") == other_before
    state.authenticate(isolated_env, profile="work")  # the other profile's next session works


def test_a_keyring_that_refuses_leaves_no_key_and_no_entry(
    session: IamUser, isolated_env: Path, proxy: RecordingProxy, moto_port: int, memory_keyring: MemoryKeyring
) -> None:
    keystore.save_keys("default", session.access_key_id, session.secret_access_key, keyring=True)
    before = store_path(isolated_env).read_bytes()
    entries = dict(memory_keyring.entries)
    memory_keyring.refuse = True
    with pytest.raises(RotateError) as raised:
        rotate("default", broker_for(ScriptedUI()), yes=True, sleep=no_sleep)
    assert raised.value.end is End.UNCHANGED
    assert "the OS keyring refused to store the secret" in str(raised.value)
    assert never_orphaned(moto_port, session, isolated_env) == session.access_key_id
    assert store_path(isolated_env).read_bytes() == before and memory_keyring.entries == entries


# --- the keyring variant of item 3, with the real Secret Service ------------------------------------

HAS_SECRET_SERVICE = bool(shutil.which("gnome-keyring-daemon") and shutil.which("dbus-run-session"))


@pytest.mark.skipif(not HAS_SECRET_SERVICE and not os.environ.get("CI"), reason="no gnome-keyring and dbus")
def test_a_signal_just_after_the_new_pair_is_stored_in_the_keyring_keeps_it(
    user: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int, tmp_path: Path
) -> None:
    store = store_path(isolated_env)
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        SIGNAL_HOOK.format(number=int(signal.SIGTERM), marker="", event="open", index=0, path=str(store.parent))
    )
    seen = tmp_path / "seen"  # outside HOME: what the keyring holds afterwards
    python = Path(STSCREDS).parent / "python"
    script = (
        "set -e\n"
        "echo -n unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null\n"
        f'"{STSCREDS}" init --keyring\n'
        f'printf "123456\\n" | "{STSCREDS}" auth\n'
        f'PYTHONPATH="{hook}" "{STSCREDS}" rotate --yes 2>"{tmp_path}/stderr" || echo $? > "{tmp_path}/code"\n'
        f'"{python}" -c "import keyring; from stscreds import keystore; k, s = keystore.load_keys(\'default\'); '
        f"print(k); print(keyring.get_password('stscreds', 'default:{user.access_key_id}'))\" > \"{seen}\"\n"
    )
    done = subprocess.run(
        ["dbus-run-session", "--", "sh", "-c", script],
        input=f"{user.access_key_id}\n{user.secret_access_key}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "code").read_text().strip() == str(128 + signal.SIGTERM)
    new_key, old_entry = seen.read_text().splitlines()  # the store's key has its secret in the keyring
    assert new_key != user.access_key_id and old_entry == "None"
    assert "stopped by SIGTERM while storing the new key" in (tmp_path / "stderr").read_text()
    assert keys_of(moto_port, user.name) == [new_key]


def test_one_rotation_at_a_time(
    session: IamUser, isolated_env: Path, env: dict[str, str], proxy: RecordingProxy, moto_port: int
) -> None:
    """Another rotation's new key, not stored yet, is no orphan: a second rotate must not look
    into the first's lost answer and delete what the first is about to store."""
    from stscreds.commands.rotate import LOCK
    from stscreds.lock import SourceLock

    with SourceLock(LOCK, print):  # another stscreds mid-rotation
        done = run(isolated_env, "rotate", "--yes", env=env)
    assert_one_line_failure(done)
    assert "another stscreds is rotating a key: let it finish, then try again" in done.stderr
    assert "CreateAccessKey" not in [c.action for c in proxy.calls]
    assert keys_of(moto_port, session.name) == [session.access_key_id]
