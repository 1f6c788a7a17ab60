"""The static data site: ``zonedata site`` writes ``dist/site/``.

A site about any data package: a home page (title, description, licence, contributors,
sources, tables, downloads with sizes and SHA-256, how to cite), a tables page and one
page per table (data dictionary and every row). A package may declare pages of its own
(``zonedata:site``, see :mod:`zonedata.descriptor.site_declaration`, which ``validate``
checks); the toolkit renders only those.
Every link is relative and nothing is requested from outside the site, so the folder
works from ``file://`` and on GitHub Pages. The same input gives the same bytes.

The site is built from a package (validated first: an invalid one is refused) or from a
release folder made by ``zonedata release`` (every file verified against its hash). Only
verified files of the types a release writes are offered; what is left out is reported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from zonedata.descriptor.files import descriptor_in
from zonedata.errors import SiteError
from zonedata.site.declared import read_declaration
from zonedata.site.inputs import InvalidPackageError, SiteInput, from_package, from_release
from zonedata.site.output import MARKER, write_site
from zonedata.site.render import render_pages
from zonedata.validate.descriptor_checks import read_descriptor

__all__ = ["MARKER", "InvalidPackageError", "SiteBuild", "build_site"]

#: the static assets shipped as package data
ASSETS = ("site.css", "site.js")


@dataclass
class SiteBuild:
    """What a build wrote, and what it left out (with the reason)."""

    files: list[Path]
    left_out: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(1 for f in self.files if f.suffix == ".html")


def build_site(
    out: str | os.PathLike[str],
    package: str | os.PathLike[str] | None = None,
    *,
    release: str | os.PathLike[str] | None = None,
) -> SiteBuild:
    """Build the site of ``package`` (default: bundled) or of ``release`` into ``out``.

    With both, the release gives the data and downloads and ``package`` (its source)
    the pages it declares and its CITATION.cff.

    ``out`` must not exist, be empty, or hold a site built earlier (whose files, and
    only those, are replaced). Raises :class:`zonedata.errors.SiteError` (its subclass
    :class:`InvalidPackageError` for a package that does not validate).
    """
    if release is None:
        data = from_package(package)
    else:
        data = from_release(release)
        if package is not None:
            pages_of(data, package)
    return SiteBuild(write_site(Path(out), site_files(data)), data.left_out)


def pages_of(data: SiteInput, package: str | os.PathLike[str]) -> None:
    """Take the declared pages (and CITATION.cff) of the source ``package`` of a release."""

    where = descriptor_in(Path(package))
    descriptor, problems = read_descriptor(where, str(where))
    if descriptor is None:  # (its pages are all that is read of it: not its tables)
        raise SiteError(problems[0].message.rstrip("."))
    data.declaring = descriptor
    data.base = where.parent


def site_files(data: SiteInput) -> dict[str, bytes]:
    """Every file of the site: path relative to its root -> bytes."""
    tables = {t.name: t.field_names for t in data.package.tables}
    declared = read_declaration(data.declaring, data.base, tables, data.left_out)
    files = {rel: text.encode("utf-8") for rel, text in render_pages(data, declared).items()}
    for name in ASSETS:
        files[name] = resources.files("zonedata.site").joinpath("assets", name).read_bytes()
    extra = [*declared.files.items(), *((d.href, d.content) for d in data.downloads)]
    for rel, content in extra:
        if files.get(rel) == content:  # one file that two resources share: published once
            continue
        if rel in files or rel.lower() == MARKER:
            raise SiteError(f"two files of the site would be written at {rel!r}")
        files[rel] = content
    _no_case_twins(files)
    return files


def _no_case_twins(files: dict[str, bytes]) -> None:
    """SiteError for two files whose paths differ only in letter case: on a file system
    that ignores case (macOS, Windows) one would replace the other."""
    seen: dict[str, str] = {}
    for rel in sorted(files):
        other = seen.setdefault(rel.casefold(), rel)
        if other != rel:
            raise SiteError(f"two files of the site, {other!r} and {rel!r}, differ only in case")
