"""Release zips, written deterministically (read by :mod:`zonedata.release.reader`)."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

DESCRIPTOR = "datapackage.json"
CHECKSUMS = "SHA256SUMS"

#: Permissions of every file in the zip: a regular file, rw-r--r--.
ZIP_FILE_MODE = 0o100644
#: The earliest time a zip entry can carry (1980-01-01T00:00:00Z).
ZIP_EPOCH_MIN = 315532800


def zip_date_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date and time (UTC) for a Unix time, clamped to what zip can store."""
    t = time.gmtime(max(epoch, ZIP_EPOCH_MIN))
    year = min(t.tm_year, 2107)
    return (year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def zip_bytes(files: list[tuple[str, bytes]], prefix: str, epoch: int) -> bytes:
    """A deterministic zip of ``files`` (name, bytes) under the folder ``prefix``.

    The bytes :func:`write_zip` writes for the same files.
    """
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in sorted(files):
            with zf.open(_zip_info(prefix, name, len(data), epoch), "w") as dest:
                dest.write(data)
        zf.comment = b""
    return buf.getvalue()


def write_zip(path: Path, files: list[Path], prefix: str, epoch: int) -> None:
    """Write a deterministic zip of ``files`` under the folder ``prefix``, streaming.

    Entries are sorted by name, carry the same time (from ``epoch``) and permissions,
    and no extra fields. They are stored, not deflated: the Parquet files are compressed
    already, and deflate's output depends on the zlib build (zlib-ng in some Pythons),
    which would make the zip differ between machines. The same files and epoch give the
    same bytes. Each file is copied in pieces: the zip is never held in memory.
    """
    with zipfile.ZipFile(path, "w") as zf:
        for file in sorted(files, key=lambda p: p.name):
            info = _zip_info(prefix, file.name, file.stat().st_size, epoch)
            with open(file, "rb") as src, zf.open(info, "w") as dest:
                while chunk := src.read(1 << 20):
                    dest.write(chunk)
        zf.comment = b""


def _zip_info(prefix: str, name: str, size: int, epoch: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=zip_date_time(epoch))
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # Unix, so that the permissions below are read
    info.external_attr = ZIP_FILE_MODE << 16
    info.extra = b""
    info.comment = b""
    info.file_size = size  # known in advance: no zip64 guess, no data descriptor
    return info
