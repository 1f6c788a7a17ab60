"""The one release reader: a release folder, zip or http(s) URL, read defensively.

A release (``zonedata-V/``) holds ``<table>.parquet`` and ``<table>.json`` files, a
``SHA256SUMS`` and a ``datapackage.json`` whose resources record each file's ``hash``
(``"sha256:<hex>"``) and size (``bytes`` or ``zonedata:bytes``). ``zonedata verify``,
``zonedata diff`` and ``zonedata.load(release=...)`` all read releases through
:func:`open_release`, which returns a :class:`ReleaseFiles`.

A release is treated as hostile input:

- **Names.** A resource's ``name`` must be a table name that validate accepts
  (:func:`zonedata.names.is_table_name`) and its ``path`` a plain relative path inside
  the release (:func:`zonedata.paths.path_problem`).
- **Only regular files are opened.** Each file is ``stat``-ed before it is opened and
  opened with ``O_NOFOLLOW | O_NONBLOCK``, then checked again on the open descriptor:
  FIFOs, devices, sockets, folders and symlinks whose target leaves the release folder
  are refused (:class:`~zonedata.errors.UnsafeFileError`), so a FIFO never blocks.
- **Every read is bounded**, by the one :class:`zonedata.limits.Limits`: a file up to
  its recorded size (or, without one, ``max_file_bytes``); ``datapackage.json`` and
  ``SHA256SUMS`` up to ``max_descriptor_bytes``. A zip member is refused before it is
  inflated when its header claims more than that or more than ``max_expansion_ratio``
  times its compressed size, and it is inflated in chunks that stop at the cap (a lying
  header cannot make it inflate more). A zip with ``max_zip_entries`` entries or more is
  refused before its central directory is read. A descriptor nested deeper than
  ``max_json_depth`` is refused. A Parquet file is checked before it is read
  (:func:`read_parquet`): its footer, row count and uncompressed and decoded sizes.
- **Verification.** :meth:`ReleaseFiles.read_recorded` checks a file against the size
  and SHA-256 its resource records before returning it
  (:class:`~zonedata.errors.IntegrityError` otherwise).

Downloads (``load(release="https://...")``): a URL names a release folder or its
``datapackage.json``; only ``http`` and ``https`` URLs are read, by
:func:`zonedata.download.download` (deadline, size cap, redirects; keyword arguments of
:func:`open_release` override the limits' environment variables).

The download cache is ``$ZONEDATA_CACHE``, else ``$XDG_CACHE_HOME/zonedata``, else
``~/.cache/zonedata``. It is created with mode 0700 and refused if it is not a folder
owned by the current user, or if it is writable by its group or by others. Each release
has a folder there named after the SHA-256 of its descriptor's URL. A data file is
downloaded into memory and verified before it is written (to a temporary file, renamed
into place), and a cached file is verified against the descriptor's size and SHA-256
every time it is used: a file planted or damaged in the cache is never used (it is
downloaded again). The descriptor itself is cached as downloaded (releases are
immutable; delete the cache folder to fetch it again), so a cached release loads offline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import struct
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any

from zonedata import safeio
from zonedata.descriptor import jsontext
from zonedata.download import download
from zonedata.errors import (
    InputError,
    IntegrityError,
    JsonTextError,
    NotAReleaseError,
    ReleaseError,
    UnknownTableError,
    UnsafeFileError,
)
from zonedata.limits import Limits, current_limits, env_of
from zonedata.names import is_table_name
from zonedata.paths import is_plain_relative
from zonedata.release.archive import CHECKSUMS, DESCRIPTOR
from zonedata.validate.publishable import RELEASE_FIELD_TYPES

#: Resource properties recording a file's size: the standard ``bytes``, and the
#: ``zonedata:bytes`` that zonedata's release builder writes.
SIZE_PROPERTIES = ("bytes", "zonedata:bytes")
#: The environment variable of the download cache folder.
CACHE_ENV = "ZONEDATA_CACHE"
#: Seconds to wait for a connection or for any one read (within the deadline).
READ_TIMEOUT = 30.0
#: The largest inflated size of a zip member that the ratio bound does not apply to.
_RATIO_FREE = 1024 * 1024

_CHUNK = 1 << 16
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SHA256 = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- names, paths, descriptors ---------------------------------------------------------------


@dataclass(frozen=True)
class FileSpec:
    """A release file as its descriptor records it."""

    path: str
    sha256: str
    size: int | None


def safe_path(path: str, where: str) -> PurePosixPath:
    """A resource path that is a plain relative name inside the release, or UnsafeFileError."""
    if not is_plain_relative(path):
        raise UnsafeFileError(
            f"{where}: unsafe resource path {path!r}",
            file=where,
            detail=f"unsafe resource path {path!r}",
        )
    return PurePosixPath(path)


def name_problems(descriptor: Mapping[str, Any], *, paths: bool = True) -> list[str]:
    """What is wrong with the resources' names (and ``paths``) (empty if nothing)."""
    out = []
    for r in descriptor.get("resources", []):
        if not isinstance(r, Mapping):
            out.append(f"a resource is not an object: {str(r)[:60]!r}")
            continue
        name = r.get("name")
        if not is_table_name(name):
            out.append(
                f"resource name {str(name)[:80]!r} is not a table name (lowercase letters, "
                "digits, '-', '_', '.' and '/', at most 64 characters)"
            )
        path = r.get("path")
        if paths and path is not None and not is_plain_relative(path):
            out.append(f"resource {str(name)[:80]!r}: unsafe resource path {str(path)[:120]!r}")
    return out


