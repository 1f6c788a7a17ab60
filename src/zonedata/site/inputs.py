"""What a site is built from: a package (validated first) or a release (verified).

:func:`from_package` validates the package (an invalid one is refused with the report)
and takes its tables as validated; :func:`from_release` reads a release folder with the
release reader and takes its Parquet tables, each verified against its recorded SHA-256.
Either way the downloads are the bytes read and checked here (see
:mod:`zonedata.site.publish`); a file the site may not publish is left out and named in
:attr:`SiteInput.left_out`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from zonedata.descriptor.files import descriptor_in
from zonedata.descriptor.package import (
    DescriptorError,
    Package,
    Table,
    bundled_package_path,
)
from zonedata.errors import SiteError, ZonedataError
from zonedata.limits import current_limits
from zonedata.names import file_stem, is_table_name
from zonedata.paths import is_plain_relative
from zonedata.release import reader
from zonedata.release.archive import CHECKSUMS, DESCRIPTOR
from zonedata.release.derived import derive_all
from zonedata.site.publish import (
    PACKAGE_TYPES,
    RELEASE_TYPES,
    no_symlink,
    read_published,
    type_allowed,
)
from zonedata.validate.engine import validate_package
from zonedata.validate.foreign_read import read_table
from zonedata.validate.render import render

if TYPE_CHECKING:
    from zonedata.release.derived import Derived
    from zonedata.validate.engine import Report
    from zonedata.validate.tabledata import TableData


class InvalidPackageError(SiteError):
    """The package does not validate: no site is built (``zonedata site`` exits 1)."""


@dataclass(frozen=True)
class Download:
    """A file offered by the site, with the bytes that were checked."""

    group: str  # the table it belongs to, or "" for the package or release as a whole
    href: str  # relative to the site root
    label: str
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class SiteInput:
    """The package, its tables' rows (Python values), its downloads, what was left out."""

    package: Package
    rows: dict[str, list[dict[str, Any]]]
    downloads: list[Download]
    from_release: str | None = None
    #: the package's folder (its declared templates and files), None for a release
    base: Path | None = None
    #: the descriptor whose ``zonedata:site`` declaration applies (default: the package's)
    declaring: dict[str, Any] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)


def from_package(path: str | os.PathLike[str] | None) -> SiteInput:
    """Validate the package at ``path`` (default: bundled) and take what was validated."""
    package, report = validated(path)
    rows = {t.name: validated_rows(package, t, report.data.get(t.name)) for t in package.tables}
    left_out: list[str] = []
    downloads = _package_downloads(package, Path(report.package).name, left_out)
    package = _with_derived(package, report.data, rows)  # derived tables have no file yet
    site = SiteInput(package, rows, downloads, base=package.base_path, declaring=package.descriptor)
    site.left_out = left_out
    return site


def _package_downloads(
    package: Package, descriptor_name: str, left_out: list[str]
) -> list[Download]:
    """The descriptor, then each table's local files (of the types a site offers)."""
    limit = current_limits().max_file_bytes
    base = package.base_path
    name = descriptor_name if is_plain_relative(descriptor_name) else DESCRIPTOR
    downloads = [Download("", f"downloads/{name}", name, read_published(base, name, limit))]
    for t in package.tables:
        for part in t.parts:
            if not is_plain_relative(part) or not type_allowed(part, PACKAGE_TYPES):
                left_out.append(f"{part!r} (table {t.name!r}): not a local data file; not offered")
                continue
            content = read_published(base, part, limit)
            downloads.append(
                Download(t.name, f"downloads/{part}", PurePosixPath(part).name, content)
            )
    return downloads


