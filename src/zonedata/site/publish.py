"""Which files the site may publish, and reading them: regular files inside their folder.

A file is published only when it is of a type the site offers (:data:`RELEASE_TYPES` for
a release, :data:`PACKAGE_TYPES` for a package) and a regular file reached without a
symlink inside its folder, read as a descriptor's declared files are
(:mod:`zonedata.descriptor.declared_files`); a file refused there is a
:class:`SiteError` here. The bytes read are the bytes written, so a file changed after
it was checked is never published.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from zonedata.descriptor import declared_files
from zonedata.descriptor.site_declaration import ASSET_TYPES as ASSET_TYPES  # (declared files)
from zonedata.errors import InputError, SiteError

#: the file types a release writes (and ``SHA256SUMS``): nothing else of a release is offered
RELEASE_TYPES = frozenset({".parquet", ".json", ".csv", ".sqlite", ".zip"})
#: the data file types offered from a package (never a page, script or image)
PACKAGE_TYPES = RELEASE_TYPES | {".tsv", ".xlsx", ".ods", ".gz"}


def type_allowed(rel: str, types: frozenset[str], names: frozenset[str] = frozenset()) -> bool:
    """Whether the file ``rel`` is of one of ``types`` (by suffix) or one of ``names``."""
    name = PurePosixPath(rel).name
    return name in names or PurePosixPath(name).suffix.lower() in types


def no_symlink(root: Path, rel: str) -> Path:
    """``root / rel`` inside ``root``, reached through no symlink
    (:func:`zonedata.descriptor.declared_files.reach`), or SiteError."""
    try:
        return declared_files.reach(root, rel)
    except InputError as e:
        raise SiteError(str(e)) from None


def read_published(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of the regular file ``rel`` below ``root``
    (:func:`zonedata.descriptor.declared_files.read_file`), or SiteError."""
    try:
        return declared_files.read_file(root, rel, limit)
    except InputError as e:
        raise SiteError(str(e)) from None