def check_names(descriptor: Mapping[str, Any], where: str) -> None:
    """Raise :class:`UnsafeFileError` on the first unsafe resource name or path."""
    problems = name_problems(descriptor)
    if problems:
        raise UnsafeFileError(f"{where}: {problems[0]}", file=where, detail=problems[0])


def file_spec(resource: Mapping[str, Any], where: str) -> FileSpec:
    """The path, SHA-256 and size a release descriptor records for a resource."""
    name = resource.get("name", "?")
    path = resource.get("path")
    if not isinstance(path, str):
        raise ReleaseError(f"{where}: resource {name!r} has no single file path")
    safe_path(path, where)
    digest = resource.get("hash")
    m = _SHA256.match(digest) if isinstance(digest, str) else None
    if m is None:
        raise ReleaseError(
            f"{where}: resource {name!r} records no SHA-256 hash ('sha256:<hex>'), "
            f"got {digest!r}: its file cannot be verified"
        )
    sizes = {key: resource[key] for key in SIZE_PROPERTIES if key in resource}
    for key, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ReleaseError(f"{where}: resource {name!r} has an invalid {key!r}: {value!r}")
    if len(set(sizes.values())) > 1:
        raise ReleaseError(f"{where}: resource {name!r} records different sizes: {sizes}")
    size = next(iter(sizes.values()), None)
    return FileSpec(path=path, sha256=m.group(1).lower(), size=size)


def check_is_release(files: ReleaseFiles) -> None:
    """Refuse a data package that is not a release (:class:`NotAReleaseError`).

    A release records a SHA-256 hash for its files, and a local one holds ``SHA256SUMS``;
    a source package (what ``zonedata release`` reads) has neither.
    """
    descriptor = files.descriptor()
    hashed = any(
        isinstance(r, Mapping) and isinstance(r.get("hash"), str) and _SHA256.match(r["hash"])
        for r in descriptor["resources"]
    )
    if hashed or (files.kind != "url" and CHECKSUMS in files):
        return
    shown = files.display(files.descriptor_name)
    raise NotAReleaseError(
        f"{files.location}: not a release: no {CHECKSUMS} and no resource records a SHA-256 "
        "hash (a source package? run 'zonedata validate' on it, 'zonedata release' to "
        "build its release)",
        file=shown,
    )


def check_unambiguous(files: ReleaseFiles) -> None:
    """Refuse a zip that holds a file more than once (:class:`NotAReleaseError`)."""
    if files.duplicates:
        raise NotAReleaseError(
            f"{files.location}: the zip holds {files.duplicates[0]} more than once: which copy "
            "is meant is ambiguous; refused (run 'zonedata verify' on it)",
            file=files.location,
        )


