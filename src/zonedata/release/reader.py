"""The one release reader: a release folder, zip or http(s) URL, read defensively.

A release (``zonedata-V/``) holds ``<table>.parquet`` and ``<table>.json`` files, a
``SHA256SUMS`` and a ``datapackage.json`` whose resources record each file's ``hash``
(``"sha256:<hex>"``) and size (``bytes`` or ``zonedata:bytes``). ``zonedata verify``,
``zonedata diff`` and ``zonedata.load(release=...)`` all read releases through
:func:`open_release`, which returns a :class:`ReleaseFiles`.

A release is treated as hostile input:

- **Names.** A resource's ``name`` must be a plain identifier (``^[a-z0-9][a-z0-9_.-]*$``,
  at most 128 characters) and its ``path`` a plain relative name inside the release: no
  ``..``, ``.``, empty or absolute part, no backslash, drive letter, URL, NUL or other
  control character.
- **Only regular files are opened.** Each file is ``stat``-ed before it is opened and
  opened with ``O_NOFOLLOW | O_NONBLOCK``, then checked again on the open descriptor:
  FIFOs, devices, sockets, folders and symlinks whose target leaves the release folder
  are refused (:class:`~zonedata.errors.UnsafeFileError`), so a FIFO never blocks.
- **Every read is bounded.** A file is read up to its recorded size (or, without one,
  :data:`DEFAULT_MAX_FILE_BYTES`); ``datapackage.json`` and ``SHA256SUMS`` up to
  :data:`MAX_DESCRIPTOR_BYTES`. A zip member is refused before it is inflated when its
  header claims more than that or more than :data:`MAX_RATIO` times its compressed size,
  and it is inflated in chunks that stop at the cap (a lying header cannot make it
  inflate more). A zip with :data:`MAX_ZIP_ENTRIES` entries or more is refused before
  its central directory is read. A descriptor nested deeper than :data:`MAX_DEPTH` is
  refused. A Parquet file is checked before it is read (:func:`read_parquet`): its
  footer, row count (``ZONEDATA_MAX_ROWS``) and uncompressed and decoded sizes.
- **Verification.** :meth:`ReleaseFiles.read_recorded` checks a file against the size
  and SHA-256 its resource records before returning it
  (:class:`~zonedata.errors.IntegrityError` otherwise).

Downloads (``load(release="https://...")``): a URL names a release folder or its
``datapackage.json``; only ``http`` and ``https`` URLs are read.

- Each download has an overall deadline (the whole transfer, not each read: a server
  that sends one byte every few seconds is cut off at the deadline), default
  :data:`DEFAULT_DEADLINE` seconds; environment variable ``ZONEDATA_DOWNLOAD_DEADLINE``
  or ``open_release(..., deadline=)``.
- Each download has a size cap: the size the descriptor records for the file, else
  ``ZONEDATA_MAX_FILE_BYTES`` (default :data:`DEFAULT_MAX_FILE_BYTES`, also the cap of a
  local file without recorded size; ``open_release(..., max_bytes=)``); the descriptor's
  own cap is :data:`MAX_DESCRIPTOR_BYTES`.
- Redirects are followed only to ``http``/``https`` URLs on the same host and port (an
  ``http`` to ``https`` upgrade on the same host is allowed), at most
  :data:`MAX_REDIRECTS`. A redirect to another host is refused unless that host is
  allowed: ``ZONEDATA_ALLOW_REDIRECT_HOSTS`` (comma-separated host names, or ``*`` for
  any) or ``open_release(..., allow_redirect_hosts=)``.

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

import contextlib
import functools
import hashlib
import http.client
import json
import os
import re
import socket
import stat
import struct
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO, Any

from zonedata import safeio
from zonedata.errors import (
    DownloadError,
    InputError,
    IntegrityError,
    JsonTextError,
    NotAReleaseError,
    ReleaseError,
    UnknownTableError,
    UnsafeFileError,
)
from zonedata.model import jsontext
from zonedata.model.descriptor import SUPPORTED_TYPES
from zonedata.release.archive import CHECKSUMS, DESCRIPTOR

#: Resource properties recording a file's size: the standard ``bytes``, and the
#: ``zonedata:bytes`` that zonedata's release builder writes.
SIZE_PROPERTIES = ("bytes", "zonedata:bytes")
#: Environment variables: the cache folder, the download deadline (seconds), the size cap
#: of a file without recorded size (bytes), and the hosts a redirect may lead to.
CACHE_ENV = "ZONEDATA_CACHE"
DEADLINE_ENV = "ZONEDATA_DOWNLOAD_DEADLINE"
MAX_BYTES_ENV = "ZONEDATA_MAX_FILE_BYTES"
REDIRECT_HOSTS_ENV = "ZONEDATA_ALLOW_REDIRECT_HOSTS"
#: Seconds a whole download may take, by default.
DEFAULT_DEADLINE = 300.0
#: Seconds to wait for a connection or for any one read (within the deadline).
READ_TIMEOUT = 30.0
#: The largest file read without a recorded size (and the largest file at all), by default.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
#: The largest ``datapackage.json`` or ``SHA256SUMS`` read.
MAX_DESCRIPTOR_BYTES = 32 * 1024 * 1024
#: The largest inflated / compressed size ratio of a zip member (beyond the first MiB).
MAX_RATIO = 100
_RATIO_FREE = 1024 * 1024
#: The deepest nesting of objects and arrays accepted in a descriptor.
MAX_DEPTH = 64
#: Redirects followed per download.
MAX_REDIRECTS = 5
#: The most entries a release zip may have (a release has a few dozen files).
MAX_ZIP_ENTRIES = 10_000

_CHUNK = 1 << 16
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SHA256 = re.compile(r"^sha256:([0-9a-fA-F]{64})$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# --- limits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How long a download may take, how large a file may be, where a redirect may lead."""

    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    allow_redirect_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_env(
        cls,
        *,
        deadline: float | None = None,
        max_bytes: int | None = None,
        allow_redirect_hosts: str | list[str] | tuple[str, ...] | None = None,
    ) -> Limits:
        """Keyword arguments first, then the environment variables, then the defaults."""
        if deadline is None:
            deadline = _env_number(DEADLINE_ENV, DEFAULT_DEADLINE, float)
        if max_bytes is None:
            max_bytes = _env_number(MAX_BYTES_ENV, DEFAULT_MAX_FILE_BYTES, int)
        if allow_redirect_hosts is None:
            allow_redirect_hosts = os.environ.get(REDIRECT_HOSTS_ENV, "")
        if isinstance(allow_redirect_hosts, str):
            allow_redirect_hosts = allow_redirect_hosts.split(",")
        hosts = frozenset(h.strip().lower() for h in allow_redirect_hosts if h.strip())
        if not deadline > 0:
            raise ReleaseError(f"the download deadline must be positive, got {deadline!r}")
        if max_bytes <= 0:
            raise ReleaseError(f"the file size cap must be positive, got {max_bytes!r}")
        return cls(deadline=float(deadline), max_bytes=int(max_bytes), allow_redirect_hosts=hosts)

    def seconds_text(self) -> str:
        return f"{self.deadline:g} s; set {DEADLINE_ENV} to change it"


