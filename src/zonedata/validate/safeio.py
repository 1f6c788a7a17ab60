"""Read an input file only if it is a regular file, and only up to a size limit.

``zonedata validate`` and ``zonedata release`` read files named by a descriptor that may
come from anyone. A path that names a FIFO would block the read forever, ``/dev/zero``
would fill memory, a folder cannot be read. So every input is opened without blocking
(``O_NONBLOCK``: opening a FIFO that no writer holds returns at once), checked on the
open descriptor (``fstat``: no race between the check and the read can swap in another
kind of file) to be a regular file no larger than the limit, and read at most up to the
limit, even if it grows while being read.

Only the standard library is used.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: The most a descriptor (``datapackage.json``) may hold: 16 MiB, hundreds of times the
#: size of a real one. Not settable: a descriptor that large is a mistake or an attack.
MAX_DESCRIPTOR_BYTES = 16 << 20
#: The environment variable that sets the most a data file may hold, in bytes.
MAX_FILE_ENV = "ZONEDATA_MAX_FILE_BYTES"
#: The default most a data file may hold: 2 GiB (validation holds a file in memory,
#: with its parsed columns, so a machine needs several times that).
DEFAULT_MAX_FILE_BYTES = 2 << 30

_READ_CHUNK = 1 << 20


class InputError(Exception):
    """A file cannot be read as an input; ``kind`` says why.

    ``missing``: it does not exist; ``not-regular``: a folder, FIFO, device or socket;
    ``too-large``: over the limit; ``unreadable``: any other operating-system error.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def max_file_bytes() -> int:
    """The data-file limit: ``ZONEDATA_MAX_FILE_BYTES`` if set, else 2 GiB.

    Raises :class:`ValueError` if the variable is set to something other than a
    positive whole number of bytes.
    """
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_FILE_BYTES
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"{MAX_FILE_ENV}={raw!r} is not a whole number of bytes") from None
    if value <= 0:
        raise ValueError(f"{MAX_FILE_ENV}={raw!r} must be a positive number of bytes")
    return value


def kind_of(mode: int) -> str:
    """A reader's name for the kind of file ``mode`` describes."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_regular(path: Path, limit: int, display: str | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    A symlink is followed (whether it may leave the package is checked elsewhere, on the
    resolved path). Raises :class:`InputError`.
    """
    shown = display or str(path)
    try:
        st = os.stat(path)  # never blocks, whatever the file is
    except FileNotFoundError:
        raise InputError("missing", f"{shown} does not exist") from None
    except OSError as e:
        raise InputError("unreadable", f"{shown} cannot be read: {e.strerror or e}") from None
    except ValueError as e:  # a NUL in the path
        raise InputError("unreadable", f"{shown} cannot be read: {e}") from None
    _check(st, shown, limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError("missing", f"{shown} does not exist") from None
    except OSError as e:
        raise InputError("unreadable", f"{shown} cannot be read: {e.strerror or e}") from None
    try:
        st = os.fstat(fd)  # what was opened, which may not be what was checked above
        _check(st, shown, limit)
        return _read_bounded(fd, st.st_size, limit, shown)
    except OSError as e:
        raise InputError("unreadable", f"{shown} cannot be read: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _check(st: os.stat_result, shown: str, limit: int) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise InputError(
            "not-regular", f"{shown} is {kind_of(st.st_mode)}, not a regular file; refused"
        )
    if st.st_size > limit:
        raise InputError(
            "too-large",
            f"{shown} is {st.st_size:,} bytes, over the limit of {limit:,} bytes",
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
        "too-large", f"{shown} grew past the limit of {limit:,} bytes while it was read"
    )
