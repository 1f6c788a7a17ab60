"""Build a release: validate, then write Parquet, JSON, CSV, SQLite, a descriptor, checksums, a zip.

Layout, for version V in the output folder DIR::

    DIR/N-V/<stem>.parquet   one per table, typed (see zonedata.release.formats)
    DIR/N-V/<stem>.json      one per table, exact text, native JSON types
    DIR/N-V/<stem>.csv       one per table: the package's CSV file, byte for byte (one
                             compressed, in parts or not comma-separated: rewritten as
                             plain UTF-8 CSV from the cells validation read)
    DIR/N-V/N-V.sqlite       every table (see zonedata.release.database)
    DIR/N-V/datapackage.json the release descriptor (Frictionless v2)
    DIR/N-V/SHA256SUMS       "<sha256>  <file>" for every other file, for sha256sum -c
    DIR/N-V.zip              the folder above, as one deterministic zip

N is the package's name (its safe stem, :func:`release_stem`), V the version (escaped if
it is no safe file name as it stands: :func:`zonedata.names.version_stem`), and
``<stem>`` each table's :func:`zonedata.names.file_stem` (never the raw name). In the
release descriptor a table's Parquet resource has the table's own name; its JSON and CSV
resources, and the database's, carry the property ``zonedata:table`` (the table they
hold) or ``zonedata:sqlite``, and names chosen to collide with no other resource
(:func:`resource_names`): ``<table>-json``, ``<table>-csv`` and ``sqlite`` when free.

The tables are the package's, then the derived tables it declares
(:mod:`zonedata.release.derived`). The steps: :func:`plan_release` (inputs and output
checked, nothing written), validation, :func:`write_tables` (each table's files, the
derived tables, the database), :func:`write_metadata` (descriptor, checksums), the
zip, :func:`commit_release`.

Reproducible: the files depend only on the package, the version and the library
versions (pyarrow names itself in the Parquet footer; the ``release`` extra pins it;
SQLite's version is in the database's header).
The only timestamp, the zip entries' time, is ``SOURCE_DATE_EPOCH`` if set, else the
time of the last git commit that touched the descriptor, the data or the derived tables'
SQL, else 1980-01-01.

Atomic: everything is written into a dot-prefixed temporary folder inside DIR, then
renamed into place, the zip first and the folder last: the folder exists only complete,
and when it exists its zip is beside it. A killed build leaves at most dot-prefixed
temporary files, which the next build removes. Nothing is written outside DIR.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata import names
from zonedata.descriptor.docs_declaration import PROPERTY as DOCS_PROPERTY
from zonedata.descriptor.files import descriptor_in
from zonedata.descriptor.package import DescriptorError, Package, Table, bundled_package_path
from zonedata.descriptor.resolve import read_resolved
from zonedata.descriptor.sources import compression
from zonedata.errors import UnsafePathError
from zonedata.paths import is_entry_below, is_plain_relative, output_folder
from zonedata.release.archive import CHECKSUMS, DESCRIPTOR, ZIP_EPOCH_MIN, write_zip
from zonedata.release.database import write_database
from zonedata.release.derived import derive_all
from zonedata.release.errors import ReleaseError, ReleaseExistsError, ValidationFailedError
from zonedata.validate import descriptor_checks, publishable
from zonedata.validate.derived_checks import PROPERTY as DERIVED_PROPERTY
from zonedata.validate.derived_checks import declarations
from zonedata.validate.foreign_read import csv_bytes, plain_csv_descriptor

if TYPE_CHECKING:
    import pyarrow as pa

    from zonedata.release.derived import Derived
    from zonedata.validate.engine import Report

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
JSON_MEDIATYPE = "application/json"
SQLITE_MEDIATYPE = "application/vnd.sqlite3"
#: Resource property holding a released file's size in bytes. Not the standard ``bytes``:
#: frictionless 5.21 never counts the bytes of Parquet or JSON resources, so ``bytes`` on
#: them makes ``frictionless validate`` report a byte-count error for every file.
BYTES_PROPERTY = "zonedata:bytes"
#: Suffix of the name of a table's JSON resource.
JSON_SUFFIX = "-json"
#: Suffix of the name of a table's CSV resource.
CSV_SUFFIX = "-csv"
CSV_MEDIATYPE = "text/csv"
#: Name of the database's resource (after ``<package>-``), and its property listing the
#: tables and their rows.
DATABASE_RESOURCE = "sqlite"
DATABASE_PROPERTY = "zonedata:sqlite"
#: The zip time when neither SOURCE_DATE_EPOCH nor git gives one: 1980-01-01T00:00:00Z.
FALLBACK_EPOCH = ZIP_EPOCH_MIN
#: Tests only: seconds to sleep at each step of a build, announcing the step on stderr,
#: so that a test can kill the build at a chosen moment.
SLOW_ENV = "ZONEDATA_TEST_SLOW_RELEASE"

VERSION_RE = publishable.VERSION_RE
MAX_VERSION_LENGTH = publishable.MAX_VERSION_LENGTH
#: The stem of a release whose package has no usable name.
UNNAMED_PACKAGE = "package"
#: Property of a format resource (JSON, CSV) naming the table whose file it is.
TABLE_PROPERTY = "zonedata:table"
_TEMP_RE = re.compile(r"^\.[0-9A-Za-z_~][0-9A-Za-z_.~+-]*\.(?:tmp|old)-(\d+)-[0-9A-Za-z_]+$")
#: Resource properties that describe the source file and do not carry over to a release.
_FILE_PROPS = frozenset(
    {"path", "format", "mediatype", "encoding", "bytes", "hash", "dialect", "scheme", "compression"}
)


@dataclass
class ReleasedFile:
    name: str
    bytes: int
    sha256: str


@dataclass
class BuildResult:
    """What a build wrote, for the command line's summary."""

    name: str
    version: str
    folder: Path
    zip_path: Path
    zip_bytes: int
    zip_sha256: str
    files: list[ReleasedFile]
    tables: list[tuple[str, int]]
    epoch: int
    epoch_source: str
    seconds: float
    warnings: int = 0
    replaced: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.tables)


