"""Read an input file only if it is a regular file, and only up to a size limit.

The one safe reader of local files: ``zonedata validate`` and ``release`` read files
named by a descriptor that may come from anyone, and the release reader
(``zonedata.release.reader``) files of a release folder or the download cache. A path that names a FIFO would block the read forever, ``/dev/zero``
would fill memory, a folder cannot be read. So every input is opened without blocking
(``O_NONBLOCK``: opening a FIFO that no writer holds returns at once), checked on the
open descriptor (``fstat``: no race between the check and the read can swap in another
kind of file) to be a regular file no larger than the limit, and read at most up to the
limit, even if it grows while being read.

Only the standard library is used.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from zonedata.errors import InputError

_READ_CHUNK = 1 << 20


_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISLNK, "a symlink"),
)


def kind_of(mode: int) -> str:
    """A reader's name for the kind of file ``mode`` describes."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def inside(path: str, root: str) -> bool:
    """Whether the real path ``path`` lies in the real folder ``root``."""
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False


def _stat(path: str | Path, shown: str, *, follow: bool = True) -> os.stat_result:
    try:
        return os.stat(path) if follow else os.lstat(path)  # never blocks
    except FileNotFoundError:
        raise InputError("missing", shown, "does not exist") from None
    except OSError as e:
        raise InputError("unreadable", shown, f"cannot be read: {e.strerror or e}") from None
    except ValueError as e:  # a NUL in the path
        raise InputError("unreadable", shown, f"cannot be read: {e}") from None


def open_regular(path: str | Path, shown: str, *, root: str | None = None) -> tuple[int, int]:
    """Open a regular file: (descriptor, size). Raises :class:`InputError`.

    With ``root`` (a real folder path), ``path`` must resolve inside it: a symlink is
    followed only when its target stays inside. Without, a symlink is followed (whether
    it may leave a package is checked on the resolved path, elsewhere). Anything but a
    regular file is refused before it is opened, and again on the open descriptor,
    which must be the file that was checked.
    """
    target: str | Path = path
    if root is not None:
        _stat(path, shown, follow=False)
        real = os.path.realpath(path)
        if not inside(real, root):
            what = "a symlink" if os.path.islink(path) else "a path"
            raise InputError(
                "outside", shown, f"is {what} to {real}, outside the folder {root}; refused"
            )
        target = real
    st = _stat(target, shown)
    _check(st, shown)
    flags = _OPEN_FLAGS | (getattr(os, "O_NOFOLLOW", 0) if root is not None else 0)
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        raise InputError("missing", shown, "does not exist") from None
    except OSError as e:
        raise InputError("unreadable", shown, f"cannot be read: {e.strerror or e}") from None
    fst = os.fstat(fd)
    if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(fst.st_mode):
        os.close(fd)
        raise InputError("changed", shown, "changed while it was being opened; refused")
    return fd, fst.st_size


def read_regular(
    path: str | Path, limit: int, display: str | None = None, *, root: str | None = None
) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Opened with :func:`open_regular` (``root``: see there); reading stops past ``limit``
    even if the file grows while it is read. Raises :class:`InputError`.
    """
    shown = display or str(path)
    fd, size = open_regular(path, shown, root=root)
    try:
        if size > limit:
            raise InputError(
                "too-large", shown, f"is {size:,} bytes, over the limit of {limit:,} bytes", size
            )
        return _read_bounded(fd, size, limit, shown)
    except BlockingIOError:  # not a regular file after all: never wait
        raise InputError("not-regular", shown, "would block; refused") from None
    except OSError as e:
        raise InputError("unreadable", shown, f"cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _check(st: os.stat_result, shown: str) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            "not-regular", shown, f"is {kind_of(st.st_mode)}, not a regular file; refused"
        )


def _read_bounded(fd: int, size: int, limit: int, shown: str) -> bytes:
    """Read the file (``size`` bytes by ``fstat``), never more than ``limit`` + 1 bytes.

    One read of ``size`` bytes holds a regular file whole without a copy; more reads
    follow only if it was short (a file over 2 GiB on Linux, or one that shrank) or if
    the file holds more than its size said (it grew, or it is a /proc file of size 0).
    """
    chunks = [os.read(fd, size)] if size else []
    total = len(chunks[0]) if chunks else 0
    while total <= limit:
        chunk = os.read(fd, min(max(size - total, _READ_CHUNK), limit + 1 - total))
        if not chunk:
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
    raise InputError(
        "too-large", shown, f"grew past the limit of {limit:,} bytes while it was read"
    )


def write_replacing(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file beside ``path`` and rename it over ``path``: a
    reader never sees half a file, and a symlink at ``path`` is replaced, never written
    through. The file is readable by all (0644)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
