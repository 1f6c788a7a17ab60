"""Errors raised while building, reading or comparing releases: re-exported from
:mod:`zonedata.errors`.

The command line maps them to exit codes: :class:`ValidationFailedError` is 1 (the
data is invalid), every :class:`ReleaseError` is 2 (usage or unreadable input).
"""

from __future__ import annotations

from zonedata.errors import (
    DownloadError,
    IntegrityError,
    NotAReleaseError,
    ReleaseError,
    ReleaseExistsError,
    UnsafeFileError,
    ValidationFailedError,
)

__all__ = [
    "DownloadError",
    "IntegrityError",
    "NotAReleaseError",
    "ReleaseError",
    "ReleaseExistsError",
    "UnsafeFileError",
    "ValidationFailedError",
]
