"""Writing files so that nothing is ever half-written, and knowing beforehand that we can.

A write goes to a temp file in the target's folder, is fsynced and renamed over the target:
readers see the old file or the new one, never a mix. Symlinks are followed (the link stays,
its target is replaced), and the file is 0600 whatever the umask.

Two places cannot take a rename: a single file bind-mounted into a container (`docker run -v
~/.aws/credentials:...`, the rename fails with EBUSY) and a writable file in a folder we may not
write. There the new content is written in place, as `aws configure set` does, after making
sure the disk has room for it.

A file of the person's that is not secret (`~/.aws/config`) is written with `keep=True`: as
`aws configure set` leaves it, its mode stays what it was (0600 only for a new file), and when it
has several hard links it is written in place, so that every name keeps seeing the same file.
Secrets (`~/.aws/credentials`, stscreds' own files) stay 0600 and are always renamed over: a
hard link made to one of them keeps its old content, not the new secrets.

`check_writable` answers beforehand whether a later write will work, so that a command can
fail before it asks for an MFA code rather than after.
"""

from __future__ import annotations

import errno
import os
import stat

from stscreds.errors import FileAccessError, StscredsError

FILE_MODE = 0o600
FOLDER_MODE = 0o700

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# Every file this process has changed, in order: a message about an interruption may say
# "nothing was written" only while this is empty.
changed: list[str] = []

# A rename over the target cannot work here, but writing into the file may.
_RENAME_REFUSED = (errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES, errno.EROFS)


class NotRegularFileError(StscredsError):
    """The path names something that is not a regular file: botocore reads no file there."""

    def __init__(self, path: str, what: str = "file") -> None:
        super().__init__(
            f"{path} is not a regular file, so botocore and the AWS CLI read no {what} from it; nothing was written"
        )


def make_folders(folder: str, mode: int = FOLDER_MODE, enforce: bool = False) -> None:
    """Create `folder` and every missing folder above it with `mode`, whatever the umask
    (os.makedirs gives the ones above the default mode). `enforce` also sets `mode` on
    `folder` when it exists already."""
    missing = []
    current = os.path.abspath(folder)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for path in reversed(missing):
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            if not os.path.isdir(path):
                raise FileAccessError("create", path, OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))) from None
            continue
        except OSError as error:
            raise FileAccessError("create", path, error) from None
        _chmod(path, mode)
    if enforce and not missing:
        _chmod(folder, mode)


def _chmod(path: str, mode: int) -> None:
    try:
        if stat.S_IMODE(os.stat(path).st_mode) != mode:
            os.chmod(path, mode)
    except OSError as error:
        raise FileAccessError("set permissions on", path, error) from None


def check_writable(path: str, what: str = "file") -> None:
    """Raise now if `write_file(path, ...)` would fail later: a target that is not a regular
    file, a read-only file system, a folder we may not write (unless the file itself can be
    written in place), a folder we cannot create."""
    if not path:
        raise StscredsError(f"no {what} to write to: its variable is set but empty")
    target = os.path.realpath(path)
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise FileAccessError("write", path, error) from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise NotRegularFileError(path, what)
    folder = os.path.dirname(target)
    if status is not None and _is_mount_point(target):
        _probe_in_place(target, path)  # only an in-place write can work there
        return
    if not os.path.isdir(folder):
        ancestor = folder
        while not os.path.isdir(ancestor) and os.path.dirname(ancestor) != ancestor:
            ancestor = os.path.dirname(ancestor)
        if os.path.exists(ancestor) and not os.access(ancestor, os.W_OK | os.X_OK):
            raise FileAccessError("create a folder in", ancestor, OSError(errno.EACCES, os.strerror(errno.EACCES)))
        return
    probe = _temp_name(target)
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC | _NOFOLLOW, FILE_MODE))
        os.unlink(probe)
    except OSError as error:
        if status is None:
            raise FileAccessError("write", path, error) from None
        _probe_in_place(target, path)
    _check_room(folder, path, (status.st_size if status else 0) + _ROOM_MARGIN)


# What a write needs on disk beyond the file's current size: its new keys, and then some.
_ROOM_MARGIN = 64 * 1024


def _check_room(folder: str, path: str, needed: int) -> None:
    """A full disk found now, not after the MFA code."""
    try:
        space = os.statvfs(folder)
    except OSError:
        return
    if space.f_bavail * space.f_frsize < needed:
        raise FileAccessError("write", path, OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))


def _probe_in_place(target: str, path: str) -> None:
    try:
        os.close(os.open(target, os.O_WRONLY | _CLOEXEC | _NOFOLLOW | os.O_NONBLOCK))
    except OSError as error:
        raise FileAccessError("write", path, error) from None


