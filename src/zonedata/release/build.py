"""Build a release: validate, then write Parquet, JSON, a release descriptor, checksums and a zip.

Layout, for version V in the output folder DIR::

    DIR/zonedata-V/<table>.parquet   one per table, typed (see zonedata.release.formats)
    DIR/zonedata-V/<table>.json      one per table, exact text, native JSON types
    DIR/zonedata-V/datapackage.json  the release descriptor (Frictionless v2)
    DIR/zonedata-V/SHA256SUMS        "<sha256>  <file>" for every other file, for sha256sum -c
    DIR/zonedata-V.zip               the folder above, as one deterministic zip

Reproducible: the files depend only on the package, the version and the library
versions (pyarrow names itself in the Parquet footer; the ``release`` extra pins it).
The only timestamp, the zip entries' time, is ``SOURCE_DATE_EPOCH`` if set, else the
time of the last git commit that touched the descriptor or the data, else 1980-01-01.

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

from zonedata.model.descriptor import DescriptorError, Package, Table, read_package
from zonedata.release.archive import CHECKSUMS, DESCRIPTOR, ZIP_EPOCH_MIN, write_zip
from zonedata.release.errors import ReleaseError, ReleaseExistsError, ValidationFailedError

if TYPE_CHECKING:
    import pyarrow as pa

    from zonedata.validate.engine import Report

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"
JSON_MEDIATYPE = "application/json"
#: Resource property holding a released file's size in bytes. Not the standard ``bytes``:
#: frictionless 5.21 never counts the bytes of Parquet or JSON resources, so ``bytes`` on
#: them makes ``frictionless validate`` report a byte-count error for every file.
BYTES_PROPERTY = "zonedata:bytes"
#: Suffix of the name of a table's JSON resource.
JSON_SUFFIX = "-json"
#: The zip time when neither SOURCE_DATE_EPOCH nor git gives one: 1980-01-01T00:00:00Z.
FALLBACK_EPOCH = ZIP_EPOCH_MIN
#: Tests only: seconds to sleep at each step of a build, announcing the step on stderr,
#: so that a test can kill the build at a chosen moment.
SLOW_ENV = "ZONEDATA_TEST_SLOW_RELEASE"

VERSION_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]*")
_TEMP_RE = re.compile(r"^\.zonedata-.+\.(?:tmp|old)-(\d+)-[0-9A-Za-z_]+$")
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
    from zonedata.model.descriptor import bundled_package_path

    p = Path(path) if path is not None else bundled_package_path()
    return p / DESCRIPTOR if p.is_dir() else p


def check_version(version: str) -> str:
    """A release version usable in a file name (``1.2.0``, ``2026.03``, ``1.0.0rc1``)."""
    if not VERSION_RE.fullmatch(version) or ".." in version:
        raise ReleaseError(
            f"{version!r} is not a usable release version: use letters, digits, '.', '+', '_' "
            "and '-', starting with a letter or digit"
        )
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
    paths = [descriptor_file.name, *sorted({t.path for t in package.tables if "://" not in t.path})]
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
    import pyarrow as pa

    from zonedata.model.arrow import arrow_schema

    if table.name not in validated:
        raise ReleaseError(f"{table.path}: validation did not read this table")
    raw, arrow = validated.pop(table.name)
    schema = arrow_schema(table, package)
    columns = [c.cast(f.type) for c, f in zip(arrow.columns, schema, strict=True)]
    return raw, pa.Table.from_arrays(columns, schema=schema)


# --- the release descriptor --------------------------------------------------------


def _resource(
    t: Table, path: str, name: str, fmt: str, mediatype: str, info: ReleasedFile
) -> dict[str, Any]:
    src = t.descriptor
    r: dict[str, Any] = {"name": name, "type": "table"}
    for key in ("title", "description"):
        if key in src:
            r[key] = src[key]
    r["path"] = path
    r["format"] = fmt
    r["mediatype"] = mediatype
    if fmt == "json":
        r["encoding"] = "utf-8"
    r[BYTES_PROPERTY] = info.bytes
    r["hash"] = f"sha256:{info.sha256}"
    for key, value in src.items():
        if key not in r and key not in _FILE_PROPS and key not in ("name", "type", "schema"):
            r[key] = value
    r["schema"] = src["schema"]
    return r


def release_descriptor(
    package: Package, version: str, files: dict[str, ReleasedFile]
) -> dict[str, Any]:
    """The release's ``datapackage.json``: the package's metadata, resources for its files."""
    d: dict[str, Any] = {"$schema": PROFILE}
    for key, value in package.descriptor.items():
        if key not in ("$schema", "resources", "profile"):
            d[key] = value
    d["version"] = version
    resources = [
        _resource(
            t, f"{t.name}.parquet", t.name, "parquet", PARQUET_MEDIATYPE, files[f"{t.name}.parquet"]
        )
        for t in package.tables
    ]
    resources += [
        _resource(
            t,
            f"{t.name}.json",
            t.name + JSON_SUFFIX,
            "json",
            JSON_MEDIATYPE,
            files[f"{t.name}.json"],
        )
        for t in package.tables
    ]
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
    """Write ``data`` (bytes, or pieces of them) durably; its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with open(path, "wb") as fh:
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
        out.append(_write(folder / f"{table.name}.parquet", formats.parquet_bytes(typed, table)))
        _checkpoint(f"wrote {table.name}.parquet")
        out.append(_write(folder / f"{table.name}.json", formats.json_chunks(table, raw, typed)))
        _checkpoint(f"wrote {table.name}.json")
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
            stale = not _pid_alive(int(m.group(1)))
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


