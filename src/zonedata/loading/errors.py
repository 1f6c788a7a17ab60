"""The exceptions ``zonedata.load`` and friends raise: re-exported from :mod:`zonedata.errors`.

Every one derives from :class:`ZonedataError`; see :mod:`zonedata.errors` for the tree.
"""

from __future__ import annotations

from zonedata.errors import (
    DataValidationError,
    DownloadError,
    IntegrityError,
    MissingDependencyError,
    ReleaseError,
    UnknownTableError,
    UnsafeFileError,
    ZonedataError,
)

__all__ = [
    "DataValidationError",
    "DownloadError",
    "IntegrityError",
    "MissingDependencyError",
    "ReleaseError",
    "UnknownTableError",
    "UnsafeFileError",
    "ZonedataError",
]