def validated(path: str | os.PathLike[str] | None) -> tuple[Package, Report]:
    """The package at ``path`` (default: bundled) and its validation report; a package
    that does not validate is refused (:class:`InvalidPackageError`, with the report)."""

    where = Path(path) if path is not None else bundled_package_path()
    with contextlib.suppress(OSError, ValueError):  # (validate says what is wrong with it)
        where = descriptor_in(where)
    report = validate_package(where)
    if not report.valid():
        raise InvalidPackageError(render(report, "text", max_problems=10).rstrip())
    if report.descriptor is None:  # (a valid package's descriptor was read)
        raise SiteError(f"{report.package}: the descriptor could not be read")
    try:  # as validation read it: an inferred schema included, documents left out
        return Package.from_descriptor(report.descriptor, where.parent), report
    except DescriptorError as e:
        raise SiteError(str(e)) from e


def validated_rows(package: Package, t: Table, data: TableData | None) -> list[dict[str, Any]]:
    """A table's rows as validation read them; a table frictionless validated (a type or
    format the fast path leaves to it) is read as ``release`` reads it for its files."""
    if data is not None and data.arrow is not None:
        rows: list[dict[str, Any]] = data.arrow.to_pylist()
        return rows

    try:
        _, _, typed, _ = read_table(package.descriptor, package.base_path, t)
    except ZonedataError as e:
        raise SiteError(f"table {t.name!r} cannot be read for its page: {e}") from e
    return list(typed.to_pylist())


def _with_derived(
    package: Package, data: dict[str, TableData], rows: dict[str, list[dict[str, Any]]]
) -> Package:
    """The package with the tables it declares as derived, derived as ``release`` does
    (their rows are added to ``rows``), so its site shows what its release will hold."""
    derived = derived_tables(package, data)
    for d in derived:
        rows[d.table.name] = d.typed.to_pylist()
    return replace(package, tables=(*package.tables, *(d.table for d in derived)))


def derived_tables(package: Package, data: dict[str, TableData]) -> list[Derived]:
    """The tables ``package`` declares as derived, derived from its validated ``data`` as
    ``release`` derives them."""

    try:
        return derive_all(package, data)
    except ZonedataError as e:
        raise SiteError(f"the derived tables cannot be derived: {e}") from e


def from_release(path: str | os.PathLike[str]) -> SiteInput:
    """A release folder (or its ``datapackage.json``): tables and files, each verified."""
    folder = Path(path)
    if folder.name == DESCRIPTOR:
        folder = folder.parent
    if not (folder / DESCRIPTOR).is_file():
        raise SiteError(f"{folder} is not a release folder (no {DESCRIPTOR} in it)")
    try:
        with reader.open_release(folder) as files:
            reader.check_is_release(files)
            return _read_release(folder, files)
    except SiteError:
        raise
    except ZonedataError as e:
        raise SiteError(f"cannot read the release {folder}: {e}") from e


def _read_release(folder: Path, files: reader.ReleaseFiles) -> SiteInput:
    descriptor = files.descriptor()
    resources = [r for r in descriptor["resources"] if isinstance(r, Mapping)]
    main = [r for r in resources if reader.is_parquet(r) and isinstance(r.get("schema"), dict)]
    try:
        package = Package.from_descriptor({**descriptor, "resources": main}, folder)
    except DescriptorError as e:
        raise SiteError(f"cannot read the release's tables: {e}") from e
    limit = current_limits().max_file_bytes
    rows = {}
    for t in package.tables:
        data = _verified(folder, files, t.path)
        arrow = reader.read_parquet(data, files.display(t.path), max_bytes=limit)
        rows[t.name] = arrow.to_pylist()
    site = SiteInput(package, rows, [], from_release=folder.name, declaring=descriptor)
    site.downloads = _release_downloads(folder, files, resources, package, site.left_out)
    return site


def _verified(folder: Path, files: reader.ReleaseFiles, rel: str) -> bytes:
    """A release file's bytes: a regular file reached without a symlink, hash checked."""
    no_symlink(folder.resolve(), rel)
    return files.read_recorded(rel)