# --- the build ---------------------------------------------------------------------


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
    :class:`ReleaseError` for anything else that stops the build.
    """
    started = time.monotonic()
    desc_file = descriptor_path(path)
    try:
        package = read_package(desc_file)
    except DescriptorError as e:
        raise ReleaseError(str(e)) from e
    if version is None and not package.version:
        raise ReleaseError("the descriptor has no version: pass --version")
    v = check_version(version if version is not None else package.version)
    for t in package.tables:
        if "://" in t.path:
            raise ReleaseError(
                f"table {t.name!r} is remote ({t.path}); only local files can be released"
            )

    out_dir = Path(out)
    stem = f"zonedata-{v}"
    folder = out_dir / stem
    zip_path = out_dir / f"{stem}.zip"

    def exists() -> list[Path]:
        return [p for p in (folder, zip_path) if p.exists() or p.is_symlink()]

    if exists() and not force:
        raise ReleaseExistsError(_exists_message(exists()))

    report = run_validation(desc_file)
    if report.errors:
        raise ValidationFailedError(report)
    warnings = len(report.warnings)

    epoch, epoch_source = release_epoch(package, desc_file)
    release_pkg = Package(
        descriptor={**package.descriptor, "version": v},
        base_path=package.base_path,
        tables=package.tables,
    )

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ReleaseError(f"cannot create {out_dir}: {e.strerror or e}") from e
    notes = [f"removed leftover {n}" for n in clean_stale_temporaries(out_dir)]

    tmp_dir = out_dir / _temp_name(stem, "tmp")
    tmp_zip = out_dir / _temp_name(stem + ".zip", "tmp")
    aside: Path | None = None
    zip_placed = False
    try:
        tmp_dir.mkdir()
        _checkpoint(f"created {tmp_dir.name}")
        written: dict[str, ReleasedFile] = {}
        tables: list[tuple[str, int]] = []
        validated = validated_tables(report)
        for t in package.tables:
            raw, typed = released_table(validated, t, release_pkg)
            tables.append((t.name, typed.num_rows))
            for f in write_table(tmp_dir, t, raw, typed):
                written[f.name] = f
            del raw, typed

        descriptor = release_descriptor(package, v, written)
        desc_bytes = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        written[DESCRIPTOR] = _write(tmp_dir / DESCRIPTOR, desc_bytes)
        _checkpoint(f"wrote {DESCRIPTOR}")
        sums = checksums_text(list(written.values())).encode("ascii")
        _write(tmp_dir / CHECKSUMS, sums)
        _checkpoint(f"wrote {CHECKSUMS}")
        _fsync_dir(tmp_dir)

        write_zip(tmp_zip, sorted(tmp_dir.iterdir()), stem, epoch)
        zip_size, zip_sha256 = _file_digest(tmp_zip)
        _checkpoint(f"wrote {tmp_zip.name}")

        # Commit: the folder is renamed last, so that it exists only with its zip.
        current = exists()
        if current and not force:
            raise ReleaseExistsError(_exists_message(current))
        replaced = bool(current)
        if force and (folder.exists() or folder.is_symlink()):
            aside = out_dir / _temp_name(stem, "old")
            os.rename(folder, aside)
            _checkpoint(f"moved the old {folder.name} aside")
        if force:
            os.replace(tmp_zip, zip_path)
        else:
            _place_new(tmp_zip, zip_path)
        zip_placed = True
        _checkpoint(f"renamed {zip_path.name}")
        try:
            os.rename(tmp_dir, folder)
        except OSError as e:
            with contextlib.suppress(OSError):
                zip_path.unlink()
            raise ReleaseError(f"cannot move the release into {folder}: {e.strerror or e}") from e
        _fsync_dir(out_dir)
        _checkpoint(f"renamed {folder.name}")
    except OSError as e:
        raise ReleaseError(f"cannot write the release in {out_dir}: {e.strerror or e}") from e
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            tmp_zip.unlink()
        if aside is not None:
            if not zip_placed and not folder.exists():  # failed before the swap: put it back
                with contextlib.suppress(OSError):
                    os.rename(aside, folder)
            shutil.rmtree(aside, ignore_errors=True)

    files = sorted(
        [*written.values(), ReleasedFile(CHECKSUMS, len(sums), hashlib.sha256(sums).hexdigest())],
        key=lambda f: f.name,
    )
    return BuildResult(
        name=package.name,
        version=v,
        folder=folder,
        zip_path=zip_path,
        zip_bytes=zip_size,
        zip_sha256=zip_sha256,
        files=files,
        tables=tables,
        epoch=epoch,
        epoch_source=epoch_source,
        seconds=time.monotonic() - started,
        warnings=warnings,
        replaced=replaced,
        notes=notes,
    )


def _exists_message(paths: list[Path]) -> str:
    shown = " and ".join(str(p) for p in paths)
    verb = "exist" if len(paths) > 1 else "exists"
    hint = ""
    if len(paths) == 1 and paths[0].suffix == ".zip":
        hint = " (without its folder: perhaps an interrupted build)"
    return f"{shown} already {verb}{hint}: use --force to replace the release"