# --- inputs ------------------------------------------------------------------------


def descriptor_path(path: str | Path | None) -> Path:

    p = Path(path) if path is not None else bundled_package_path()
    return descriptor_in(p)


def check_version(version: str) -> str:
    """A release version usable in a file name (``1.2.0``, ``2026.03``, ``1.0.0rc1``):
    :func:`zonedata.validate.publishable.version_problem`'s rule, for ``--version``."""
    problem = publishable.version_problem(version)
    if problem is not None:
        raise ReleaseError(f"the version {version[:40]!r} {problem}")
    return version


def check_descriptor_version(version: str) -> str:
    """The descriptor's version, which names the release by its escaped stem if it is
    not usable as it stands (:func:`zonedata.names.version_stem`): refused only when that
    is too long (``version-too-long``, which validate reports)."""
    problem = publishable.length_problem(version)
    if problem is not None:
        raise ReleaseError(f"the version {version[:40]!r} {problem} (version-too-long)")
    return version


def release_epoch(package: Package, descriptor_file: Path) -> tuple[int, str]:
    """The build's only timestamp, as (Unix time, where it came from)."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env is not None and env.strip():
        try:
            value = int(env.strip())
        except ValueError:
            raise ReleaseError(
                f"SOURCE_DATE_EPOCH={env!r} is not a whole number of seconds"
            ) from None
        if value < 0:
            raise ReleaseError(f"SOURCE_DATE_EPOCH={env!r} is negative")
        return value, "SOURCE_DATE_EPOCH"
    git = _git_epoch(package, descriptor_file)
    if git is not None:
        return git
    return FALLBACK_EPOCH, "fixed (no SOURCE_DATE_EPOCH, not a git checkout)"


def _git_epoch(package: Package, descriptor_file: Path) -> tuple[int, str] | None:
    base = package.base_path
    paths = [
        descriptor_file.name,
        *sorted({t.path for t in package.tables if t.path and "://" not in t.path}),
    ]
    with contextlib.suppress(DescriptorError):  # and the SQL of the derived tables
        paths += sorted({d.sql_path for d in declarations(package.descriptor)})
    try:
        out = subprocess.run(
            ["git", "-C", str(base), "log", "-1", "--format=%ct %h", "--", *paths],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.stdout.split()
    if out.returncode != 0 or len(parts) != 2 or not parts[0].isdigit():
        return None
    source = f"git commit {parts[1]}"
    shallow = subprocess.run(
        ["git", "-C", str(base), "rev-parse", "--is-shallow-repository"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if shallow.stdout.strip() == "true":
        source += " (shallow clone: set SOURCE_DATE_EPOCH or fetch the full history to match other builds)"
    return int(parts[0]), source


def run_validation(path: Path) -> Report:
    """Validate the package; a release is built only from a package with no errors.

    The report carries every table as validation read and cast it
    (:attr:`zonedata.validate.tabledata.TableData.arrow`): the release writes those
    tables, so it holds exactly what was validated.
    """
    from zonedata.validate.engine import validate_package

    return validate_package(path)


def check_validated(plan: _Plan, report: Report) -> None:
    """The tables the release describes are the tables validation checked: the same
    resources, each with the same schema (a schema validation inferred included).

    They are read twice, once to plan the release and once by validation, from the same
    files; a file changed in between (and so, say, another inferred schema) is refused.
    """
    given = report.descriptor.get("resources") if report.descriptor is not None else None
    if given != [t.descriptor for t in plan.package.tables]:
        raise ReleaseError(
            f"{plan.desc_file}: the package changed while the release was built; build it again"
        )


def validated_tables(report: Report) -> dict[str, tuple[pa.Table, pa.Table]]:
    """Each table's (text, typed) as validation read them; the report's frames are let go.

    A release needs only these two Arrow tables: dropping the pandas frames the rules
    used halves what a large package holds while its files are written.
    """
    tables = {
        name: (td.raw, td.arrow)
        for name, td in report.data.items()
        if td.raw is not None and td.arrow is not None
    }
    report.data.clear()
    return tables


def released_table(
    validated: dict[str, tuple[pa.Table, pa.Table]], table: Table, package: Package
) -> tuple[pa.Table, pa.Table]:
    """(text, typed) of ``table`` as validation read them, typed with the release schema."""
    if table.name not in validated:
        raise ReleaseError(f"{table.path}: validation did not read this table")
    from zonedata.descriptor.arrow import with_release_schema

    raw, typed = validated.pop(table.name)
    return raw, with_release_schema(typed, table, package)


# --- the release descriptor --------------------------------------------------------

#: Each table's files: (file suffix, resource name suffix, format, media type).
TABLE_FORMATS = (
    ("parquet", "", "parquet", PARQUET_MEDIATYPE),
    ("json", JSON_SUFFIX, "json", JSON_MEDIATYPE),
    ("csv", CSV_SUFFIX, "csv", CSV_MEDIATYPE),
)


def release_stem(package_name: str, version: str) -> str:
    """``<name>-<version>``: the release's folder, zip and database stem.

    The name is the package's :func:`zonedata.names.file_stem` (a package without a
    name acceptable as a table name is called :data:`UNNAMED_PACKAGE`), the version its
    :func:`zonedata.names.version_stem` (the version itself when it is usable as it
    stands; validate warns ``version-unusable`` otherwise).
    """
    stem = names.file_stem(package_name) if names.is_table_name(package_name) else UNNAMED_PACKAGE
    return f"{stem}-{names.version_stem(version)}"


def table_file(table_name: str, ext: str) -> str:
    """The release file of a table in one format: ``<file stem>.<ext>``."""
    return f"{names.file_stem(table_name)}.{ext}"


def resource_names(table_names: list[str], package_name: str) -> dict[tuple[str, str], str]:
    """The release descriptor's resource names, unique: (table, format) -> name.

    A table's Parquet resource has the table's own name; its JSON and CSV resources are
    ``<table>-json`` and ``<table>-csv``, and the database (key ``("", "sqlite")``)
    ``<package>-sqlite`` (``sqlite`` for a package without a usable name), unless that
    name is taken (by a table, or an earlier resource): then a number is added
    (``a-json-2``). Every name is a table name (:func:`zonedata.names.is_table_name`):
    one that would be too long is cut before its suffix. Readers find a format's table by
    its :data:`TABLE_PROPERTY`, never by its name.
    """
    database = f"{package_name}-{DATABASE_RESOURCE}"
    if not names.is_table_name(database):
        database = DATABASE_RESOURCE
    taken = set(table_names)
    out = {(t, "parquet"): t for t in table_names}
    wanted = [
        ((t, fmt), (t, suffix)) for _, suffix, fmt, _ in TABLE_FORMATS[1:] for t in table_names
    ]
    for key, (head, suffix) in [*wanted, (("", "sqlite"), (database, ""))]:
        free, n = _fitted(head, suffix), 1
        while free in taken:
            n += 1
            free = _fitted(head, f"{suffix}-{n}")
        taken.add(free)
        out[key] = free
    return out


def _fitted(head: str, suffix: str) -> str:
    """``head + suffix``, ``head`` cut so that the name is at most the longest table name."""
    return head[: names.MAX_NAME_LENGTH - len(suffix)] + suffix


def _resource(
    t: Table, path: str, name: str, fmt: str, mediatype: str, info: ReleasedFile
) -> dict[str, Any]:
    src = t.descriptor
    r: dict[str, Any] = {"name": name, "type": "table"}
    if fmt != "parquet":
        r[TABLE_PROPERTY] = t.name
    for key in ("title", "description"):
        if key in src:
            r[key] = src[key]
    r["path"] = path
    r["format"] = fmt
    r["mediatype"] = mediatype
    if fmt in ("json", "csv"):
        r["encoding"] = "utf-8"
    if fmt == "csv" and isinstance(src.get("dialect"), dict):
        r["dialect"] = src["dialect"]
    r[BYTES_PROPERTY] = info.bytes
    r["hash"] = f"sha256:{info.sha256}"
    for key, value in src.items():
        if key not in r and key not in _FILE_PROPS and key not in ("name", "type", "schema"):
            r[key] = value
    r["schema"] = src["schema"]
    return r


def database_name(package_name: str, version: str) -> str:
    """The file name of a release's SQLite database."""
    return f"{release_stem(package_name, version)}.sqlite"