def verify_bytes(data: bytes, spec: FileSpec, shown: str, hint: str = "") -> None:
    """Raise :class:`IntegrityError` unless ``data`` has the recorded size and SHA-256."""
    if spec.size is not None and len(data) != spec.size:
        raise IntegrityError(
            shown,
            expected=f"{spec.size} bytes",
            actual=f"{len(data)} bytes",
            what="size",
            hint=hint,
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != spec.sha256:
        raise IntegrityError(
            shown, expected=f"sha256:{spec.sha256}", actual=f"sha256:{actual}", hint=hint
        )


def parse_descriptor(data: bytes, shown: str) -> dict[str, Any]:
    """A release descriptor from its bytes, or :class:`NotAReleaseError`."""
    try:
        descriptor = jsontext.loads(data.decode("utf-8"))
    except JsonTextError as e:
        raise NotAReleaseError(
            f"{shown}: not strict JSON: {e.message} (line {e.line}, column {e.column})", file=shown
        ) from None
    except (UnicodeDecodeError, ValueError) as e:  # JSONDecodeError, a 5000-digit integer
        raise NotAReleaseError(
            f"{shown}: not a valid UTF-8 JSON descriptor: {e}", file=shown
        ) from None
    except RecursionError:
        raise NotAReleaseError(
            f"{shown}: the descriptor is nested too deeply to be read", file=shown
        ) from None
    depth = current_limits().max_json_depth
    if jsontext.nested_deeper_than(descriptor, depth):
        raise NotAReleaseError(
            f"{shown}: the descriptor is nested deeper than {depth} levels", file=shown
        )
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise NotAReleaseError(
            f"{shown}: not a data package descriptor (no list of resources)", file=shown
        )
    paths: set[str] = set()
    for i, r in enumerate(descriptor["resources"]):
        if not isinstance(r, dict):
            raise NotAReleaseError(
                f"{shown}: resources[{i}] is not an object: {str(r)[:60]!r}", file=shown
            )
        why = _resource_problem(r, paths)
        if why:
            raise NotAReleaseError(f"{shown}: resources[{i}] {why}", file=shown)
    return descriptor


def _resource_problem(r: dict[str, Any], paths: set[str]) -> str | None:
    """Why a release descriptor's resource is none a zonedata release writes (or None):
    a second resource of one path, or a field of a type no release projects."""
    path = r.get("path")
    if isinstance(path, str):
        if path in paths:
            return f"describes {path!r} a second time"
        paths.add(path)
    schema = r.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    for f in fields if isinstance(fields, list) else []:
        kind = f.get("type", "string") if isinstance(f, dict) else None
        if kind not in RELEASE_FIELD_TYPES:
            return f"has a field of type {str(kind)[:40]!r}, which no zonedata release writes"
    return None


def find_resource(descriptor: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    """The descriptor's Parquet resource for table ``name``."""
    resources = [r for r in descriptor["resources"] if isinstance(r, Mapping)]
    tables = [r for r in resources if is_parquet(r)]
    for r in tables:
        if r.get("name") == name:
            return r
    raise UnknownTableError(name, [str(r.get("name")) for r in tables], where=f"release {where}")


def is_parquet(resource: Mapping[str, Any]) -> bool:
    path = resource.get("path")
    return resource.get("format") == "parquet" or (
        isinstance(path, str) and path.lower().endswith(".parquet")
    )


def _size_error(shown: str, limit: int, actual: str) -> IntegrityError:
    return IntegrityError(
        shown,
        expected=f"at most {limit} bytes",
        actual=actual,
        what="size",
        detail=f"is larger than {limit} bytes (its recorded size or the cap); not read: {actual}",
    )


# --- Parquet files ---------------------------------------------------------------------------


def _parquet_refused(shown: str, why: str) -> IntegrityError:
    return IntegrityError(
        shown,
        expected="a Parquet file within the caps",
        actual=why,
        what="size",
        detail=f"refused before it is read: {why}",
    )


def parquet_file(data: bytes, shown: str, *, max_bytes: int) -> Any:
    """A ``pyarrow.parquet.ParquetFile`` over ``data`` whose footer, row count and
    uncompressed size are within the caps (:class:`IntegrityError` otherwise).

    The footer and the rows are bounded by :func:`zonedata.limits.current_limits`, the row
    groups' uncompressed size by ``max_bytes``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    limits = current_limits()
    if len(data) >= 12 and data[-4:] == b"PAR1":
        footer = int.from_bytes(data[-8:-4], "little")
        if footer > limits.max_parquet_footer_bytes:
            raise _parquet_refused(
                shown,
                f"its metadata is {footer} bytes (at most {limits.max_parquet_footer_bytes}; "
                f"set {env_of('max_parquet_footer_bytes')} to change it)",
            )
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.metadata
        rows = meta.num_rows
        size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    except (pa.ArrowException, OSError, ValueError) as e:
        raise ReleaseError(
            f"{shown}: not a readable Parquet file: {e}", file=shown, detail=str(e)
        ) from None
    cap = limits.max_rows
    if rows > cap or rows < 0:
        raise _parquet_refused(
            shown, f"it holds {rows} rows (at most {cap}; set {env_of('max_rows')} to change it)"
        )
    if size > max_bytes:
        raise _parquet_refused(
            shown,
            f"its data is {size} bytes uncompressed (at most {max_bytes}; set {env_of('max_file_bytes')} "
            "to change it)",
        )
    return pf


def _is_text(t: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_string(t)
        or pa.types.is_large_binary(t)
    )


def read_parquet(data: bytes, shown: str, *, max_bytes: int) -> Any:
    """A Parquet file's ``pyarrow.Table``, read within the caps of :func:`parquet_file`.

    String and binary columns are read dictionary-encoded first, so that a few large
    values repeated on many rows (a tiny file that decodes to gigabytes) are counted, and
    refused, before they are expanded: the decoded table is at most ``max_bytes``.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    pf = parquet_file(data, shown, max_bytes=max_bytes)
    schema = pf.schema_arrow
    texts = [f.name for f in schema if _is_text(f.type)]
    try:
        if texts:
            pf = pq.ParquetFile(pa.BufferReader(data), read_dictionary=texts)
        raw = pf.read(use_threads=False)
        total = 0
        columns = []
        for f, col in zip(raw.schema, raw.columns, strict=True):
            if pa.types.is_dictionary(f.type) and _is_text(f.type.value_type):
                for chunk in col.chunks:  # the size it has once decoded
                    lengths = pc.binary_length(chunk.dictionary)
                    sizes = pc.take(lengths, chunk.indices)
                    total += int(pc.sum(sizes).as_py() or 0) + col.nbytes
                if total > max_bytes:
                    break
                if f.name in texts:
                    col = pa.chunked_array(
                        [c.dictionary_decode() for c in col.chunks], type=schema.field(f.name).type
                    )
            else:
                total += col.nbytes
            columns.append(col)
    except (pa.ArrowException, OSError, ValueError) as e:
        raise ReleaseError(
            f"{shown}: not a readable Parquet file: {e}", file=shown, detail=str(e)
        ) from None
    if total > max_bytes:
        raise _parquet_refused(
            shown,
            f"it decodes to more than {max_bytes} bytes (set {env_of('max_file_bytes')} to change it)",
        )
    return pa.Table.from_arrays(columns, schema=schema)


# --- local files -----------------------------------------------------------------------------


def _release_error(e: InputError, shown: str, limit: int | None = None) -> ReleaseError:
    """The release reader's exception for what :mod:`zonedata.safeio` refused."""
    if e.kind == "too-large" and limit is not None:
        actual = f"{e.size} bytes" if e.size is not None else f"more than {limit} bytes"
        return _size_error(shown, limit, actual)
    detail = "no such file" if e.kind == "missing" else e.detail
    if e.kind in ("not-regular", "outside", "changed"):
        return UnsafeFileError(f"{shown} {detail}", file=shown, detail=detail)
    return ReleaseError(f"{shown}: {detail}", file=shown, detail=detail)


def open_regular(root: str, rel: str, shown: str) -> tuple[int, int]:
    """Open ``rel`` below the real folder ``root``: (fd, size) of a regular file inside it.

    Symlinks are followed only when their target stays inside ``root``; anything but a
    regular file is refused with :class:`UnsafeFileError` (see :mod:`zonedata.safeio`).
    """
    try:
        return safeio.open_regular(os.path.join(root, *rel.split("/")), shown, root=root)
    except InputError as e:
        raise _release_error(e, shown) from None


def read_regular(root: str, rel: str, shown: str, limit: int) -> bytes:
    """The bytes of a regular file below ``root``, at most ``limit`` (else IntegrityError)."""
    try:
        return safeio.read_regular(os.path.join(root, *rel.split("/")), limit, shown, root=root)
    except InputError as e:
        raise _release_error(e, shown, limit) from None


# --- releases --------------------------------------------------------------------------------


@dataclass
class ReleaseFiles:
    """A release's files by name relative to the release, read with the checks above.

    ``sizes`` lists the files present (folder or zip; for a URL, only what the descriptor
    records), with the size their file system or zip header gives (-1 when not a regular
    file inside the release); ``notes`` what is odd about the container itself.
    """

    location: str
    kind: str  # "folder", "zip" or "url"
    prefix: str = ""
    limits: Limits = field(default_factory=Limits)
    sizes: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: names a zip holds more than once (readers would disagree on which copy is meant)
    duplicates: list[str] = field(default_factory=list)
    descriptor_name: str = DESCRIPTOR
    _descriptor: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def names(self) -> list[str]:
        return sorted(self.sizes)

    def __contains__(self, name: object) -> bool:
        return name in self.sizes

    def display(self, name: str) -> str:
        """How to name a file of the release to a person."""
        if self.kind == "zip":
            return f"{self.location}:{self.prefix}{name}"
        if self.kind == "url":
            return f"{self.location}{name}"
        return str(Path(self.location) / name)

    def cap(self, name: str, size: int | None = None) -> int:
        """The most bytes read of a file: its recorded size, else the default cap."""
        if name in (DESCRIPTOR, CHECKSUMS, self.descriptor_name):
            return self.limits.max_descriptor_bytes
        if size is not None:
            return min(size, self.limits.max_file_bytes)
        return self.limits.max_file_bytes

    def read(self, name: str, limit: int | None = None) -> bytes:
        """A file's bytes, at most ``limit`` (default :meth:`cap`); ReleaseError otherwise."""
        safe_path(name, self.display(name))
        return self._read(name, self.cap(name) if limit is None else limit)

    def _read(self, name: str, limit: int) -> bytes:
        raise NotImplementedError

    def descriptor(self) -> dict[str, Any]:
        """The release's descriptor (read once), or :class:`NotAReleaseError`."""
        if self._descriptor is None:
            shown = self.display(self.descriptor_name)
            try:
                data = self.read(self.descriptor_name, self.limits.max_descriptor_bytes)
            except IntegrityError as e:
                if e.what != "size":
                    raise
                raise NotAReleaseError(
                    f"{shown}: the descriptor is larger than {self.limits.max_descriptor_bytes} bytes; not read",
                    file=shown,
                ) from None
            self._descriptor = parse_descriptor(data, shown)
        return self._descriptor

    def spec(self, name: str) -> FileSpec:
        """The size and SHA-256 the descriptor records for the file ``name``."""
        where = self.display(self.descriptor_name)
        for r in self.descriptor()["resources"]:
            if isinstance(r, Mapping) and r.get("path") == name:
                return file_spec(r, where)
        raise ReleaseError(f"{where}: no resource records the file {name!r}", file=where)

    def read_verified(self, spec: FileSpec) -> bytes:
        """The file's bytes, checked against the size and SHA-256 ``spec`` records."""
        shown = self.display(spec.path)
        data = self.read(spec.path, self.cap(spec.path, spec.size))
        verify_bytes(data, spec, shown, " (run 'zonedata verify' on the release)")
        return data

    def read_recorded(self, name: str) -> bytes:
        """The file ``name``, verified against what its resource in the descriptor records."""
        return self.read_verified(self.spec(name))

    def close(self) -> None:
        pass

    def __enter__(self) -> ReleaseFiles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass
class FolderRelease(ReleaseFiles):
    """A release folder; every file is read with :func:`read_regular`."""

    root: str = ""

    def _read(self, name: str, limit: int) -> bytes:
        return read_regular(self.root, name, self.display(name), limit)


@dataclass
class ZipRelease(ReleaseFiles):
    """A release zip: its files at the root or in one top-level folder (``zonedata-V/``)."""

    zf: zipfile.ZipFile | None = field(default=None, repr=False)
    fh: IO[bytes] | None = field(default=None, repr=False)
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict, repr=False)

    def _read(self, name: str, limit: int) -> bytes:
        shown = self.display(name)
        info = self.infos.get(name)
        if info is None or self.zf is None:
            raise ReleaseError(
                f"{shown}: no such file in the zip", file=shown, detail="no such file"
            )
        if info.file_size > limit:
            raise _size_error(shown, limit, f"its zip header says {info.file_size} bytes")
        if info.file_size > max(_RATIO_FREE, self.limits.max_expansion_ratio * info.compress_size):
            detail = (
                f"refused: it would inflate {info.file_size} bytes from {info.compress_size} "
                f"(more than {self.limits.max_expansion_ratio}:1, a zip bomb?)"
            )
            raise IntegrityError(
                shown, expected="a plausible ratio", actual="more", what="ratio", detail=detail
            )
        chunks = []
        total = 0
        try:
            with self.zf.open(info) as member:
                while chunk := member.read(min(_CHUNK, limit + 1 - total) or 1):
                    chunks.append(chunk)
                    total += len(chunk)
                    if total > limit:
                        raise _size_error(shown, limit, f"it inflates to more than {limit} bytes")
        except ReleaseError:
            raise
        except (RuntimeError, NotImplementedError) as e:  # encrypted, unknown compression
            detail = f"cannot be read: {e}"
            raise ReleaseError(f"{shown}: {detail}", file=shown, detail=detail) from None
        except OSError as e:
            detail = f"cannot be read: {e.strerror or e}"
            raise ReleaseError(f"{shown}: {detail}", file=shown, detail=detail) from None
        except Exception as e:  # a bad CRC or a corrupt stream (zlib.error, LZMAError...)
            detail = f"is damaged in the zip: {type(e).__name__}: {e}"
            raise IntegrityError(
                shown, expected="its zip CRC-32", actual="other bytes", what="CRC-32", detail=detail
            ) from None
        return b"".join(chunks)

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()
        if self.fh is not None:
            self.fh.close()


def open_release(
    release: str | os.PathLike[str],
    *,
    deadline: float | None = None,
    max_bytes: int | None = None,
    allow_redirect_hosts: str | list[str] | tuple[str, ...] | None = None,
) -> ReleaseFiles:
    """Open a release folder, its ``datapackage.json``, a release zip, or an http(s) URL.

    Raises :class:`NotAReleaseError` if the input is none of these, and
    :class:`UnsafeFileError` if it is a FIFO, a device or a socket. The keyword arguments
    override the environment variables documented in this module.
    """
    limits = Limits.from_env(
        download_deadline=deadline,
        max_file_bytes=max_bytes,
        allow_redirect_hosts=allow_redirect_hosts,
    )
    if isinstance(release, str) and _SCHEME.match(release):
        scheme = release.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise NotAReleaseError(
                f"{release}: unsupported URL scheme {scheme!r}; use an http(s) URL or a local path"
            )
        try:
            urllib.parse.urlsplit(release).port  # noqa: B018 - raises on a malformed URL
        except ValueError as e:
            raise NotAReleaseError(f"{release}: not a valid URL: {e}") from None
        return UrlRelease.open(release, limits)
    p = Path(os.fspath(release)).expanduser()
    try:
        st = p.stat()
    except FileNotFoundError:
        raise NotAReleaseError(f"{p}: no such release folder or zip") from None
    except OSError as e:
        raise NotAReleaseError(f"{p}: cannot be read: {e.strerror or e}") from None
    except ValueError as e:  # a NUL byte in the path
        raise NotAReleaseError(f"{str(p)!r}: not a usable path: {e}") from None
    if stat.S_ISDIR(st.st_mode):
        return _open_folder(p, DESCRIPTOR, limits)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(
            f"{p}: refused: {safeio.kind_of(st.st_mode)}, not a release folder or zip", file=str(p)
        )
    real = os.path.realpath(p)
    fd, _ = open_regular(os.path.dirname(real), os.path.basename(real), str(p))
    fh = os.fdopen(fd, "rb")
    try:
        is_zip = zipfile.is_zipfile(fh)
    except OSError:
        is_zip = False
    if is_zip:
        return _open_zip(p, fh, limits)
    fh.close()
    if p.suffix.lower() == ".json":
        return _open_folder(p.parent, p.name, limits)
    raise NotAReleaseError(f"{p}: not a release folder, zip or datapackage.json")


def _open_folder(folder: Path, descriptor_name: str, limits: Limits) -> FolderRelease:
    root = os.path.realpath(folder)
    if not os.path.lexists(os.path.join(root, descriptor_name)):
        raise NotAReleaseError(f"{folder}: no {DESCRIPTOR}: not a release folder")
    rel = FolderRelease(
        location=str(folder),
        kind="folder",
        limits=limits,
        descriptor_name=descriptor_name,
        root=root,
    )
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            full = os.path.join(dirpath, fn)
            name = Path(full).relative_to(root).as_posix()
            rel.sizes[name] = _listed_size(full, root)
    return rel


def _listed_size(full: str, root: str) -> int:
    """A listed file's size, or -1 if it is not a regular file inside the release."""
    try:
        real = os.path.realpath(full)
        st = os.lstat(real)
    except OSError:
        return -1
    if not safeio.inside(real, root) or not stat.S_ISREG(st.st_mode):
        return -1
    return st.st_size


def _zip_entries(fh: IO[bytes]) -> int | None:
    """The entry count the end of central directory record gives (None if not found)."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    tail = min(size, 22 + 0xFFFF)
    fh.seek(size - tail)
    data = fh.read(tail)
    i = data.rfind(b"PK\x05\x06")
    if i < 0 or i + 22 > len(data):
        return None
    return int.from_bytes(data[i + 10 : i + 12], "little")


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")


def _layout_lie(zf: zipfile.ZipFile, fh: IO[bytes], infos: list[zipfile.ZipInfo]) -> str | None:
    """How the central directory misdescribes the members, if it does (None: it agrees).

    Each member's local header must be where the directory says, record the same sizes and
    CRC (unless they follow the data, flag bit 3), and its data must end before the next
    member or the directory starts: a directory that lies about a compressed size would
    otherwise make readers disagree on the member's bytes.
    """
    ordered = sorted(infos, key=lambda i: i.header_offset)
    if not ordered:
        return None  # an empty zip: refused below for having no descriptor
    if ordered[0].header_offset != 0:
        return f"{ordered[0].header_offset} bytes stand before its first member"
    if trailing := _bytes_after_end(fh):
        return trailing
    limits = [i.header_offset for i in ordered[1:]] + [zf.start_dir]
    for info, limit in zip(ordered, limits, strict=True):
        try:
            fh.seek(info.header_offset)
            raw = fh.read(_LOCAL_HEADER.size)
        except OSError as e:
            return f"{info.filename}: its local header cannot be read: {e}"
        if len(raw) < _LOCAL_HEADER.size:
            return f"{info.filename}: its local header lies past the end of the file"
        sig, _v, _os, flag, _m, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL_HEADER.unpack(raw)
        if sig != b"PK\x03\x04":
            return f"{info.filename}: no local header where the central directory points"
        if not flag & 0x08 and (crc, csize, usize) != (
            info.CRC,
            info.compress_size,
            info.file_size,
        ):
            return (
                f"{info.filename}: the central directory records {info.compress_size} bytes "
                f"compressed, {info.file_size} inflated, CRC {info.CRC:08x}; its local header "
                f"{csize}, {usize}, {crc:08x}"
            )
        end = info.header_offset + _LOCAL_HEADER.size + nlen + xlen + info.compress_size
        if end > limit:
            return (
                f"{info.filename}: its {info.compress_size} compressed bytes run past the next "
                "member or the central directory"
            )
        slack = 24 if flag & 0x08 else 0  # (a data descriptor follows the data)
        if limit - end > slack:
            return (
                f"{info.filename}: {limit - end} bytes lie between its data and the next "
                "member or the central directory"
            )
    return None


def _bytes_after_end(fh: IO[bytes]) -> str | None:
    """Why bytes follow the zip's end record (its comment excepted), or None."""
    try:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - (1 << 16) - 22))
        tail = fh.read()
    except OSError as e:
        return f"its end cannot be read: {e}"
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return "it has no end record"
    comment = int.from_bytes(tail[at + 20 : at + 22], "little")
    extra = len(tail) - (at + 22 + comment)
    return f"{extra} bytes follow its end record" if extra else None


