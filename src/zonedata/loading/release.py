"""Read one table from a release: a folder, a zip, or an http(s) URL.

A release (``zonedata-V/``) holds ``<table>.parquet`` files and a ``datapackage.json``
whose resources record each file's ``hash`` (``"sha256:<hex>"``) and size (``bytes`` or
``zonedata:bytes``). Every file
is read whole into memory and checked against both before it is parsed, so a truncated,
corrupted or tampered file is refused with :class:`~zonedata.loading.errors.IntegrityError`
and never used.

URLs are fetched with :mod:`urllib` only when passed explicitly. Files are cached under
``$ZONEDATA_CACHE`` (default ``$XDG_CACHE_HOME/zonedata`` or ``~/.cache/zonedata``) in a
folder named after the SHA-256 of the descriptor's URL. A data file is downloaded into
memory and verified; only then is it written to a temporary file in the cache and renamed
into place, so a file that fails verification is never cached, and a partial file never
has the final name. A cached file is verified again on every read (and downloaded anew if
it no longer matches). The descriptor itself has nothing to be verified against (use
https); it is cached as downloaded, since releases are immutable: delete the cache folder
to fetch it again. Once cached, a release loads offline.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from zonedata.loading.errors import (
    DownloadError,
    IntegrityError,
    ReleaseError,
    UnknownTableError,
)
from zonedata.model.descriptor import DescriptorError, Package, Table

if TYPE_CHECKING:
    import pyarrow as pa

DESCRIPTOR = "datapackage.json"
#: Resource properties recording a file's size: the standard ``bytes``, and the
#: ``zonedata:bytes`` that zonedata's release builder writes (frictionless 5 mis-checks
#: ``bytes`` on Parquet resources).
SIZE_PROPERTIES = ("bytes", "zonedata:bytes")
#: Environment variable naming the download cache folder.
CACHE_ENV = "ZONEDATA_CACHE"
#: Seconds to wait for a server before giving up.
TIMEOUT = 60
#: The largest descriptor accepted from a URL.
MAX_DESCRIPTOR_BYTES = 32 * 1024 * 1024
_CHUNK = 1 << 16
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SHA256 = re.compile(r"^sha256:([0-9a-fA-F]{64})$")


@dataclass(frozen=True)
class FileSpec:
    """A release file as its descriptor records it."""

    path: str
    sha256: str
    size: int | None


class Source(Protocol):
    """Where a release's files come from."""

    display: str

    def descriptor(self) -> dict[str, Any]: ...

    def read(self, spec: FileSpec) -> bytes:
        """The file's bytes, verified against ``spec``."""
        ...


def open_source(release: str | os.PathLike[str]) -> Source:
    """The :class:`Source` for a release folder, zip, ``datapackage.json`` or URL."""
    if isinstance(release, str) and _URL.match(release):
        scheme = release.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise ReleaseError(
                f"{release}: unsupported URL scheme {scheme!r}; use an http(s) URL or a local path"
            )
        return UrlSource(release)
    p = Path(os.fspath(release)).expanduser()
    if p.is_dir():
        return FolderSource(p)
    if p.is_file():
        if p.name == DESCRIPTOR or p.suffix.lower() == ".json":
            return FolderSource(p.parent, p)
        if zipfile.is_zipfile(p):
            return ZipSource(p)
        raise ReleaseError(f"{p}: not a release folder, zip or datapackage.json")
    raise ReleaseError(f"{p}: no such release folder or zip")


# --- verification ----------------------------------------------------------------------------


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


def safe_path(path: str, where: str) -> PurePosixPath:
    """A resource path that stays inside the release (relative, no ``..``, no URL)."""
    p = PurePosixPath(path)
    if (
        not path
        or _URL.match(path)
        or "\\" in path
        or p.is_absolute()
        or any(part in ("", ".", "..") for part in path.split("/"))
        or re.match(r"^[A-Za-z]:", path)
    ):
        raise ReleaseError(f"{where}: unsafe resource path {path!r}")
    return p


def verify(data: bytes, spec: FileSpec, shown: str, hint: str = "") -> None:
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


def _parse_descriptor(data: bytes, shown: str) -> dict[str, Any]:
    try:
        descriptor = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ReleaseError(f"{shown}: not a valid UTF-8 JSON descriptor: {e}") from e
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise ReleaseError(f"{shown}: not a data package descriptor (no list of resources)")
    return descriptor