def _database_resource(
    name: str, path: str, tables: list[tuple[str, int]], info: ReleasedFile
) -> dict[str, Any]:
    import sqlite3

    return {
        "name": name,
        "title": "SQLite database",
        "description": (
            "Every table in one SQLite database, with its primary and foreign keys and "
            "declared column types; _tables and _fields describe the tables and fields."
        ),
        "path": path,
        "format": "sqlite",
        "mediatype": SQLITE_MEDIATYPE,
        BYTES_PROPERTY: info.bytes,
        "hash": f"sha256:{info.sha256}",
        DATABASE_PROPERTY: {
            "sqliteVersion": sqlite3.sqlite_version,
            "tables": dict(tables),
        },
    }


def release_descriptor(
    package: Package,
    version: str,
    files: dict[str, ReleasedFile],
    tables: list[tuple[str, int]] | None = None,
) -> dict[str, Any]:
    """The release's ``datapackage.json``: the package's metadata, resources for its files.

    ``package.tables`` are the released tables (the derived tables included); one
    resource per table and format, format by format, then the database (if written). The
    declarations of what the source package makes from its tables (its derived tables'
    SQL, its documents' templates) stay out: they name files a release does not hold.
    """
    d: dict[str, Any] = {"$schema": PROFILE}
    for key, value in package.descriptor.items():
        if key not in ("$schema", "resources", "profile", DERIVED_PROPERTY, DOCS_PROPERTY):
            d[key] = value
    d["version"] = version
    rnames = resource_names([t.name for t in package.tables], package.name)
    resources = [
        _resource(t, path, rnames[(t.name, fmt)], fmt, mediatype, files[path])
        for ext, _, fmt, mediatype in TABLE_FORMATS
        for t in package.tables
        if (path := table_file(t.name, ext)) in files
    ]
    db = database_name(package.name, version)
    if db in files:
        resources.append(_database_resource(rnames[("", "sqlite")], db, tables or [], files[db]))
    d["resources"] = resources
    return d