def _is_mount_point(target: str) -> bool:
    """Whether `target` is itself mounted (a bind-mounted single file, say). os.path.ismount
    misses a file bind-mounted from the same file system, so ask the kernel (Linux)."""
    if os.path.ismount(target):
        return True
    try:
        with open("/proc/self/mountinfo", "rb") as stream:
            table = stream.read()
    except OSError:
        return False
    encoded = os.fsencode(target)
    for line in table.splitlines():
        fields = line.split(b" ")
        if len(fields) > 4 and _unescape_mount_path(fields[4]) == encoded:
            return True
    return False


def _unescape_mount_path(field: bytes) -> bytes:
    r"""mountinfo writes space, tab, newline and backslash in paths as \040, \011, \012, \134."""
    if b"\\" not in field:
        return field
    out, i = bytearray(), 0
    while i < len(field):
        if field[i : i + 1] == b"\\" and field[i + 1 : i + 4].isdigit():
            out.append(int(field[i + 1 : i + 4], 8))
            i += 4
        else:
            out += field[i : i + 1]
            i += 1
    return bytes(out)


def _temp_name(target: str) -> str:
    folder, name = os.path.split(target)
    return os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


def write_file(path: str, data: bytes, mode: int = FILE_MODE, record: bool = True, keep: bool = False) -> None:
    """Replace the file at `path` (or a symlink's target) with `data`: all or nothing, where a
    rename can be used; in place, with room made first, where it cannot. `record` False for a
    file of this command's own making (see `changed`). `keep`: keep an existing file's mode
    (and owner, where allowed) instead of `mode`, and write in place when it has several hard
    links, as `aws configure set` does (for files that are not secret)."""
    target = os.path.realpath(path)  # write through symlinks, so the link itself survives
    existing = _regular_status(target) if keep else None
    if existing is not None:
        mode = stat.S_IMODE(existing.st_mode)
        if existing.st_nlink > 1:  # shared by several names: a rename would leave the others behind
            _write_in_place(target, path, data, None)
            return
    temp = _temp_name(target)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC | _NOFOLLOW, mode)
    except OSError as error:
        if error.errno in _RENAME_REFUSED and os.path.isfile(target):
            _write_in_place(target, path, data, None if keep else mode)
            return
        raise FileAccessError("write", path, error) from None
    try:
        try:
            os.fchmod(fd, mode)  # the umask may have removed bits, or left others
            if existing is not None:
                _keep_owner(fd, existing)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.replace(temp, target)
        except OSError as error:
            if error.errno not in _RENAME_REFUSED or not os.path.isfile(target):
                raise
            os.unlink(temp)
            _write_in_place(target, path, data, None if keep else mode)
            return
        if record:
            changed.append(path)
    except BaseException as error:  # Ctrl-C, SIGTERM and SIGHUP (see cli.py) too: no temp file stays
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        if isinstance(error, OSError):
            raise FileAccessError("write", path, error) from None
        raise
    _fsync_folder(os.path.dirname(target))


def _regular_status(target: str) -> os.stat_result | None:
    try:
        status = os.stat(target)
    except OSError:
        return None
    return status if stat.S_ISREG(status.st_mode) else None


def _keep_owner(fd: int, existing: os.stat_result) -> None:
    """The new file's owner and group as the old one's, where the system lets us (the group, for
    a member of it); a mode with group or other bits then means what it meant."""
    if existing.st_uid == os.getuid() and existing.st_gid == os.getgid():
        return
    for uid, gid in ((existing.st_uid, existing.st_gid), (-1, existing.st_gid)):
        try:
            os.fchown(fd, uid, gid)
            return
        except (OSError, AttributeError):
            continue


def _write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    view = memoryview(data)
    position = offset
    while view:
        written = os.write(fd, view) if position is None else os.pwrite(fd, view, position)
        view = view[written:]
        if position is not None:
            position += written


def _write_in_place(target: str, path: str, data: bytes, mode: int | None) -> None:
    """Overwrite the file itself (its mode set to `mode`, or kept when None). Readers may see
    the change happen, but the disk cannot fill up halfway: the room is reserved before the
    first byte changes."""
    changed.append(path)  # from the first byte on, the file is no longer what it was
    try:
        fd = os.open(target, os.O_WRONLY | _CLOEXEC | _NOFOLLOW)
    except OSError as error:
        raise FileAccessError("write", path, error) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError(path)
        try:
            os.posix_fallocate(fd, 0, max(len(data), 1))
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENODEV):
                raise
        _write_all(fd, data, offset=0)
        os.ftruncate(fd, len(data))
        try:
            if mode is not None:
                os.fchmod(fd, mode)
        except OSError:
            pass  # a file mounted from elsewhere may keep its owner's mode
        os.fsync(fd)
    except OSError as error:
        raise FileAccessError("write", path, error) from None
    finally:
        os.close(fd)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable."""
    try:
        fd = os.open(folder, os.O_RDONLY | _CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_file(path: str, record: bool = True) -> bool:
    """Delete `path` if it is there; True when it was. `record` False for a file of this
    command's own making (a temporary config), whose removal changes nothing of the user's."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as error:
        raise FileAccessError("remove", path, error) from None
    if record:
        changed.append(path)
    return True
