"""Arrow tables to pandas and polars frames, with the package's documented dtypes.

The dtypes are :mod:`zonedata.descriptor.fieldtypes`' projection; this table repeats it for readers.

======================  ===============================  ==================================
descriptor field        Arrow (release Parquet)          pandas (``load()``)
======================  ===============================  ==================================
integer, year           ``int64``                        ``Int64`` (nullable)
number with decimals    ``decimal128(18, decimals)``     ``decimal128(18, s)[pyarrow]``
number without          ``double``                       ``Float64`` (nullable)
boolean                 ``bool``                         ``boolean`` (nullable)
date                    ``date32``                       ``date32[day][pyarrow]``
string, partial date    ``string``                       ``string`` (``StringDtype``, pyarrow)
======================  ===============================  ==================================

Exact decimals stay exact in pandas as ``pd.ArrowDtype(pa.decimal128(18, s))``: a value
is a :class:`decimal.Decimal` (``785.66`` is never ``785.6599999``), sums and comparisons
are exact, and ``.astype("Float64")`` gives floats where wanted. Strings use
``pd.StringDtype("pyarrow")`` (missing values are ``pd.NA``, like ``Int64`` and
``boolean``), not pandas 3's default ``str`` dtype, whose missing value is ``NaN``.
Polars maps the same Arrow types to ``Int64``, ``Decimal(18, s)``, ``Float64``,
``Boolean``, ``Date`` and ``String``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zonedata.descriptor.fieldtypes import pandas_dtype
from zonedata.loading.errors import MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa


def to_pandas(table: pa.Table) -> pd.DataFrame:
    """The pandas frame of an Arrow table, with a default ``RangeIndex``."""
    frame: pd.DataFrame = table.to_pandas(types_mapper=pandas_dtype, ignore_metadata=True)
    return frame


def to_polars(table: pa.Table) -> pl.DataFrame:
    """The polars frame of an Arrow table (polars is the optional extra ``zonedata[polars]``)."""
    try:
        import polars as pl
    except ImportError as e:
        raise MissingDependencyError(
            "backend='polars' needs polars, which is not installed: pip install 'zonedata[polars]'",
            package="polars",
            extra="polars",
        ) from e
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
