"""zonedata: open, sourced data on China's national AI pilot zones.

>>> import zonedata
>>> zonedata.tables()[:3]
['sources', 'provinces', 'cities']
>>> cities = zonedata.load("cities")                   # pandas, with exact dtypes
>>> for city in zonedata.rows("cities"): ...           # typed rows (zonedata.row_types.City)

``import zonedata`` imports nothing but this module: every name below is loaded on first
use, so pandas, pyarrow, polars, pandera and frictionless are imported only by the calls
that need them (pandera and frictionless only by ``load(..., validate=True)``).
The Pandera models of the tables are in :mod:`zonedata.pandera_models` (imported explicitly).
"""

__version__ = "0.1.0"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from zonedata.errors import (
        DataValidationError,
        DownloadError,
        IntegrityError,
        MissingDependencyError,
        NotAReleaseError,
        ReleaseError,
        UnknownTableError,
        UnsafeFileError,
        ZonedataError,
    )
    from zonedata.loading.api import FieldInfo, describe, load, tables
    from zonedata.row_types import rows

#: public name -> module that defines it (imported on first access)
_LAZY = {
    "tables": "zonedata.loading.api",
    "describe": "zonedata.loading.api",
    "load": "zonedata.loading.api",
    "FieldInfo": "zonedata.loading.api",
    "rows": "zonedata.row_types",
    "ZonedataError": "zonedata.errors",
    "UnknownTableError": "zonedata.errors",
    "MissingDependencyError": "zonedata.errors",
    "ReleaseError": "zonedata.errors",
    "NotAReleaseError": "zonedata.errors",
    "UnsafeFileError": "zonedata.errors",
    "IntegrityError": "zonedata.errors",
    "DownloadError": "zonedata.errors",
    "DataValidationError": "zonedata.errors",
}

__all__ = [
    "DataValidationError",
    "DownloadError",
    "FieldInfo",
    "IntegrityError",
    "MissingDependencyError",
    "NotAReleaseError",
    "ReleaseError",
    "UnknownTableError",
    "UnsafeFileError",
    "ZonedataError",
    "__version__",
    "describe",
    "load",
    "rows",
    "tables",
]


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'zonedata' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