def _open_zip(path: Path, fh: IO[bytes], limits: Limits) -> ZipRelease:
    try:
        entries = _zip_entries(fh)
    except OSError:
        entries = None
    if entries is not None and entries >= limits.max_zip_entries:
        fh.close()
        raise NotAReleaseError(
            f"{path}: refused: the zip claims {entries} entries or more (a release has a few "
            f"dozen; at most {limits.max_zip_entries} are read)"
        )
    try:
        zf = zipfile.ZipFile(fh)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except Exception as e:  # a hostile zip: BadZipFile, OSError, ValueError, EOFError...
        fh.close()
        raise NotAReleaseError(f"{path} cannot be read as a zip file: {e}") from None
    if lie := _layout_lie(zf, fh, infos):
        zf.close()
        fh.close()
        raise NotAReleaseError(f"{path} is not a sound zip: {lie}")
    names = [i.filename for i in infos]
    if DESCRIPTOR in names:
        prefix = ""
    else:
        tops = {n.split("/", 1)[0] for n in names if "/" in n}
        candidates = [t for t in sorted(tops) if f"{t}/{DESCRIPTOR}" in names]
        if len(candidates) != 1:
            zf.close()
            fh.close()
            raise NotAReleaseError(
                f"{path} is not a release zip: it has no {DESCRIPTOR} at its root or in one folder"
            )
        prefix = candidates[0] + "/"
    rel = ZipRelease(location=str(path), kind="zip", prefix=prefix, limits=limits, zf=zf, fh=fh)
    for info in infos:
        n = info.filename
        name = n[len(prefix) :] if n.startswith(prefix) else "../" + n
        if name in rel.sizes:
            rel.notes.append(f"the zip holds {n} more than once")
            rel.duplicates.append(n)
            continue
        rel.sizes[name] = info.file_size
        rel.infos[name] = info
    return rel