# --- local sources ---------------------------------------------------------------------------


class FolderSource:
    """A release folder (or the folder of a given ``datapackage.json``)."""

    def __init__(self, folder: Path, descriptor_path: Path | None = None) -> None:
        self.folder = folder
        self.descriptor_path = descriptor_path or folder / DESCRIPTOR
        self.display = str(folder)

    def descriptor(self) -> dict[str, Any]:
        try:
            data = self.descriptor_path.read_bytes()
        except FileNotFoundError:
            raise ReleaseError(f"{self.folder}: no {DESCRIPTOR}: not a release folder") from None
        except OSError as e:
            raise ReleaseError(f"cannot read {self.descriptor_path}: {e}") from e
        return _parse_descriptor(data, str(self.descriptor_path))

    def read(self, spec: FileSpec) -> bytes:
        p = self.folder.joinpath(*PurePosixPath(spec.path).parts)
        try:
            data = p.read_bytes()
        except OSError as e:
            raise ReleaseError(f"cannot read release file {p}: {e.strerror or e}") from e
        verify(data, spec, str(p))
        return data


class ZipSource:
    """A release zip: the files at its root or in one top-level folder (``zonedata-V/``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.display = str(path)
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (OSError, zipfile.BadZipFile) as e:
            raise ReleaseError(f"{path}: cannot read the zip: {e}") from e
        if DESCRIPTOR in names:
            self.prefix = ""
        else:
            tops = sorted(
                n[: -len(DESCRIPTOR)]
                for n in names
                if n.endswith("/" + DESCRIPTOR) and n.count("/") == 1
            )
            if len(tops) != 1:
                raise ReleaseError(
                    f"{path}: expected one {DESCRIPTOR} at the root or in one top-level "
                    f"folder of the zip, found {len(tops)}"
                )
            self.prefix = tops[0]

    def _member(self, name: str) -> bytes:
        try:
            with zipfile.ZipFile(self.path) as zf:
                return zf.read(self.prefix + name)
        except KeyError:
            raise ReleaseError(f"{self.path}: the zip has no {self.prefix + name}") from None
        except (OSError, zipfile.BadZipFile) as e:
            raise ReleaseError(f"{self.path}: cannot read {self.prefix + name}: {e}") from e

    def descriptor(self) -> dict[str, Any]:
        return _parse_descriptor(self._member(DESCRIPTOR), f"{self.path}:{self.prefix}{DESCRIPTOR}")

    def read(self, spec: FileSpec) -> bytes:
        data = self._member(spec.path)
        verify(data, spec, f"{self.path}:{self.prefix}{spec.path}")
        return data


# --- URLs ------------------------------------------------------------------------------------


def cache_root() -> Path:
    """The download cache folder: ``$ZONEDATA_CACHE``, else the user's cache folder."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "zonedata"


