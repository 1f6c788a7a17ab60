"""Releases: build, verify and compare typed, checksummed, reproducible data releases.

- :func:`zonedata.release.build.build_release` writes ``DIR/zonedata-V/`` (Parquet, JSON
  and CSV per table, the derived tables of :mod:`zonedata.release.derived`, the SQLite
  database of :mod:`zonedata.release.database`, a release ``datapackage.json``,
  ``SHA256SUMS``) and ``DIR/zonedata-V.zip``.
- :func:`zonedata.release.verify.verify_release` checks a release folder or zip.
- :func:`zonedata.release.diff.diff_releases` compares two releases table by table.
- :func:`zonedata.release.reader.open_release` reads a release folder, zip or URL for all
  three (and for ``zonedata.load``), treating it as hostile input.

Heavy libraries (pyarrow, pandas) are imported by the modules, not here.
"""

from zonedata.release.errors import (
    NotAReleaseError,
    ReleaseError,
    ReleaseExistsError,
    ValidationFailedError,
)

__all__ = ["NotAReleaseError", "ReleaseError", "ReleaseExistsError", "ValidationFailedError"]
