"""Release folders and zips: read either the same way, and write the zip deterministically."""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zonedata.release.errors import NotAReleaseError

DESCRIPTOR = "datapackage.json"
CHECKSUMS = "SHA256SUMS"

#: Permissions of every file in the zip: a regular file, rw-r--r--.
ZIP_FILE_MODE = 0o100644
#: The earliest time a zip entry can carry (1980-01-01T00:00:00Z).
ZIP_EPOCH_MIN = 315532800


@dataclass
class ReleaseFiles:
    """The files of a release, read from a folder or a zip, by name relative to the release."""

    location: str
    kind: str  # "folder" or "zip"
    prefix: str = ""
    sizes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _readers: dict[str, Callable[[], bytes]] = field(default_factory=dict, repr=False)

    @property
    def names(self) -> list[str]:
        return sorted(self.sizes)

    def __contains__(self, name: object) -> bool:
        return name in self.sizes

    def read(self, name: str) -> bytes:
        """The bytes of a file; ``OSError`` or ``zipfile.BadZipFile`` if it cannot be read."""
        return self._readers[name]()

    def display(self, name: str) -> str:
        """How to name a file of the release to a person."""
        if self.kind == "zip":
            return f"{self.location}:{self.prefix}{name}"
        return str(Path(self.location) / name)


def open_release(path: str | Path) -> ReleaseFiles:
    """Open a release folder, its ``datapackage.json``, or a release zip.

    Raises :class:`NotAReleaseError` if the path is none of these.
    """
    p = Path(path)
    if p.is_file() and p.name == DESCRIPTOR and not zipfile.is_zipfile(p):
        p = p.parent
    if p.is_dir():
        return _open_folder(p)
    if p.is_file():
        if not zipfile.is_zipfile(p):
            raise NotAReleaseError(f"{p} is neither a release folder nor a zip file")
        return _open_zip(p)
    raise NotAReleaseError(f"{p} does not exist")


def _open_folder(root: Path) -> ReleaseFiles:
    if not (root / DESCRIPTOR).is_file():
        raise NotAReleaseError(f"{root} is not a release: it has no {DESCRIPTOR}")
    rel = ReleaseFiles(location=str(root), kind="folder")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in filenames:
            full = Path(dirpath) / fn
            name = full.relative_to(root).as_posix()
            try:
                st = full.stat()
            except OSError:  # a dangling symlink: listed, unreadable
                rel.sizes[name] = -1
            else:
                rel.sizes[name] = st.st_size
            rel._readers[name] = full.read_bytes
    return rel


def _open_zip(path: Path) -> ReleaseFiles:
    try:
        zf = zipfile.ZipFile(path)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise NotAReleaseError(f"{path} cannot be read as a zip file: {e}") from e
    names = [i.filename for i in infos]
    if DESCRIPTOR in names:
        prefix = ""
    else:
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        candidates = [t for t in sorted(tops) if f"{t}/{DESCRIPTOR}" in names]
        if len(candidates) != 1:
            raise NotAReleaseError(
                f"{path} is not a release zip: it has no {DESCRIPTOR} at its root or in one folder"
            )
        prefix = candidates[0] + "/"
    rel = ReleaseFiles(location=str(path), kind="zip", prefix=prefix)
    for info in infos:
        n = info.filename
        name = n[len(prefix) :] if n.startswith(prefix) else "../" + n
        if name in rel.sizes:
            rel.notes.append(f"the zip holds {n} more than once")
            continue
        rel.sizes[name] = info.file_size
        rel._readers[name] = _zip_reader(zf, info)
    return rel


def _zip_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        return zf.read(info)

    return read


def read_descriptor(files: ReleaseFiles) -> dict[str, Any]:
    """The release's ``datapackage.json``, or :class:`NotAReleaseError`."""
    where = files.display(DESCRIPTOR)
    try:
        descriptor = json.loads(files.read(DESCRIPTOR).decode("utf-8"))
    except (OSError, zipfile.BadZipFile) as e:
        raise NotAReleaseError(f"cannot read {where}: {e}") from e
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise NotAReleaseError(f"{where} is not valid UTF-8 JSON: {e}") from e
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise NotAReleaseError(f"{where} is not a data package descriptor with resources")
    return descriptor


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
