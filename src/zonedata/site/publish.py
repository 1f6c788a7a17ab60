"""Which files the site may publish, and reading them: regular files inside their folder.

A file is published only when it is a regular file reached without a symlink inside its
folder (:func:`zonedata.paths.inside`, then every part checked with ``lstat``), of a type
the site offers (:data:`RELEASE_TYPES` for a release, :data:`PACKAGE_TYPES` for a
package), read with :mod:`zonedata.safeio`. The bytes read are the bytes written, so a
file changed after it was checked is never published.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from zonedata import safeio
from zonedata.descriptor.site_declaration import ASSET_TYPES as ASSET_TYPES  # (declared files)
from zonedata.errors import InputError, SiteError, UnsafePathError
from zonedata.paths import inside

#: the file types a release writes (and ``SHA256SUMS``): nothing else of a release is offered
RELEASE_TYPES = frozenset({".parquet", ".json", ".csv", ".sqlite", ".zip"})
#: the data file types offered from a package (never a page, script or image)
PACKAGE_TYPES = RELEASE_TYPES | {".tsv", ".xlsx", ".ods", ".gz"}


def type_allowed(rel: str, types: frozenset[str], names: frozenset[str] = frozenset()) -> bool:
    """Whether the file ``rel`` is of one of ``types`` (by suffix) or one of ``names``."""
    name = PurePosixPath(rel).name
    return name in names or PurePosixPath(name).suffix.lower() in types


def no_symlink(root: Path, rel: str) -> Path:
    """``root / rel`` inside ``root``, reached through no symlink, or SiteError."""
    try:
        target = inside(root, rel)
    except UnsafePathError as e:
        raise SiteError(f"{rel!r} refused: {e}") from None
    step = root
    for part in PurePosixPath(rel).parts:
        step = step / part
        try:
            mode = os.lstat(step).st_mode
        except OSError as e:
            raise SiteError(f"{rel!r} cannot be read: {e.strerror or e}") from None
        if stat.S_ISLNK(mode):
            raise SiteError(f"{rel!r} refused: it is reached through a symlink")
    return target


def read_published(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of the regular file ``rel`` below ``root`` (see the module), or SiteError."""
    target = no_symlink(root, rel)
    try:
        return safeio.read_regular(target, limit, rel, root=os.path.realpath(root))
    except InputError as e:
        raise SiteError(f"{rel!r} refused: {e}") from None
