"""The static data site: ``zonedata site`` writes ``dist/site/``.

A home page (what the data is, the two programmes told apart, the GDP chart, downloads
with sizes and SHA-256, how to cite), one page per table (data dictionary and every
row), one page per zone (joined from the tables) and a page for the seed article's
statements. Every link is relative and nothing is requested from outside the site, so
the folder works from ``file://`` and on GitHub Pages. The output is deterministic:
the same input gives the same bytes.

The site is built from the package itself (``zonedata.load``) or from a release folder
made by ``zonedata release`` (its ``datapackage.json`` and files).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata.errors import SiteError

if TYPE_CHECKING:
    import pandas as pd

    from zonedata.model.descriptor import Package

#: written into every site folder, so that a rebuild may replace the folder (and only then)
MARKER = ".zonedata-site"
#: the static assets shipped as package data
ASSETS = ("site.css", "site.js")
#: names safe as file names and URL fragments without escaping
SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")


@dataclass(frozen=True)
class Download:
    """A file offered on the home page, copied into the site under ``downloads/``."""

    group: str  # the table it belongs to, or "" for the package or release as a whole
    href: str  # relative to the site root
    label: str
    size: int
    sha256: str


@dataclass
class SiteData:
    """Everything the pages are built from."""

    package: Package
    frames: dict[str, pd.DataFrame]
    downloads: list[Download]
    from_release: str | None  # the release's folder name, or None for the package
    chart_svg: bytes | None
    citation: str | None


def build_site(
    out: str | os.PathLike[str], release: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Build the site into folder ``out``; return the files written, sorted.

    ``release``: a release folder made by ``zonedata release`` (or its
    ``datapackage.json``); default: the zonedata package itself. ``out`` must not exist,
    be empty, or be a site built earlier (it is then replaced as a whole).
    """
    from zonedata.site.pages import render_pages

    target = Path(out)
    _check_target(target)
    files: dict[str, bytes] = {}
    copies: dict[str, Path] = {}
    data = _read(release, copies)
    for rel, text in render_pages(data).items():
        files[rel] = text.encode("utf-8")
    for name in ASSETS:
        files[name] = resources.files("zonedata.site").joinpath("assets", name).read_bytes()
    if data.chart_svg is not None:
        files["gdp-chart.svg"] = data.chart_svg
    files[MARKER] = b"Built by `zonedata site`; a rebuild replaces this folder.\n"

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for rel, content in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        for rel, source in copies.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, path)
        os.chmod(tmp, 0o755)
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(target / rel for rel in [*files, *copies])


def _check_target(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SiteError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).is_file():
        raise SiteError(
            f"{target} is a folder that holds files but no site built by zonedata: "
            "choose another --out, or remove it first"
        )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _download(group: str, href: str, label: str, path: Path) -> Download:
    return Download(group, href, label, path.stat().st_size, sha256_file(path))


def _read(release: str | os.PathLike[str] | None, copies: dict[str, Path]) -> SiteData:
    from zonedata.model.descriptor import read_package

    bundled = read_package()
    if release is None:
        package, frames, downloads = _from_package(bundled, copies)
        from_release = None
    else:
        folder = Path(release)
        if folder.name == "datapackage.json":
            folder = folder.parent
        package, frames, downloads = _from_release(folder, copies)
        from_release = folder.name
    for n in package.table_names:
        if not SAFE_NAME.fullmatch(n):
            raise SiteError(f"table name {n!r} cannot name a page")
    zones = frames.get("zones")
    if zones is not None and "zone_id" in zones.columns:
        for z in zones["zone_id"]:
            if not SAFE_NAME.fullmatch(str(z)):
                raise SiteError(f"zone ID {z!r} cannot name a page")
    return SiteData(
        package=package,
        frames=frames,
        downloads=downloads,
        from_release=from_release,
        chart_svg=_chart(bundled),
        citation=_citation(bundled),
    )


def _from_package(
    package: Package, copies: dict[str, Path]
) -> tuple[Package, dict[str, pd.DataFrame], list[Download]]:
    """The bundled package's tables, and its descriptor and CSV files as downloads."""
    import zonedata

    frames = {n: zonedata.load(n) for n in package.table_names}
    descriptor_path = package.base_path / "datapackage.json"
    copies["downloads/datapackage.json"] = descriptor_path
    downloads = [_download("", "downloads/datapackage.json", "datapackage.json", descriptor_path)]
    for t in package.tables:
        path = package.file(t)
        rel = Path(t.path).as_posix()
        if not _safe_relative(rel):
            raise SiteError(f"table {t.name!r}: unsafe path {t.path!r}")
        copies[f"downloads/{rel}"] = path
        downloads.append(_download(t.name, f"downloads/{rel}", path.name, path))
    return package, frames, downloads


