"""`stscreds rotate`: replace a stscreds profile's long-term key with a new one.

Rotation is a few steps (`Step`), and each way it can stop (a signal, a timeout, a full disk,
a refused call) ends in a state with a name (`End`) and a message that says it:

- CHECKING, nothing changed yet: a failure or a signal ends UNCHANGED.
- CREATING, IAM may be making a new key: a signal waits for the answer, which says which key
  exists. A refusal ends UNCHANGED. No answer (a timeout, a dropped connection, a 5xx, a page
  that is not AWS's): the user's keys are listed, and a new one that nobody has is deleted
  (UNCHANGED), or named (NEW_KEY_LEFT; UNKNOWN when the keys cannot be listed).
- CREATED, a new key in IAM that only this process has, while IAM comes to accept it: a
  failure or a signal (at once) deletes it again (UNCHANGED) or names it (NEW_KEY_LEFT).
- STORING, the key store being written (one atomic write for every profile holding the key):
  a signal waits for the write; a failed write leaves the store as it was: as CREATED.
- STORED, the store names the new key, IAM still has the old one: a signal waits while the old
  key is deleted (ROTATED), or named when it cannot be (OLD_KEY_LEFT).
- DELETED: ROTATED, whatever comes next.

Two rules hold it together. A call that creates something is never retried blindly: after a
lost answer, rotate looks (iam:ListAccessKeys) before it says anything. And cleanup never
deletes the key the store names: once the store has changed, rotation only goes forward.
Signals (SIGINT, SIGTERM, SIGHUP; one the caller ignores stays ignored) are honoured with
their exit code (128+N) and a line saying what the keys are now.
"""

from __future__ import annotations

import enum
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stscreds import keystore
from stscreds.broker import Broker
from stscreds.credentials import mask
from stscreds.errors import EXIT_FAILURE, BusyError, StscredsError, UsageError, redact
from stscreds.sources.session import session_root

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stscreds.aws import AnswerLostError, AwsApi

# How long a new key may take to work (IAM is eventually consistent), and the waits between tries.
KEY_READY_WAITS = (0.5, 1, 1, 2, 2, 3, 3, 4, 5, 5, 5)
# After a lost CreateAccessKey answer: the waits between listings that find no new key (IAM's
# lists are eventually consistent too).
RECONCILE_WAITS = (1, 2)
LOCK = "rotate"  # one rotation at a time: another's new key, not stored yet, is not an orphan

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Step(enum.Enum):
    CHECKING = "checking the keys"
    CREATING = "creating the new key"
    CREATED = "waiting for IAM to accept the new key"
    STORING = "storing the new key"
    STORED = "deleting the old key"
    DELETED = "checking the current session"


class End(enum.Enum):
    """The states rotate can end in, each said in its own words."""

    UNCHANGED = "unchanged"  # IAM and the store as before (a new key may have been made and deleted)
    NEW_KEY_LEFT = "new key left"  # IAM holds a new key nobody has, and the message names it
    UNKNOWN = "unknown"  # IAM may hold a new key (it could not be listed), and the message says where to look
    ROTATED = "rotated"  # the store names the new key; the old key is deleted
    OLD_KEY_LEFT = "old key left"  # the store names the new key; the old one is still in IAM, named