def _env_number(name: str, default: Any, kind: Callable[[str], Any]) -> Any:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return kind(raw.strip())
    except ValueError:
        raise ReleaseError(f"{name}={raw!r} is not a number") from None


# --- names, paths, descriptors ---------------------------------------------------------------


@dataclass(frozen=True)
class FileSpec:
    """A release file as its descriptor records it."""

    path: str
    sha256: str
    size: int | None


def safe_path(path: str, where: str) -> PurePosixPath:
    """A resource path that is a plain relative name inside the release, or UnsafeFileError."""
    p = PurePosixPath(path)
    if (
        not path
        or len(path) > 255
        or _URL.match(path)
        or "\\" in path
        or _CONTROL.search(path)
        or p.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
    ):
        raise UnsafeFileError(
            f"{where}: unsafe resource path {path!r}",
            file=where,
            detail=f"unsafe resource path {path!r}",
        )
    return p


def is_safe_path(path: object) -> bool:
    if not isinstance(path, str):
        return False
    try:
        safe_path(path, "")
    except UnsafeFileError:
        return False
    return True


def is_safe_name(name: object) -> bool:
    """A resource name: ``^[a-z0-9][a-z0-9_.-]*$``, at most 128 characters."""
    return isinstance(name, str) and len(name) <= 128 and _NAME.match(name) is not None


