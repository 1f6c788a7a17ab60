"""Release zips, written deterministically (read by :mod:`zonedata.release.reader`)."""

from __future__ import annotations

import time
import zipfile

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

    Entries are sorted by name, carry the same time (from ``epoch``) and permissions,
    and no extra fields. They are stored, not deflated: the Parquet files are compressed
    already, and deflate's output depends on the zlib build (zlib-ng in some Pythons),
    which would make the zip differ between machines. The same files and epoch give the
    same bytes.
    """
    import io

    date_time = zip_date_time(epoch)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in sorted(files):
            info = zipfile.ZipInfo(f"{prefix}/{name}", date_time=date_time)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, so that the permissions below are read
            info.external_attr = ZIP_FILE_MODE << 16
            info.extra = b""
            info.comment = b""
            zf.writestr(info, data, compress_type=zipfile.ZIP_STORED)
        zf.comment = b""
    return buf.getvalue()