# --- URLs ------------------------------------------------------------------------------------


def cache_root() -> Path:
    """The download cache folder: ``$ZONEDATA_CACHE``, else the user's cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "zonedata"


def private_folder(path: Path, *, follow: bool) -> Path:
    """Create ``path`` (mode 0700) if needed; refuse it unless it is the user's, private.

    ``follow``: whether ``path`` itself may be a symlink (the cache root may; the folders
    zonedata creates inside it may not).
    """
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(path) if follow else os.lstat(path)
    except OSError as e:
        raise ReleaseError(f"cannot create the download cache {path}: {e.strerror or e}") from None
    why = ""
    if not stat.S_ISDIR(st.st_mode):
        why = f"it is {safeio.kind_of(st.st_mode)}, not a folder"
    elif hasattr(os, "getuid") and st.st_uid != os.getuid():
        why = f"it is owned by user {st.st_uid}, not by you ({os.getuid()})"
    elif hasattr(os, "getuid") and st.st_mode & 0o022:
        why = f"it is writable by {'others' if st.st_mode & 0o002 else 'its group'} (mode {stat.S_IMODE(st.st_mode):o})"
    if why:
        raise ReleaseError(
            f"refusing the download cache {path}: {why}; use a private folder "
            f"(chmod 700) or set {CACHE_ENV}"
        )
    return path


@dataclass
class UrlRelease(ReleaseFiles):
    """A release served over http(s): the folder URL, or the URL of its descriptor."""

    base_url: str = ""
    descriptor_url: str = ""
    cache: Path = field(default_factory=Path)

    @classmethod
    def open(cls, url: str, limits: Limits) -> UrlRelease:
        base, _, last = url.partition("?")[0].partition("#")[0].rpartition("/")
        if last.lower().endswith(".zip"):
            raise NotAReleaseError(
                f"{url}: release zips are read from a local path; pass the release folder's URL "
                f"(or its {DESCRIPTOR} URL), or download the zip and pass its path"
            )
        if last.lower().endswith(".json"):
            descriptor_url, base_url = url, base + "/"
        else:
            base_url = url if url.endswith("/") else url + "/"
            descriptor_url = base_url + DESCRIPTOR
        key = hashlib.sha256(descriptor_url.encode("utf-8")).hexdigest()[:32]
        rel = cls(
            location=base_url,
            kind="url",
            limits=limits,
            base_url=base_url,
            descriptor_url=descriptor_url,
            cache=cache_root() / key,
        )
        return rel

    def _cache_dir(self) -> str:
        private_folder(self.cache.parent, follow=True)
        return os.path.realpath(private_folder(self.cache, follow=False))

    def descriptor(self) -> dict[str, Any]:
        if self._descriptor is not None:
            return self._descriptor
        root = self._cache_dir()
        try:
            data = read_regular(
                root, DESCRIPTOR, str(self.cache / DESCRIPTOR), self.limits.max_descriptor_bytes
            )
            self._descriptor = parse_descriptor(data, str(self.cache / DESCRIPTOR))
        except UnsafeFileError:
            raise
        except ReleaseError:
            Path(root, DESCRIPTOR).unlink(missing_ok=True)  # absent or unreadable: fetch it
            data = download(
                self.descriptor_url, limit=self.limits.max_descriptor_bytes, limits=self.limits
            )
            self._descriptor = parse_descriptor(data, self.descriptor_url)
            self._store(root, DESCRIPTOR, data)
            self._store(root, "url.txt", (self.descriptor_url + "\n").encode("utf-8"))
        for r in self._descriptor["resources"]:
            if isinstance(r, Mapping) and is_plain_relative(r.get("path")):
                size = r.get("zonedata:bytes", r.get("bytes"))
                self.sizes[str(r["path"])] = size if isinstance(size, int) else -1
        return self._descriptor

    def display(self, name: str) -> str:
        if name == DESCRIPTOR:
            return self.descriptor_url
        return f"{self.base_url}{name}"

    def _read(self, name: str, limit: int) -> bytes:
        """Uncached, unverified (the descriptor and SHA256SUMS): downloaded within the caps."""
        if name == DESCRIPTOR:
            return json.dumps(self.descriptor()).encode("utf-8")
        return download(self.base_url + name, limit=limit, limits=self.limits)

    def read_verified(self, spec: FileSpec) -> bytes:
        root = self._cache_dir()
        cached = str(self.cache / spec.path)
        try:
            data = read_regular(root, spec.path, cached, self.cap(spec.path, spec.size))
            verify_bytes(data, spec, cached)
            return data
        except UnsafeFileError:
            raise
        except ReleaseError:  # absent, damaged or planted: download it again
            if os.path.lexists(os.path.join(root, spec.path)):
                Path(root, spec.path).unlink(missing_ok=True)
        url = self.base_url + spec.path
        limit = self.cap(spec.path, spec.size)
        data = download(url, limit=limit, limits=self.limits, recorded=spec.size is not None)
        hint = (
            f" (nothing was cached; if the release at this URL was republished, delete the "
            f"cached descriptor in {self.cache})"
        )
        verify_bytes(data, spec, f"{url} ({spec.path})", hint)
        self._store(root, spec.path, data)
        return data

    def _store(self, root: str, rel: str, data: bytes) -> None:
        """Write verified bytes into the cache: to a temporary file, then renamed into place."""
        target = Path(root).joinpath(*PurePosixPath(rel).parts)
        try:
            if target.parent != Path(root):
                private_folder(target.parent, follow=False)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, ReleaseError):
            pass  # a read-only or full cache only costs a download next time


__all__ = [
    "CHECKSUMS",
    "DESCRIPTOR",
    "FileSpec",
    "Limits",
    "ReleaseFiles",
    "check_is_release",
    "check_names",
    "check_unambiguous",
    "download",
    "file_spec",
    "find_resource",
    "is_parquet",
    "open_release",
    "parquet_file",
    "parse_descriptor",
    "read_parquet",
    "safe_path",
]