def _release_downloads(
    folder: Path,
    files: reader.ReleaseFiles,
    resources: list[Mapping[str, Any]],
    package: Package,
    left_out: list[str],
) -> list[Download]:
    """The zip, the descriptor and checksums, then each table's files in table order."""
    stem = file_stem(folder.name) if is_table_name(folder.name) else "release"
    base = f"downloads/{stem}"
    descriptor_bytes = files.read(DESCRIPTOR)
    downloads = _zip_download(folder, descriptor_bytes, f"downloads/{stem}.zip", left_out)
    downloads.append(Download("", f"{base}/{DESCRIPTOR}", DESCRIPTOR, descriptor_bytes))
    sums = _checksums(folder, files, resources, descriptor_bytes, left_out)
    if sums is not None:
        downloads.append(Download("", f"{base}/{CHECKSUMS}", CHECKSUMS, sums))
    groups = {PurePosixPath(t.path).stem: t.name for t in package.tables}
    order = {t.name: i for i, t in enumerate(package.tables)}
    table_files = []
    for r in resources:
        rel = r.get("path")
        if not isinstance(rel, str) or not type_allowed(rel, RELEASE_TYPES):
            left_out.append(
                f"release file {str(rel)[:120]!r}: not a type a release writes; not offered"
            )
            continue
        group = groups.get(PurePosixPath(rel).stem, "")
        content = _verified(folder, files, rel)
        table_files.append(Download(group, f"{base}/{rel}", PurePosixPath(rel).name, content))
    table_files.sort(key=lambda d: (order.get(d.group, -1), d.href))
    return downloads + table_files


def _checksums(
    folder: Path,
    files: reader.ReleaseFiles,
    resources: list[Mapping[str, Any]],
    descriptor_bytes: bytes,
    left_out: list[str],
) -> bytes | None:
    """SHA256SUMS, if every line agrees with the descriptor's hashes (else left out)."""
    if CHECKSUMS not in files:
        return None
    try:
        no_symlink(folder.resolve(), CHECKSUMS)
        data = files.read(CHECKSUMS)
    except ZonedataError as e:
        left_out.append(f"{CHECKSUMS}: {e}; not offered")
        return None
    recorded = {
        str(r.get("path")): str(r.get("hash", "")).removeprefix("sha256:") for r in resources
    }
    recorded[DESCRIPTOR] = hashlib.sha256(descriptor_bytes).hexdigest()
    for line in data.decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        if recorded.get(name.strip()) != digest.strip().lower():
            left_out.append(
                f"{CHECKSUMS}: its line for {name.strip()[:120]!r} disagrees with the descriptor; not offered"
            )
            return None
    return data


def _zip_download(
    folder: Path, descriptor_bytes: bytes, href: str, left_out: list[str]
) -> list[Download]:
    """The release's zip beside its folder, if it holds exactly the folder's verified files."""
    zip_path = folder.parent / f"{folder.name}.zip"
    if not os.path.lexists(zip_path):
        return []
    try:
        content = read_published(folder.parent, zip_path.name, current_limits().max_file_bytes)
        _check_zip(content, zip_path.name, descriptor_bytes)
    except ZonedataError as e:
        left_out.append(f"{zip_path.name}: {e}; not offered")
        return []
    return [Download("", href, zip_path.name, content)]


def _check_zip(content: bytes, name: str, descriptor_bytes: bytes) -> None:
    """The zip's bytes (as read, in a private copy) hold the folder's descriptor and files."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="zonedata-site-") as tmp:
        copy = Path(tmp) / name
        copy.write_bytes(content)
        with reader.open_release(copy) as z:
            if z.read(DESCRIPTOR) != descriptor_bytes:
                raise SiteError("its datapackage.json differs from the folder's")
            recorded = {
                str(r.get("path")) for r in z.descriptor()["resources"] if isinstance(r, Mapping)
            }
            extra = set(z.names) - recorded - {DESCRIPTOR, CHECKSUMS}
            if extra:
                raise SiteError(
                    f"it holds files the descriptor does not record: {sorted(extra)[:3]}"
                )
            for rel in sorted(recorded):
                z.read_recorded(rel)