def checksums_text(files: list[ReleasedFile]) -> str:
    """``SHA256SUMS``: ``<hex>  <name>`` lines sorted by name, as ``sha256sum -c`` reads them."""
    return "".join(f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name.encode()))


# --- writing safely ----------------------------------------------------------------


def _checkpoint(label: str) -> None:
    delay = os.environ.get(SLOW_ENV)
    if not delay:
        return
    print(f"[{SLOW_ENV}] {label}", file=sys.stderr, flush=True)
    time.sleep(float(delay))


def _write(path: Path, data: bytes | Iterable[bytes]) -> ReleasedFile:
    """Write ``data`` (bytes, or pieces of them) durably; its size and SHA-256.

    The file is a new file of the build: a temporary file in the output folder, or a file
    in the build's temporary folder (see :func:`_check_write_target`); it is never
    written through a symlink, nor over an existing file.
    """
    _check_write_target(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    digest, size = hashlib.sha256(), 0
    with os.fdopen(os.open(path, flags, 0o666), "wb") as fh:
        for piece in [data] if isinstance(data, bytes) else data:
            fh.write(piece)
            digest.update(piece)
            size += len(piece)
        fh.flush()
        os.fsync(fh.fileno())
    return ReleasedFile(path.name, size, digest.hexdigest())


def write_table(folder: Path, table: Table, raw: pa.Table, typed: pa.Table) -> list[ReleasedFile]:
    """Write a table's Parquet file and, in pieces, its JSON file into ``folder``."""
    from pyarrow import ArrowException

    from zonedata.release import formats

    out = []
    try:
        parquet, json_file = table_file(table.name, "parquet"), table_file(table.name, "json")
        out.append(_write(folder / parquet, formats.parquet_bytes(typed, table)))
        _checkpoint(f"wrote {parquet}")
        out.append(_write(folder / json_file, formats.json_chunks(table, raw, typed)))
        _checkpoint(f"wrote {json_file}")
    except (ArrowException, ValueError) as e:
        raise ReleaseError(f"cannot convert {table.path}: {e}") from e
    return out


def _file_digest(path: Path) -> tuple[int, str]:
    with open(path, "rb") as fh:
        return path.stat().st_size, hashlib.file_digest(fh, "sha256").hexdigest()


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a leftover of an earlier process that had our number
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's live process
        return True
    return True


def clean_stale_temporaries(out: Path) -> list[str]:
    """Remove temporary files of builds that are no longer running; return their names."""
    removed: list[str] = []
    try:
        entries = list(out.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if not m:
            continue
        if os.name == "posix":
            pid = int(m.group(1))
            # a number no process can have (pid_t is 32 bits) is not one of our builds'
            stale = 0 < pid < 1 << 31 and not _pid_alive(pid)
        else:  # no safe liveness check: only what is over a day old
            try:
                stale = time.time() - entry.lstat().st_mtime > 86400
            except OSError:
                continue
        if not stale:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
        removed.append(entry.name)
    return removed


def _place_new(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst`` unless ``dst`` exists (say, made by a concurrent build)."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise ReleaseExistsError(_exists_message([dst])) from None
    except OSError:  # no hard links on this file system: check, then rename
        if dst.exists() or dst.is_symlink():
            raise ReleaseExistsError(_exists_message([dst])) from None
        os.replace(src, dst)
    else:
        src.unlink()


def _temp_name(stem: str, kind: str) -> str:
    return f".{stem}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


# --- what a build may read, write and replace ------------------------------------


def read_source_package(desc_file: Path) -> tuple[Package, list[str]]:
    """The package to release, read as ``zonedata validate`` reads it
    (:func:`zonedata.descriptor.resolve.read_resolved`: a schema given by path put inline, a
    missing one inferred exactly as validation infers it), and the resources left out
    because they are documents, not tables (their files are not released).

    The descriptor must be a regular file of at most 16 MiB with JSON nested at most
    100 levels (a FIFO or ``/dev/zero`` is refused, not read), and every resource name a
    table name by :func:`zonedata.names.name_problem` (rule ``name-unsafe``): the
    release writes ``<file stem>.parquet``.
    """

    descriptor, problems = descriptor_checks.read_descriptor(desc_file, str(desc_file))
    if descriptor is None:
        raise ReleaseError(problems[0].message.rstrip("."))
    try:
        package, documents = read_resolved(descriptor, desc_file.parent, str(desc_file))
    except (DescriptorError, TypeError, AttributeError, ValueError) as e:
        raise ReleaseError(f"{desc_file}: {e}") from e
    for t in package.tables:
        if problem := names.name_problem(t.name):
            raise ReleaseError(
                f"{desc_file}: resource name {t.name!r} {problem} (name-unsafe); "
                "nothing was written"
            )
    return package, documents


def check_out(out_dir: Path, package: Package, desc_file: Path) -> Path:
    """Refuse an output folder that could touch the package's own files; return it resolved.

    The folder may not be the package folder, a folder that holds a source file (the
    descriptor or a resource's file), a source file itself, or lie inside a folder that
    holds a resource's file (``data/``): a build there, and a ``--force`` rebuild above
    all, could replace or remove the sources. Symlinks are resolved first.
    """
    try:
        out = output_folder(out_dir)
        package_dir = desc_file.parent.resolve()
    except UnsafePathError as e:
        raise ReleaseError(f"--out {e.path} is refused: it {e.problem}") from e
    except (OSError, RuntimeError, ValueError) as e:
        raise ReleaseError(f"cannot resolve {out_dir}: {e}") from e
    sources = [desc_file.resolve()]
    for t in package.tables:
        # a path that cannot be resolved (a NUL in it) is refused by validation
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            if t.path:  # (inline data has no file)
                sources.append(package.file(t).resolve())
    why = ""
    if out == package_dir:
        why = f"it is the package folder {package_dir}"
    elif holds := [p for p in sources if p.is_relative_to(out)]:
        why = f"it holds the source file {holds[0]}"
    elif inside := [p.parent for p in sources[1:] if out.is_relative_to(p.parent)]:
        why = f"it lies in {inside[0]}, the folder of the package's data"
    if why:
        raise ReleaseError(
            f"--out {out_dir} is refused: {why}; a release must be written outside the "
            "package's sources (for example --out dist); nothing was written"
        )
    return out


def _release_listing(folder: Path) -> set[str] | None:
    """The names a release folder we wrote holds, by its SHA256SUMS; ``None`` if it is not one.

    A release folder holds only regular files: ``SHA256SUMS`` and the files it lists
    (which include ``datapackage.json``).
    """
    sums = folder / CHECKSUMS
    try:
        if sums.is_symlink() or not sums.is_file() or sums.stat().st_size > 1 << 20:
            return None
        text = sums.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return None
    names = set()
    for line in text.splitlines():
        parts = line.split("  ", 1)
        if len(parts) != 2 or len(parts[0]) != 64 or "/" in parts[1] or "\\" in parts[1]:
            return None
        names.add(parts[1])
    if DESCRIPTOR not in names or CHECKSUMS in names or {"", ".", ".."} & names:
        return None
    return names | {CHECKSUMS}


def _not_a_release(path: Path, why: str) -> ReleaseError:
    return ReleaseError(
        f"{path} exists but is not a release that zonedata wrote ({why}); --force replaces "
        "only its own releases: move or remove it yourself"
    )


def check_replaceable(folder: Path, zip_path: Path) -> None:
    """With ``--force``: whatever is at the release's folder and zip must be a release.

    The folder must be a real folder (not a symlink) holding regular files only, exactly
    those its ``SHA256SUMS`` lists and ``SHA256SUMS``; the zip a regular file (not a
    symlink) whose entries all lie in the release's folder. Anything else (a folder of
    the user's that has the release's name, a symlink to one) is refused, not removed.
    """
    if folder.is_symlink():
        raise _not_a_release(folder, "a symlink")
    if folder.exists():
        if not folder.is_dir():
            raise _not_a_release(folder, "not a folder")
        names = _release_listing(folder)
        if names is None:
            raise _not_a_release(folder, f"no valid {CHECKSUMS}")
        for entry in folder.iterdir():
            if entry.name not in names:
                raise _not_a_release(folder, f"it holds {entry.name}, which {CHECKSUMS} omits")
            if entry.is_symlink() or not entry.is_file():
                raise _not_a_release(folder, f"{entry.name} is not a regular file")
    if zip_path.is_symlink():
        raise _not_a_release(zip_path, "a symlink")
    if zip_path.exists():
        if not zip_path.is_file():
            raise _not_a_release(zip_path, "not a regular file")
        import zipfile

        stem = zip_path.name.removesuffix(".zip")
        try:
            with zipfile.ZipFile(zip_path) as zf:
                entries = zf.namelist()
        except (OSError, zipfile.BadZipFile, ValueError):
            raise _not_a_release(zip_path, "not a zip file") from None
        if not entries or not all(is_entry_below(n, stem) for n in entries):
            raise _not_a_release(zip_path, f"it holds files outside {stem}/")


def remove_old_release(aside: Path) -> None:
    """Remove a replaced release folder (moved aside): only the files it lists, then it.

    A file that appeared in it meanwhile is left, and so is the folder then, under its
    temporary name.
    """
    if aside.is_symlink() or not aside.is_dir():
        with contextlib.suppress(OSError):
            aside.unlink()  # a symlink that check_replaceable would have refused: itself only
        return
    for name in _release_listing(aside) or ():
        entry = aside / name
        if entry.is_file() and not entry.is_symlink():
            with contextlib.suppress(OSError):
                entry.unlink()
    with contextlib.suppress(OSError):
        aside.rmdir()


def _check_write_target(path: Path) -> None:
    """Defence in depth: a build writes only its temporaries inside the output folder.

    That is a file whose name is one of :func:`_temp_name`'s (in the output folder), or a
    plain file name (no ``..``, no separator, not hidden) directly inside a folder so
    named. A path built from a hostile name (``tmp/../../x.parquet``) fails both.
    """
    name, parent = path.name, path.parent
    plain = is_plain_relative(name) and "/" not in name and not name.startswith(".")
    if _TEMP_RE.match(name) and ".." not in parent.parts:
        return
    if plain and _TEMP_RE.match(parent.name) and ".." not in parent.parts:
        return
    raise ReleaseError(f"refused to write {path}: it is not inside the build's folder")


# --- the build ---------------------------------------------------------------------


@dataclass
class _Plan:
    """What a build reads and where it writes, checked before anything is written."""

    desc_file: Path
    package: Package
    version: str
    out_dir: Path
    force: bool
    #: resources left out: documents (Markdown, a PDF...), not tables
    documents: tuple[str, ...] = ()

    @property
    def stem(self) -> str:
        return release_stem(self.package.name, self.version)

    @property
    def folder(self) -> Path:
        return self.out_dir / self.stem

    @property
    def zip_path(self) -> Path:
        return self.out_dir / f"{self.stem}.zip"

    def existing(self) -> list[Path]:
        return [p for p in (self.folder, self.zip_path) if p.exists() or p.is_symlink()]


@dataclass
class _Written:
    """The files a build wrote into its temporary folder."""

    files: dict[str, ReleasedFile] = field(default_factory=dict)
    tables: list[tuple[str, int]] = field(default_factory=list)
    #: the release schema of a table read again for the release (not its source's)
    released: dict[str, Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    checksums: bytes = b""
    derived: list[Table] = field(default_factory=list)

    def add(self, f: ReleasedFile) -> None:
        self.files[f.name] = f


def plan_release(
    path: str | Path | None, version: str | None, out: str | Path, force: bool
) -> _Plan:
    """Read the package and check the version and the output folder; nothing is written."""
    desc_file = descriptor_path(path)
    package, documents = read_source_package(desc_file)
    if version is None and not package.version:
        raise ReleaseError("the descriptor has no version: pass --version")
    # (--version is the user's choice: usable as it stands; the descriptor's is escaped)
    v = check_version(version) if version is not None else check_descriptor_version(package.version)
    for t in package.tables:
        if "://" in t.path:
            raise ReleaseError(
                f"table {t.name!r} is remote ({t.path}); only local files can be released"
            )
    unwritable = [
        p for p in publishable.check_tables(package, str(desc_file)) if p.severity == "error"
    ]
    if unwritable:  # (validate reports them too, with their rule codes)
        p = unwritable[0]
        raise ReleaseError(f"{desc_file}: {p.message.rstrip('.')} ({p.code}); nothing was written")
    plan = _Plan(desc_file, package, v, Path(out), force, tuple(documents))
    check_out(plan.out_dir, package, desc_file)
    if plan.existing() and not force:
        raise ReleaseExistsError(_exists_message(plan.existing()))
    if force:
        check_replaceable(plan.folder, plan.zip_path)
    return plan


def _source_stat(path: Path) -> tuple[int, int] | None:
    """A source file's (size, modification time); ``None`` if it cannot be looked at
    (validation then reports why: a NUL in the path, a missing file...)."""
    try:
        st = path.stat()
    except (OSError, ValueError):
        return None
    return st.st_size, st.st_mtime_ns


def copy_csv(
    folder: Path, package: Package, table: Table, before: tuple[int, int] | None
) -> ReleasedFile:
    """Copy a table's CSV file, the canonical bytes, into ``folder``.

    ``before`` is the file's (size, modification time) before validation read it: a
    file changed since is refused, so the CSV copy holds what validation read.
    """
    source = package.file(table)

    def pieces() -> Iterable[bytes]:
        with open(source, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk

    info = _write(folder / table_file(table.name, "csv"), pieces())
    if before is None or _source_stat(source) != before or info.bytes != before[0]:
        raise ReleaseError(f"{source} changed while the release was built; build it again")
    return info


def write_tables(
    folder: Path, plan: _Plan, report: Report, stats: dict[str, tuple[int, int] | None]
) -> _Written:
    """Every table's Parquet, JSON and CSV files, then the derived tables' and the database."""
    release_pkg = Package(
        descriptor={**plan.package.descriptor, "version": plan.version},
        base_path=plan.package.base_path,
        tables=plan.package.tables,
    )
    derived = derive_all(release_pkg, report.data)
    out = _Written(derived=[d.table for d in derived])
    validated = validated_tables(report)
    typed_tables: list[tuple[Table, pa.Table]] = []
    for t in plan.package.tables:
        if t.name in report.released:  # read by frictionless
            t, raw, typed, csv_file = release_foreign_table(
                folder, plan, t, validated, report.released[t.name], stats[t.name]
            )
            out.released[t.name] = t
        elif t.name in validated and not is_plain_file(t):
            t, raw, typed, csv_file = release_text_table(folder, t, validated, release_pkg)
            out.released[t.name] = t
        else:
            raw, typed = released_table(validated, t, release_pkg)
            csv_file = copy_csv(folder, plan.package, t, stats[t.name])
        out.tables.append((t.name, typed.num_rows))
        for f in write_table(folder, t, raw, typed):
            out.add(f)
        out.add(csv_file)
        _checkpoint(f"wrote {table_file(t.name, 'csv')}")
        typed_tables.append((t, typed))
        del raw
    from zonedata.descriptor.arrow import with_release_schema

    for d in derived:
        typed = with_release_schema(d.typed, d.table, release_pkg)
        out.tables.append((d.table.name, typed.num_rows))
        for f in write_table(folder, d.table, d.raw, typed):
            out.add(f)
        out.add(_write(folder / table_file(d.table.name, "csv"), d.csv))
        _checkpoint(f"wrote {table_file(d.table.name, 'csv')}")
        typed_tables.append((d.table, typed))
    out.add(write_database_file(folder, plan.package.name, plan.version, typed_tables, derived))
    return out


def is_plain_file(table: Table) -> bool:
    """Whether the table's CSV file can be copied as it is: one file, not compressed,
    cells separated by commas (a release's CSV files are read with commas)."""

    return (
        len(table.parts) <= 1
        and compression(table.descriptor, table.path) is None
        and table.delimiter == ","
    )


def release_text_table(
    folder: Path,
    table: Table,
    validated: dict[str, tuple[pa.Table, pa.Table]],
    package: Package,
) -> tuple[Table, pa.Table, pa.Table, ReleasedFile]:
    """A table validation read from a compressed or multipart file, or one whose cells
    are separated by another character than a comma: its CSV file is
    written from the cells validation read (UTF-8, comma, LF), its resource without the
    source file's dialect and compression. (release table, text, typed, CSV file)."""

    released = Table.from_descriptor(plain_csv_descriptor(table.descriptor))
    raw, typed = released_table(validated, table, package)
    columns = [raw.column(n).to_pylist() for n in released.field_names]
    data = csv_bytes(released.field_names, columns)
    return released, raw, typed, _write(folder / table_file(table.name, "csv"), data)


def release_foreign_table(
    folder: Path,
    plan: _Plan,
    table: Table,
    validated: dict[str, tuple[pa.Table, pa.Table]],
    released: Table,
    before: tuple[int, int] | None,
) -> tuple[Table, pa.Table, pa.Table, ReleasedFile]:
    """A table validation left to frictionless (a field type or option, a format the fast
    path does not read): its CSV file is written from the cells validation read
    (:mod:`zonedata.validate.foreign_read`), as ``released`` describes it. (release table,
    text, typed, CSV file)."""

    package = plan.package
    if table.path and before is not None and _source_stat(package.file(table)) != before:
        raise ReleaseError(
            f"{package.file(table)} changed while the release was built; build it again"
        )
    release_pkg = Package(
        descriptor={**package.descriptor, "version": plan.version},
        base_path=package.base_path,
        tables=(released,),
    )
    raw, typed = released_table(validated, released, release_pkg)
    columns = [raw.column(n).to_pylist() for n in released.field_names]
    data = csv_bytes(released.field_names, columns)
    return released, raw, typed, _write(folder / table_file(table.name, "csv"), data)


def write_database_file(
    folder: Path,
    package_name: str,
    version: str,
    tables: list[tuple[Table, pa.Table]],
    derived: list[Derived],
) -> ReleasedFile:
    """The release's SQLite database (see :mod:`zonedata.release.database`)."""
    import sqlite3

    path = folder / database_name(package_name, version)
    _check_write_target(path)
    try:
        write_database(path, tables, {d.table.name: d.sql for d in derived})
    except (sqlite3.Error, ValueError) as e:
        raise ReleaseError(f"cannot write {path.name}: {e}") from e
    size, sha256 = _file_digest(path)
    _checkpoint(f"wrote {path.name}")
    return ReleasedFile(path.name, size, sha256)


def write_metadata(folder: Path, plan: _Plan, written: _Written) -> None:
    """The release descriptor and ``SHA256SUMS``, last, once every other file is written."""
    tables = [
        Table.from_descriptor(
            {
                **written.released.get(t.name, t).descriptor,
                "path": t.path or table_file(t.name, "csv"),
            }
        )
        for t in plan.package.tables
    ]
    tables += written.derived
    package = Package(descriptor=plan.package.descriptor, base_path=folder, tables=tuple(tables))
    descriptor = release_descriptor(package, plan.version, written.files, written.tables)
    desc_bytes = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    written.add(_write(folder / DESCRIPTOR, desc_bytes))
    _checkpoint(f"wrote {DESCRIPTOR}")
    written.checksums = checksums_text(list(written.files.values())).encode("ascii")
    _write(folder / CHECKSUMS, written.checksums)
    _checkpoint(f"wrote {CHECKSUMS}")
    _fsync_dir(folder)


def commit_release(plan: _Plan, tmp_dir: Path, tmp_zip: Path) -> tuple[bool, Path | None]:
    """Move the zip, then the folder, into place; (whether a release was replaced, the
    old folder moved aside, for the caller to remove).

    The folder is renamed last, so that it exists only with its zip.
    """
    folder, zip_path = plan.folder, plan.zip_path
    current = plan.existing()
    if current and not plan.force:
        raise ReleaseExistsError(_exists_message(current))
    aside: Path | None = None
    try:
        if plan.force:
            check_replaceable(folder, zip_path)
            if folder.exists() or folder.is_symlink():
                aside = plan.out_dir / _temp_name(plan.stem, "old")
                os.rename(folder, aside)
                _checkpoint(f"moved the old {folder.name} aside")
            os.replace(tmp_zip, zip_path)
        else:
            _place_new(tmp_zip, zip_path)
    except BaseException:
        if aside is not None and not folder.exists():  # failed before the swap: put it back
            with contextlib.suppress(OSError):
                os.rename(aside, folder)
        raise
    _checkpoint(f"renamed {zip_path.name}")
    try:
        os.rename(tmp_dir, folder)
    except OSError as e:
        with contextlib.suppress(OSError):
            zip_path.unlink()
        if aside is not None:  # the old folder's zip is gone: the old folder goes too
            remove_old_release(aside)
        raise ReleaseError(f"cannot move the release into {folder}: {e.strerror or e}") from e
    _fsync_dir(plan.out_dir)
    _checkpoint(f"renamed {folder.name}")
    return bool(current), aside


def build_release(
    path: str | Path | None = None,
    *,
    version: str | None = None,
    out: str | Path = "dist",
    force: bool = False,
) -> BuildResult:
    """Validate the package at ``path`` and write its release into ``out``.

    Raises :class:`ValidationFailedError` if the package has validation errors,
    :class:`ReleaseExistsError` if the release exists and ``force`` is false, and
    :class:`ReleaseError` for anything else that stops the build (a
    :class:`zonedata.errors.DerivedTableError` if a derived table's SQL is refused or its
    rows break its schema).
    """
    started = time.monotonic()
    plan = plan_release(path, version, out, force)
    stats = {
        t.name: _source_stat(plan.package.file(t)) if t.path else None for t in plan.package.tables
    }
    report = run_validation(plan.desc_file)
    if report.errors:
        raise ValidationFailedError(report)
    check_validated(plan, report)
    warnings = len(report.warnings)
    epoch, epoch_source = release_epoch(plan.package, plan.desc_file)
    out_dir = plan.out_dir
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ReleaseError(f"cannot create {out_dir}: {e.strerror or e}") from e
    # the temporaries go in the real folder, checked again now that it exists: an --out
    # given as ../dist or data/../out is fine, and every path written is free of ``..``
    real_out = check_out(out_dir, plan.package, plan.desc_file)
    notes = [f"removed leftover {n}" for n in clean_stale_temporaries(real_out)]
    notes += [f"left out resource {d!r}: a document, not a table" for d in plan.documents]
    if not names.is_usable_version(plan.version):
        notes.append(f"the version {plan.version[:40]!r} names the release's files {plan.stem!r}")

    tmp_dir = real_out / _temp_name(plan.stem, "tmp")
    tmp_zip = real_out / _temp_name(plan.stem + ".zip", "tmp")
    aside: Path | None = None
    try:
        tmp_dir.mkdir()
        _checkpoint(f"created {tmp_dir.name}")
        written = write_tables(tmp_dir, plan, report, stats)
        write_metadata(tmp_dir, plan, written)
        _check_write_target(tmp_zip)
        write_zip(tmp_zip, sorted(tmp_dir.iterdir()), plan.stem, epoch)
        zip_size, zip_sha256 = _file_digest(tmp_zip)
        _checkpoint(f"wrote {tmp_zip.name}")
        replaced, aside = commit_release(plan, tmp_dir, tmp_zip)
    except OSError as e:
        raise ReleaseError(f"cannot write the release in {out_dir}: {e.strerror or e}") from e
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            tmp_zip.unlink()
        if aside is not None:
            remove_old_release(aside)

    sums = written.checksums
    files = sorted(
        [
            *written.files.values(),
            ReleasedFile(CHECKSUMS, len(sums), hashlib.sha256(sums).hexdigest()),
        ],
        key=lambda f: f.name,
    )
    return BuildResult(
        name=plan.package.name,
        version=plan.version,
        folder=plan.folder,
        zip_path=plan.zip_path,
        zip_bytes=zip_size,
        zip_sha256=zip_sha256,
        files=files,
        tables=written.tables,
        epoch=epoch,
        epoch_source=epoch_source,
        seconds=time.monotonic() - started,
        warnings=warnings,
        replaced=replaced,
        notes=notes + written.notes,
    )


def _exists_message(paths: list[Path]) -> str:
    shown = " and ".join(str(p) for p in paths)
    verb = "exist" if len(paths) > 1 else "exists"
    hint = ""
    if len(paths) == 1 and paths[0].suffix == ".zip":
        hint = " (without its folder: perhaps an interrupted build)"
    return f"{shown} already {verb}{hint}: use --force to replace the release"
