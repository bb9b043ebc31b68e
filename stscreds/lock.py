"""One renewal at a time per source of credentials, across shells, processes and threads.

Eight shells opened together with an expired session must ask for one MFA code: the first
takes the source's lock and renews; the others wait here, then find the fresh credentials in
the store. Each source (a profile's session, a role, an IAM Identity Center login) has its own
lock, so renewing a role may renew the session under it: locks are re-entrant within a
process, and a thread waits for another thread of its own process without a message.

Across processes the lock is an `flock` on a file in ~/.stscreds/locks/, which the kernel drops
when its holder exits or is killed, so no stale lock can outlive a crash. The file holds the
holder's pid, for the message the others show. It is opened without following symlinks and
used only if it is a plain file with one link: root running stscreds on someone's HOME must
not truncate whatever a planted link points at.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
from collections.abc import Callable

from stscreds import atomic, paths
from stscreds.errors import BusyError, FileAccessError, StscredsError, UsageError

# How long a second stscreds waits for the first to finish asking for an MFA code: long
# enough to find the other terminal and type a code. STSCREDS_LOCK_TIMEOUT overrides it.
LOCK_WAIT_SECONDS = 120.0
LOCK_TIMEOUT_VARIABLE = "STSCREDS_LOCK_TIMEOUT"
_POLL_SECONDS = 0.05
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")


def lock_wait_seconds() -> float:
    text = os.environ.get(LOCK_TIMEOUT_VARIABLE, "")
    try:
        seconds = float(text) if text else LOCK_WAIT_SECONDS
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 10**9:  # also refuses nan and inf
        raise UsageError(f"{LOCK_TIMEOUT_VARIABLE} must be a number of seconds, not {text!r}")
    return seconds


def lock_path(name: str) -> str:
    """The lock file of the source called `name`, made safe as a file name."""
    encoded = "".join(c if c in _SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in name)
    if len(encoded) > 200 or encoded.startswith("."):
        import hashlib

        encoded = hashlib.sha1(name.encode()).hexdigest()
    return os.path.join(paths.locks_dir(), encoded)


class _Holder:
    """This process's hold on one lock: which thread, how deep, and the locked file."""

    def __init__(self) -> None:
        self.threads = threading.RLock()
        self.depth = 0
        self.fd: int | None = None


_holders: dict[str, _Holder] = {}
_holders_guard = threading.Lock()


class SourceLock:
    """`with SourceLock(name, on_wait):` holds the lock of one source of credentials."""

    def __init__(self, name: str, on_wait: Callable[[str], None], wait_seconds: float | None = None) -> None:
        self.name = name
        self.path = lock_path(name)
        self.on_wait = on_wait
        self.wait_seconds = lock_wait_seconds() if wait_seconds is None else wait_seconds

    def __enter__(self) -> SourceLock:
        with _holders_guard:
            holder = _holders.setdefault(self.path, _Holder())
        if not holder.threads.acquire(timeout=self.wait_seconds):
            raise BusyError(
                f"gave up after {self.wait_seconds:g} s waiting for another thread to finish renewing {self.name}"
            )
        try:
            if holder.depth == 0:
                holder.fd = self._lock_file()
            holder.depth += 1
        except BaseException:
            holder.threads.release()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        holder = _holders[self.path]
        holder.depth -= 1
        if holder.depth == 0 and holder.fd is not None:
            os.close(holder.fd)  # releases the flock
            holder.fd = None
        holder.threads.release()

    def _lock_file(self) -> int:
        import fcntl

        atomic.make_folders(paths.stscreds_dir(), enforce=True)
        atomic.make_folders(paths.locks_dir(), enforce=True)
        fd = self._open()
        try:
            if not self._try_lock(fcntl, fd):
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                self.on_wait(
                    f"Another stscreds (pid {holder}) is authenticating; waiting up to {self.wait_seconds:g} s for it."
                )
                deadline = time.monotonic() + self.wait_seconds
                while not self._try_lock(fcntl, fd):
                    if time.monotonic() >= deadline:
                        raise BusyError(
                            f"gave up after {self.wait_seconds:g} s waiting for another stscreds (pid {holder}) "
                            "to finish authenticating; finish or stop it, then try again"
                        )
                    time.sleep(_POLL_SECONDS)
            try:  # for the message others show; a full disk must not stop us
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            except OSError:
                pass
        except BaseException:
            os.close(fd)  # also releases the lock, if we got it
            raise
        return fd

    def _open(self) -> int:
        nofollow = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        folder, name = os.path.split(self.path)
        try:  # the folder too: not a link planted to put our lock files elsewhere
            folder_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow)
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise StscredsError(
                    f"{folder} is a symbolic link or not a folder; stscreds will not lock in it"
                ) from None
            raise FileAccessError("open", folder, error) from None
        try:
            fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | nofollow, atomic.FILE_MODE, dir_fd=folder_fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise StscredsError(f"{self.path} is a symbolic link; stscreds does not follow it: remove it") from None
            raise FileAccessError("open", self.path, error) from None
        finally:
            os.close(folder_fd)
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_nlink != 1:
            os.close(fd)
            what = "not a regular file" if not stat.S_ISREG(status.st_mode) else "a hard link to another file"
            raise StscredsError(f"{self.path} is {what}; stscreds will not use it as its lock: remove it")
        return fd

    def _try_lock(self, fcntl, fd: int) -> bool:  # type: ignore[no-untyped-def]
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError as error:  # e.g. a file system without locks
            raise FileAccessError("lock", self.path, error) from None
        return True