def _from_release(
    folder: Path, copies: dict[str, Path]
) -> tuple[Package, dict[str, pd.DataFrame], list[Download]]:
    """A release folder's tables (read by the release reader), and its files as downloads."""
    import zonedata
    from zonedata.model.descriptor import DescriptorError, Package
    from zonedata.release.reader import open_release

    if not (folder / "datapackage.json").is_file():
        raise SiteError(f"{folder} is not a release folder (no datapackage.json in it)")
    try:
        with open_release(folder) as files:
            descriptor = files.descriptor()
    except zonedata.ZonedataError as e:
        raise SiteError(f"cannot read {folder / 'datapackage.json'}: {e}") from e
    resources_: list[dict[str, Any]] = descriptor["resources"]
    groups = _release_groups(resources_)
    # each table's main resource; the database (no schema) is a file of the release
    main = [
        r
        for r in resources_
        if groups[str(r.get("path"))] == r.get("name") and isinstance(r.get("schema"), dict)
    ]
    try:
        package = Package.from_descriptor({**descriptor, "resources": main}, folder)
        frames = {n: zonedata.load(n, release=folder) for n in package.table_names}
    except DescriptorError as e:
        raise SiteError(f"cannot read the release's tables: {e}") from e
    except zonedata.ZonedataError as e:
        raise SiteError(f"cannot load the release: {e}") from e
    return package, frames, _release_downloads(folder, resources_, groups, package, copies)


def _release_downloads(
    folder: Path,
    resources_: list[dict[str, Any]],
    groups: dict[str, str],
    package: Package,
    copies: dict[str, Path],
) -> list[Download]:
    """The zip, the descriptor and checksums, then each table's files in table order."""
    downloads: list[Download] = []
    base = f"downloads/{_safe_name(folder.name)}"
    zip_path = folder.parent / f"{folder.name}.zip"
    if zip_path.is_file():
        rel = f"downloads/{_safe_name(folder.name)}.zip"
        copies[rel] = zip_path
        downloads.append(_download("", rel, zip_path.name, zip_path))
    for extra in ("datapackage.json", "SHA256SUMS"):
        if (folder / extra).is_file():
            copies[f"{base}/{extra}"] = folder / extra
            downloads.append(_download("", f"{base}/{extra}", extra, folder / extra))
    order = {n: i for i, n in enumerate(package.table_names)}
    files: list[Download] = []
    for r in resources_:
        rel = str(r.get("path"))
        if not _safe_relative(rel) or not (folder / rel).is_file():
            raise SiteError(f"release resource {r.get('name')!r}: no file {rel!r}")
        if f"{base}/{rel}" in copies:
            continue
        copies[f"{base}/{rel}"] = folder / rel
        group = groups[rel] if groups[rel] in order else ""  # not a table: the release's
        files.append(_download(group, f"{base}/{rel}", Path(rel).name, folder / rel))
    # each table's files together, in the descriptor's order of tables
    files.sort(key=lambda d: (order.get(d.group, -1), d.href))
    return downloads + files


def _release_groups(resources_: list[dict[str, Any]]) -> dict[str, str]:
    """Each release file's path -> the table it holds.

    A resource named ``T-suffix`` (``sources-json``) is another format of table ``T``
    when ``T`` is itself a resource of the release.
    """
    names = {str(r.get("name")) for r in resources_}
    groups: dict[str, str] = {}
    for r in resources_:
        name = str(r.get("name"))
        head = name.rsplit("-", 1)[0] if "-" in name else name
        groups[str(r.get("path"))] = head if head in names else name
    return groups


def _safe_relative(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def _chart(package: Package) -> bytes | None:
    """The committed GDP chart (docs/gdp-chart.svg beside the checkout's descriptor)."""
    path = package.base_path / "docs" / "gdp-chart.svg"
    if path.is_file():
        return path.read_bytes()
    try:  # an installed wheel has no docs/ folder: draw it, if matplotlib is there
        from zonedata.docs import TARGETS, MissingDependencyError

        try:
            return TARGETS["chart"].render(package)
        except MissingDependencyError:
            return None
    except Exception:  # a chart is a bonus; the site is built without it
        return None


def _citation(package: Package) -> str | None:
    path = package.base_path / "CITATION.cff"
    return path.read_text(encoding="utf-8") if path.is_file() else None