def name_problems(descriptor: Mapping[str, Any], *, paths: bool = True) -> list[str]:
    """What is wrong with the resources' names (and ``paths``) (empty if nothing)."""
    out = []
    for r in descriptor.get("resources", []):
        if not isinstance(r, Mapping):
            out.append(f"a resource is not an object: {str(r)[:60]!r}")
            continue
        name = r.get("name")
        if not is_safe_name(name):
            out.append(
                f"resource name {str(name)[:80]!r} is not a safe identifier "
                "(^[a-z0-9][a-z0-9_.-]*$, at most 128 characters)"
            )
        path = r.get("path")
        if paths and path is not None and not is_safe_path(path):
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
    if jsontext.nested_deeper_than(descriptor, MAX_DEPTH):
        raise NotAReleaseError(
            f"{shown}: the descriptor is nested deeper than {MAX_DEPTH} levels", file=shown
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
        if kind not in SUPPORTED_TYPES:
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

#: Environment variable: the most rows a release's Parquet file may hold.
MAX_ROWS_ENV = "ZONEDATA_MAX_ROWS"
#: The most rows a Parquet file may hold, by default.
DEFAULT_MAX_ROWS = 20_000_000
#: The largest Parquet footer (its metadata) read.
MAX_PARQUET_FOOTER = 16 * 1024 * 1024


def max_rows() -> int:
    """The row cap of a Parquet file: ``ZONEDATA_MAX_ROWS``, else :data:`DEFAULT_MAX_ROWS`."""
    n = int(_env_number(MAX_ROWS_ENV, DEFAULT_MAX_ROWS, int))
    if n <= 0:
        raise ReleaseError(f"{MAX_ROWS_ENV} must be positive, got {n}")
    return n


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

    The footer is at most :data:`MAX_PARQUET_FOOTER` bytes, the rows at most
    :func:`max_rows`, the row groups' uncompressed size at most ``max_bytes``.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if len(data) >= 12 and data[-4:] == b"PAR1":
        footer = int.from_bytes(data[-8:-4], "little")
        if footer > MAX_PARQUET_FOOTER:
            raise _parquet_refused(
                shown, f"its metadata is {footer} bytes (at most {MAX_PARQUET_FOOTER})"
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
    cap = max_rows()
    if rows > cap or rows < 0:
        raise _parquet_refused(
            shown, f"it holds {rows} rows (at most {cap}; set {MAX_ROWS_ENV} to change it)"
        )
    if size > max_bytes:
        raise _parquet_refused(
            shown,
            f"its data is {size} bytes uncompressed (at most {max_bytes}; set {MAX_BYTES_ENV} "
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
            f"it decodes to more than {max_bytes} bytes (set {MAX_BYTES_ENV} to change it)",
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
            return MAX_DESCRIPTOR_BYTES
        if size is not None:
            return min(size, self.limits.max_bytes)
        return self.limits.max_bytes

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
                data = self.read(self.descriptor_name, MAX_DESCRIPTOR_BYTES)
            except IntegrityError as e:
                if e.what != "size":
                    raise
                raise NotAReleaseError(
                    f"{shown}: the descriptor is larger than {MAX_DESCRIPTOR_BYTES} bytes; not read",
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
        if info.file_size > max(_RATIO_FREE, MAX_RATIO * info.compress_size):
            detail = (
                f"refused: it would inflate {info.file_size} bytes from {info.compress_size} "
                f"(more than {MAX_RATIO}:1, a zip bomb?)"
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
        deadline=deadline, max_bytes=max_bytes, allow_redirect_hosts=allow_redirect_hosts
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
    return None


def _open_zip(path: Path, fh: IO[bytes], limits: Limits) -> ZipRelease:
    try:
        entries = _zip_entries(fh)
    except OSError:
        entries = None
    if entries is not None and entries >= MAX_ZIP_ENTRIES:
        fh.close()
        raise NotAReleaseError(
            f"{path}: refused: the zip claims {entries} entries or more (a release has a few "
            f"dozen; at most {MAX_ZIP_ENTRIES} are read)"
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


class _Watch:
    """The deadline of one download: at expiry, every socket it opened is shut down."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.expired = False
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def add(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._socks.append(sock)
            if self.expired:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        return sock

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def cancel(self) -> None:
        self._timer.cancel()


def _watched(watch: _Watch) -> Callable[..., socket.socket]:
    """``socket.create_connection`` that hands each new socket to ``watch``."""

    def create(*args: Any, **kw: Any) -> socket.socket:
        return watch.add(socket.create_connection(*args, **kw))

    return create


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, watch: _Watch, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._create_connection = _watched(watch)  # http.client's hook for the socket


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, watch: _Watch, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._create_connection = _watched(watch)  # http.client's hook for the socket


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_HTTPConnection, watch=self.watch), req)  # type: ignore[arg-type]


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, watch: _Watch) -> None:
        import ssl

        self.context = ssl.create_default_context()
        super().__init__(context=self.context)
        self.watch = watch

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(  # type: ignore[arg-type]
            functools.partial(_HTTPSConnection, watch=self.watch), req, context=self.context
        )


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    return scheme, (parts.hostname or "").lower(), port


def same_host(a: str, b: str) -> bool:
    """Whether ``b`` is on ``a``'s host and port (or an http -> https upgrade of it)."""
    sa, ha, pa = _origin(a)
    sb, hb, pb = _origin(b)
    default = {"http": 80, "https": 443}
    pa = pa if pa is not None else default.get(sa)
    pb = pb if pb is not None else default.get(sb)
    if ha != hb:
        return False
    if sa == sb:
        return pa == pb
    return (sa, pa, sb, pb) == ("http", 80, "https", 443)


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__()
        self.allowed = allowed

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        old = req.full_url
        scheme, host, _ = _origin(newurl)
        refusal = ""
        if scheme not in ("http", "https"):
            refusal = f"redirected to {newurl!r}: only http(s) redirects are followed"
        elif not same_host(old, newurl) and "*" not in self.allowed and host not in self.allowed:
            refusal = (
                f"redirected to another host ({newurl}); refused: allow it with "
                f"{REDIRECT_HOSTS_ENV}={host} (or allow_redirect_hosts=)"
            )
        if refusal:
            fp.close()
            raise DownloadError(f"cannot download {old}: {refusal}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def download(url: str, *, limit: int, limits: Limits, recorded: bool = False) -> bytes:
    """The body at ``url``: at most ``limit`` bytes, within ``limits.deadline`` seconds.

    ``recorded``: ``limit`` is the size the descriptor records, so a longer body is an
    :class:`IntegrityError` rather than a :class:`DownloadError`.
    """
    from zonedata import __version__

    if not _SCHEME.match(url) or url.split("://", 1)[0].lower() not in ("http", "https"):
        raise DownloadError(f"cannot download {url}: only http(s) URLs are read")
    watch = _Watch(limits.deadline)
    opener = urllib.request.build_opener(
        _HTTPHandler(watch), _HTTPSHandler(watch), _Redirects(limits.allow_redirect_hosts)
    )
    request = urllib.request.Request(url, headers={"User-Agent": f"zonedata/{__version__}"})
    late = f"cannot download {url}: the download deadline ({limits.seconds_text()}) passed"
    buf = bytearray()
    length = ""
    try:
        with opener.open(request, timeout=min(READ_TIMEOUT, limits.deadline)) as response:
            lengths = {v.strip() for v in response.headers.get_all("Content-Length") or ()}
            if len(lengths) > 1:
                shown = ", ".join(sorted(lengths))[:200]
                raise DownloadError(
                    f"cannot download {url}: the server sends conflicting Content-Length "
                    f"headers ({shown}); refused"
                )
            # a chunked body ignores Content-Length (http.client reads the chunks)
            length = "" if getattr(response, "chunked", False) else next(iter(lengths), "")
            if length and not (length.isascii() and length.isdigit()):
                raise DownloadError(
                    f"cannot download {url}: invalid Content-Length {length[:40]!r}; refused"
                )
            if length and int(length) > limit:
                raise _too_large(url, limit, recorded, f"it announces {length} bytes")
            while True:
                if watch.remaining() <= 0:
                    raise DownloadError(late)
                chunk = response.read1(min(_CHUNK, limit + 1 - len(buf)))
                if not chunk:
                    break
                buf += chunk
                if len(buf) > limit:
                    raise _too_large(url, limit, recorded, f"it sends more than {limit} bytes")
    except (DownloadError, IntegrityError):
        if watch.expired:
            raise DownloadError(late) from None
        raise
    except urllib.error.HTTPError as e:
        raise DownloadError(f"cannot download {url}: HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        if watch.expired:
            raise DownloadError(late) from None
        raise DownloadError(f"cannot download {url}: {e.reason}") from None
    except (OSError, ValueError, http.client.HTTPException) as e:
        if watch.expired:
            raise DownloadError(late) from None
        raise DownloadError(f"cannot download {url}: {e or type(e).__name__}") from None
    finally:
        watch.cancel()
    if watch.expired:
        raise DownloadError(late)
    if length and len(buf) != int(length):
        raise DownloadError(
            f"cannot download {url}: incomplete: got {len(buf)} of {length} bytes "
            "(the connection closed early)"
        )
    return bytes(buf)


def _too_large(url: str, limit: int, recorded: bool, actual: str) -> ReleaseError:
    if recorded:
        return IntegrityError(
            url,
            expected=f"{limit} bytes",
            actual=actual,
            what="size",
            detail=f"size mismatch: the release descriptor says {limit} bytes, {actual}; stopped",
        )
    return DownloadError(
        f"cannot download {url}: larger than the {limit}-byte cap ({actual}); stopped "
        f"(raise it with {MAX_BYTES_ENV})"
    )


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
                root, DESCRIPTOR, str(self.cache / DESCRIPTOR), MAX_DESCRIPTOR_BYTES
            )
            self._descriptor = parse_descriptor(data, str(self.cache / DESCRIPTOR))
        except UnsafeFileError:
            raise
        except ReleaseError:
            Path(root, DESCRIPTOR).unlink(missing_ok=True)  # absent or unreadable: fetch it
            data = download(self.descriptor_url, limit=MAX_DESCRIPTOR_BYTES, limits=self.limits)
            self._descriptor = parse_descriptor(data, self.descriptor_url)
            self._store(root, DESCRIPTOR, data)
            self._store(root, "url.txt", (self.descriptor_url + "\n").encode("utf-8"))
        for r in self._descriptor["resources"]:
            if isinstance(r, Mapping) and is_safe_path(r.get("path")):
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