class UrlSource:
    """A release served over http(s): the folder URL, or the URL of its descriptor."""

    def __init__(self, url: str) -> None:
        base, _, last = url.partition("?")[0].partition("#")[0].rpartition("/")
        if last.lower().endswith(".zip"):
            raise ReleaseError(
                f"{url}: release zips are read from a local path; pass the release folder's URL "
                f"(or its {DESCRIPTOR} URL), or download the zip and pass its path"
            )
        if last.lower().endswith(".json"):
            self.descriptor_url = url
            self.base_url = base + "/"
        else:
            self.base_url = url if url.endswith("/") else url + "/"
            self.descriptor_url = self.base_url + DESCRIPTOR
        self.display = self.base_url
        key = hashlib.sha256(self.descriptor_url.encode("utf-8")).hexdigest()[:32]
        self.cache = cache_root() / key

    def descriptor(self) -> dict[str, Any]:
        cached = self.cache / DESCRIPTOR
        if cached.is_file():
            try:
                return _parse_descriptor(cached.read_bytes(), str(cached))
            except (OSError, ReleaseError):
                cached.unlink(missing_ok=True)  # unreadable: fetch it again
        data = self._download(self.descriptor_url, None, DESCRIPTOR)
        descriptor = _parse_descriptor(data, self.descriptor_url)
        self._store(DESCRIPTOR, data)
        self._store("url.txt", (self.descriptor_url + "\n").encode("utf-8"))
        return descriptor

    def read(self, spec: FileSpec) -> bytes:
        cached = self.cache.joinpath(*PurePosixPath(spec.path).parts)
        if cached.is_file():
            data = cached.read_bytes()
            try:
                verify(data, spec, str(cached))
                return data
            except IntegrityError:
                cached.unlink(missing_ok=True)  # a damaged cache entry: download it again
        url = self.base_url + spec.path
        data = self._download(url, spec, spec.path)
        self._store(spec.path, data)
        return data

    def _download(self, url: str, spec: FileSpec | None, shown_name: str) -> bytes:
        """Fetch ``url`` into memory and verify it before anything is written to the cache."""
        import urllib.error
        import urllib.request

        from zonedata import __version__

        # Read at most one byte more than expected: a longer file fails verification anyway.
        limit = MAX_DESCRIPTOR_BYTES if spec is None else spec.size
        request = urllib.request.Request(url, headers={"User-Agent": f"zonedata/{__version__}"})
        buf = io.BytesIO()
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                while chunk := response.read(_CHUNK):
                    buf.write(chunk)
                    if limit is not None and buf.tell() > limit:
                        break
        except urllib.error.HTTPError as e:
            raise DownloadError(f"cannot download {url}: HTTP {e.code} {e.reason}") from e
        except urllib.error.URLError as e:
            raise DownloadError(f"cannot download {url}: {e.reason}") from e
        except (OSError, ValueError) as e:
            raise DownloadError(f"cannot download {url}: {e}") from e
        data = buf.getvalue()
        if spec is None:
            if len(data) > MAX_DESCRIPTOR_BYTES:
                raise DownloadError(
                    f"{url}: the descriptor is larger than {MAX_DESCRIPTOR_BYTES} bytes"
                )
            return data
        hint = (
            f" (nothing was cached; if the release at this URL was republished, delete the "
            f"cached descriptor in {self.cache})"
        )
        verify(data, spec, f"{url} ({shown_name})", hint)
        return data

    def _store(self, rel: str, data: bytes) -> None:
        """Write verified bytes into the cache: to a temporary file, then renamed into place."""
        target = self.cache.joinpath(*PurePosixPath(rel).parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full cache only costs a download next time


# --- reading a table -------------------------------------------------------------------------


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


def read_table(
    release: str | os.PathLike[str], name: str, fallback: Package | None = None
) -> tuple[pa.Table, Table, Package]:
    """Read table ``name`` of a release as an Arrow table with the descriptor's schema.

    The table's schema comes from the release descriptor (falling back to ``fallback``'s
    table of the same name when the resource has none). The Parquet file's columns must
    have exactly the types :func:`zonedata.model.arrow.arrow_schema` gives.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from zonedata.model.arrow import arrow_schema

    source = open_source(release)
    descriptor = source.descriptor()
    resource = find_resource(descriptor, name, source.display)
    spec = file_spec(resource, source.display)
    try:
        if isinstance(resource.get("schema"), Mapping):
            table = Table.from_descriptor(dict(resource))
        elif fallback is not None:
            table = fallback.table(name)
        else:
            raise ReleaseError(f"{source.display}: resource {name!r} has no schema")
    except (DescriptorError, KeyError) as e:
        raise ReleaseError(f"{source.display}: resource {name!r}: {e}") from e
    package = Package(descriptor=descriptor, base_path=Path("."), tables=(table,))

    data = source.read(spec)  # verified
    shown = f"{source.display} ({spec.path})"
    try:
        raw = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as e:
        raise ReleaseError(f"{shown}: not a readable Parquet file: {e}") from e
    schema = arrow_schema(table, package)
    if raw.column_names != schema.names:
        raise ReleaseError(
            f"{shown}: columns {raw.column_names} differ from the descriptor's {schema.names}"
        )
    for target in schema:
        actual = raw.schema.field(target.name).type
        if actual != target.type:
            raise ReleaseError(
                f"{shown}: column {target.name!r} is {actual}, the descriptor says {target.type}"
            )
    result = pa.Table.from_arrays(raw.columns, schema=schema)
    return result, table, package