class RotateError(StscredsError):
    """Rotate stopped; `end` is the state it left, and the message says it."""

    def __init__(self, message: str, end: End, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.end = end
        self.exit_code = exit_code


@dataclass(frozen=True)
class Rotated:
    user: str
    old_key: str  # masked, like the new one
    new_key: str
    path: str
    old_key_deleted: str | None  # None when deleted; else why not
    session_works: bool
    profiles: tuple[str, ...] = ()  # every profile that held the old key, and now holds the new

    @property
    def end(self) -> End:
        return End.ROTATED if self.old_key_deleted is None else End.OLD_KEY_LEFT


def rotate(profile: str, broker: Broker, yes: bool, sleep: Callable[[float], None] = time.sleep) -> Rotated:
    """Replace the profile's long-term key: create a new one with the MFA session, wait until it
    works, store it (in every profile that holds the old one), then delete the old one."""
    from stscreds.lock import SourceLock

    source = session_root(profile, "rotate")
    if not yes and not broker.ui.interactive:
        raise UsageError("rotate asks before it replaces your key: confirm on a terminal, or pass --yes")
    try:
        lock = SourceLock(LOCK, lambda message: None, wait_seconds=0).__enter__()
    except BusyError:
        raise StscredsError("another stscreds is rotating a key: let it finish, then try again") from None
    try:
        return _rotate(profile, source, broker, yes, sleep)
    finally:
        lock.__exit__(None, None, None)


def _rotate(profile: str, source: Any, broker: Broker, yes: bool, sleep: Callable[[float], None]) -> Rotated:
    old_id, _ = keystore.load_keys(profile)
    # Every profile holding the key follows it: they name one IAM object, and leaving one
    # behind would leave it naming a deleted key. (Refusing instead would leave no stscreds
    # command to get out with: `init` needs a key the user may not have.)
    holders = [profile, *(name for name in keystore.holders(old_id) if name != profile)]
    keystore.check_writable()  # before the MFA code, and before anything is created
    if any(keystore.in_keyring(name) for name in holders):
        keystore.check_keyring()
    session = broker.get_from(source)  # the shipped policy wants MFA for IAM
    api = broker.make_api(session.access_key_id, session.secret_access_key, session.session_token, profile)
    user = (keystore.settings(profile).get(keystore.USER_ARN) or api.caller_arn()).rpartition("/")[2]
    keys = api.access_keys(user)
    if len(keys) >= 2:
        others = ", ".join(mask(k.access_key_id) for k in keys if k.access_key_id != old_id)
        raise StscredsError(
            f"IAM user {user} has two access keys already, AWS's limit: {mask(old_id)} (stscreds') and {others}; "
            "delete the one you do not use, then rotate"
        )
    if not yes:
        answer = broker.ui.ask(f"Replace access key {mask(old_id)} of IAM user {user} with a new one? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise UsageError("not rotated: nothing was changed")
    rotation = _Rotation(profile, holders, broker, api, user, old_id, {k.access_key_id for k in keys}, sleep)
    return rotation.run()


class _Stop(BaseException):
    """A signal, raised where rotate may stop; `during` is the step it came in."""

    def __init__(self, number: int, during: Step) -> None:
        super().__init__(number)
        self.number = number
        self.during = during


class _Signals:
    """While rotate runs, signals are held: the first is kept in `pending`, and honoured where
    rotate may stop (`check`), or at once inside `interruptible()`. Off the main thread (where
    no signal arrives) it changes nothing. A signal the caller ignores (nohup) stays ignored."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self._open: Step | None = None  # the step that a signal may cut short now
        self._saved: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for number in SIGNALS:
                handler = signal.getsignal(number)
                if handler is not signal.SIG_IGN and handler is not None:  # None: not Python's to restore
                    self._saved[number] = handler
                    signal.signal(number, self._arrived)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._open = None
        for number, handler in self._saved.items():
            signal.signal(number, handler)

    def _arrived(self, number: int, frame: object) -> None:
        if self.pending is None:
            self.pending = number
        if self._open is not None:
            during, self._open = self._open, None
            raise _Stop(number, during)

    def check(self, during: Step) -> None:
        """Honour a signal that came while `during` ran."""
        if self.pending is not None:
            raise _Stop(self.pending, during)

    @contextmanager
    def interruptible(self, step: Step) -> Iterator[None]:
        """A wait that a signal cuts short (raising _Stop)."""
        self.check(step)
        self._open = step
        try:
            yield
        finally:
            self._open = None


def _stopped(number: int) -> str:
    """How cli/common says a signal stopped the program."""
    return "interrupted" if number == signal.SIGINT else f"stopped by {signal.Signals(number).name}"


def _exit_code(number: int | None) -> int:
    return EXIT_FAILURE if number is None else 128 + number


class _Rotation:
    """The steps from CREATING on, and what each interruption leaves."""

    def __init__(
        self,
        profile: str,
        holders: list[str],
        broker: Broker,
        api: AwsApi,
        user: str,
        old_id: str,
        before: set[str],
        sleep: Callable[[float], None],
    ) -> None:
        self.profile = profile
        self.holders = holders
        self.broker = broker
        self.api = api
        self.user = user
        self.old_id = old_id
        self.before = before
        self.sleep = sleep
        self.step = Step.CHECKING
        self.new_id: str | None = None
        self.path = ""
        self.signals = _Signals()

    def run(self) -> Rotated:
        with self.signals:
            trouble: BaseException | None = None
            try:
                self._create()
                self._wait_until_accepted()
                self._store()
            except BaseException as error:  # _Stop, a full disk, a refusal, anything
                if self.step in (Step.CREATED, Step.STORING) and self._store_names_new_key():
                    self.step = Step.STORED  # written after all: from here on, only forward
                if self.step is not Step.STORED:
                    raise self._undo(error) from None
                trouble = error
            not_deleted = self._delete(self.old_id)  # a signal now waits for it
            self.step = Step.DELETED
            works = False
            if trouble is None and self.signals.pending is None:
                try:
                    with self.signals.interruptible(Step.DELETED):
                        works = self._session_works()
                except _Stop as stop:
                    trouble = stop  # rotated all the same: said below
        assert self.new_id is not None
        number = self.signals.pending
        if trouble is None and number is not None:
            trouble = _Stop(number, Step.STORED)  # it came while the old key was being deleted
        if trouble is not None:
            head = self._reason(trouble) if isinstance(trouble, _Stop) else self._prefix() + self._reason(trouble)
            raise RotateError(
                f"{head}; {self._stored_text()}, and {self._old_key_text(not_deleted)}",
                End.ROTATED if not_deleted is None else End.OLD_KEY_LEFT,
                _exit_code(number),
            )
        return Rotated(
            self.user,
            mask(self.old_id),
            mask(self.new_id),
            self.path,
            not_deleted,
            works,
            tuple(self.holders),
        )

    # --- the steps ---------------------------------------------------------------------------

    def _create(self) -> None:
        from stscreds.aws import AnswerLostError

        self.step = Step.CREATING
        try:
            new, secret = self.api.create_access_key(self.user)  # a signal waits for the answer
        except AnswerLostError as lost:
            raise self._reconcile(lost) from None
        self.new_id, self._secret, self._created = new.access_key_id, secret, new.created
        self.step = Step.CREATED
        self.broker.ui.say(f"Created {mask(new.access_key_id)}; waiting until IAM accepts it.")
        self.signals.check(Step.CREATING)

    def _wait_until_accepted(self) -> None:
        from stscreds.errors import KeysRejectedError

        assert self.new_id is not None
        checker = self.broker.make_api(self.new_id, self._secret, None, self.profile)
        with self.signals.interruptible(Step.CREATED):  # up to half a minute: a signal stops it
            for wait in (*KEY_READY_WAITS, None):
                try:
                    checker.current_user()
                    return
                except KeysRejectedError:
                    if wait is None:
                        raise
                    self.sleep(wait)

    def _store(self) -> None:
        assert self.new_id is not None
        self.step = Step.STORING
        settings = {keystore.KEY_CREATED: self._created}  # "" drops the old key's
        # A signal waits for the write (and the keyring's entries): never half-decided.
        self.path = keystore.replace_key(self.holders, self.old_id, self.new_id, self._secret, settings)
        self.step = Step.STORED
        self.signals.check(Step.STORING)

    def _delete(self, key_id: str) -> str | None:
        """Delete `key_id`; None when it is gone, else why it is not. A failure is checked
        against IAM's list: a delete whose answer was lost (and whose retry found nothing to
        delete) did its work."""
        try:
            self.api.delete_access_key(self.user, key_id)
            return None
        except StscredsError as error:
            try:
                if key_id not in {key.access_key_id for key in self.api.access_keys(self.user)}:
                    return None
            except StscredsError:
                pass
            return str(error)

    def _session_works(self) -> bool:
        try:
            self.api.caller_arn()
            return True
        except StscredsError:
            return False

    # --- what an interruption leaves ---------------------------------------------------------

    def _store_names_new_key(self) -> bool:
        """Whether the store, read now, names the new key (True when it cannot be read: then
        the new key must not be deleted on a guess)."""
        try:
            return self.new_id in keystore.stored_key_ids()
        except Exception:
            return True

    def _reason(self, error: BaseException) -> str:
        if isinstance(error, _Stop):
            return f"{_stopped(error.number)} while {error.during.value}"
        if isinstance(error, StscredsError):
            return str(error).removesuffix("; nothing was written")
        return f"unexpected error ({type(error).__name__}: {redact(str(error))})"

    def _undo(self, error: BaseException) -> BaseException:
        """The error rotate ends with when it stopped before the store changed: the new key,
        if one was made, deleted again (or named)."""
        if self.new_id is None:  # refused, or never sent (a lost answer is reconciled): nothing was made
            if isinstance(error, RotateError) or (isinstance(error, StscredsError) and self.signals.pending is None):
                return error
            return RotateError(f"{self._why(error)}; nothing was changed", End.UNCHANGED, self._code(error))
        not_deleted = self._delete(self.new_id)  # a signal now waits for it
        why, code, new, old = self._why(error), self._code(error), mask(self.new_id), mask(self.old_id)
        if not_deleted is None:
            message = f"{why}; the new key {new} was deleted again, and {old} is still your key"
            return RotateError(message, End.UNCHANGED, code)
        return RotateError(
            f"{why}; the new key {new} could not be deleted ({not_deleted}): delete it in the IAM console "
            f"(user {self.user}); {old} is still your key",
            End.NEW_KEY_LEFT,
            code,
        )

    def _why(self, error: BaseException) -> str:
        """Why rotate stopped: the signal, or the failure (and a signal that came meanwhile)."""
        return self._reason(error) if isinstance(error, _Stop) else self._prefix() + self._reason(error)

    def _prefix(self) -> str:
        """ "stopped by SIGTERM, and " when a signal came meanwhile."""
        return "" if self.signals.pending is None else f"{_stopped(self.signals.pending)}, and "

    def _code(self, error: BaseException) -> int:
        return _exit_code(error.number if isinstance(error, _Stop) else self.signals.pending)

    def _reconcile(self, lost: AnswerLostError) -> RotateError:
        """After a CreateAccessKey whose answer was lost: list the user's keys, and delete each
        that was not there before and that no profile names: IAM made it for this call, and
        nobody has its secret. Signals wait meanwhile: the look and the deletes finish."""
        made: list[str] = []
        try:
            for wait in (*RECONCILE_WAITS, None):
                stored = keystore.stored_key_ids()
                listed = [key.access_key_id for key in self.api.access_keys(self.user)]
                made = [key for key in listed if key not in self.before and key not in stored]
                if made or wait is None:
                    break
                self.sleep(wait)
        except StscredsError as error:
            looked = f", and listing {self.user}'s keys failed too ({error})"
            return self._reconciled(
                lost,
                f"{looked}: IAM may hold a new key nobody has; in the IAM console, delete any key of "
                f"{self.user}'s but {mask(self.old_id)}",
                End.UNKNOWN,
            )
        left = {key: why for key in made if (why := self._delete(key)) is not None}
        unchanged = f"{mask(self.old_id)} is still your key"
        if not made:
            return self._reconciled(lost, f"; IAM lists no new key of {self.user}'s, so none was made; {unchanged}")
        if not left:
            keys = " and ".join(mask(key) for key in made)
            return self._reconciled(lost, f"; IAM had made {keys} all the same, which was deleted again; {unchanged}")
        named = "; ".join(f"{mask(key)} ({why})" for key, why in left.items())
        return self._reconciled(
            lost,
            f"; IAM made a new key all the same, which could not be deleted: {named}; delete it in the IAM console "
            f"(user {self.user}); {unchanged}",
            End.NEW_KEY_LEFT,
        )

    def _reconciled(self, lost: AnswerLostError, what: str, end: End = End.UNCHANGED) -> RotateError:
        message = f"{self._prefix()}no answer to iam:CreateAccessKey ({lost}){what}"
        return RotateError(message, end, _exit_code(self.signals.pending))

    def _stored_text(self) -> str:
        assert self.new_id is not None
        which = "profile" if len(self.holders) == 1 else "profiles"
        return f"the new key {mask(self.new_id)} is stored for {which} {', '.join(self.holders)} in {self.path}"

    def _old_key_text(self, not_deleted: str | None) -> str:
        if not_deleted is None:
            return f"the old key {mask(self.old_id)} was deleted"
        return (
            f"the old key {mask(self.old_id)} could not be deleted ({not_deleted}): delete it in the IAM console "
            f"(user {self.user})"
        )
