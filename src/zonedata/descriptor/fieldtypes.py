"""One projection of a descriptor field into every type system zonedata uses.

This module is the only place that maps a field's kind to a type. Everything else (the
schema layer, releases, loading, the generated row types and Pandera models, diff,
verify) asks it.

==============  ======================  ==========================  ================  ================  ========  ==================  ========
field kind      Arrow / Parquet         ``load()`` pandas           rules' frame      polars            JSON      Python row          SQLite
==============  ======================  ==========================  ================  ================  ========  ==================  ========
integer, year   ``int64``               ``Int64``                   ``Int64``         ``Int64``         integer   ``int``             INTEGER
number + dec.   ``decimal128(18, d)``   ``decimal128(18, d)[pa]``   ``Float64``       ``Decimal(18,d)`` number    ``Decimal``         REAL
number          ``float64``             ``Float64``                 ``Float64``       ``Float64``       number    ``float``           REAL
boolean         ``bool``                ``boolean``                 ``boolean``       ``Boolean``       boolean   ``bool``            INTEGER
date            ``date32``              ``date32[day][pyarrow]``    ``datetime64[s]`` ``Date``          string    ``datetime.date``   TEXT
partial date    ``string``              ``string[pyarrow]``         ``string``        ``String``        string    ``str``             TEXT
string, any     ``string``              ``string[pyarrow]``         ``string``        ``String``        string    ``str``             TEXT
==============  ======================  ==========================  ================  ================  ========  ==================  ========

"rules' frame" is the pandas view the semantic rules compute on (floats for figures, so
that ratios and tolerances are plain arithmetic); it is derived from the Arrow table by
:func:`rules_series`, never parsed separately. The Arrow type is the release type: a
value that it cannot hold (a non-finite number, a figure beyond 18 digits, an integer
beyond int64, a date before year 1) is a schema error, so every package ``validate``
accepts can be released and loaded.

SQLite (the release's database, :func:`sqlite_type`): every figure is declared ``REAL``,
so that ``sqlite3`` and Datasette sort and compute on it as a number. A ``REAL`` holds a
decimal exactly as written only up to 15 significant digits, so the release refuses a
figure with more (:func:`sqlite_column`): every figure of the database reads back as the
CSV's text (``2422.198``, never ``2422.1979999``). The exact text stays in the CSV, JSON
and Parquet files. Booleans are ``INTEGER`` 0 or 1, dates ISO 8601 ``TEXT``.

Only pyarrow is imported at module level; pandas and polars are imported by the
functions that return their types.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from zonedata.descriptor.package import Field

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

#: Precision of the exact decimal type of ``number`` fields with ``decimals``.
DECIMAL_PRECISION = 18
#: Kinds stored as integers.
INTEGER_KINDS = frozenset({"integer", "year"})


def arrow_type(f: Field) -> pa.DataType:
    """The Arrow type of a field: the type releases store and ``load`` returns."""
    kind = f.kind
    if kind in INTEGER_KINDS:
        return pa.int64()
    if kind == "number":
        return decimal_type(f) or pa.float64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "date":
        return pa.date32()
    return pa.string()


def decimal_type(f: Field) -> pa.Decimal128Type | None:
    """The exact decimal type of a ``number`` field with ``decimals`` (else ``None``)."""
    if f.kind == "number" and f.decimals is not None:
        return pa.decimal128(DECIMAL_PRECISION, int(f.decimals))
    return None


def json_kind(f: Field) -> str:
    """The JSON type of a field's values in a release: integer, number, boolean or string."""
    kind = f.kind
    if kind in INTEGER_KINDS:
        return "integer"
    if kind in ("number", "boolean"):
        return kind
    return "string"


def python_type(f: Field) -> str:
    """The Python type of a field's values in a row (as source text, without ``None``)."""
    t = arrow_type(f)
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_decimal(t):
        return "Decimal"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_date(t):
        return "datetime.date"
    return "str"


#: Significant digits a SQLite ``REAL`` (an IEEE double) holds exactly in both directions.
SQLITE_REAL_DIGITS = 15


def sqlite_type(f: Field) -> str:
    """The declared SQLite type of a field in the release's database (a type affinity)."""
    t = arrow_type(f)
    if pa.types.is_integer(t) or pa.types.is_boolean(t):
        return "INTEGER"
    if pa.types.is_decimal(t) or pa.types.is_floating(t):
        return "REAL"
    return "TEXT"


def sqlite_column(f: Field, col: pa.ChunkedArray | pa.Array) -> list[int | float | str | None]:
    """A typed column (of :func:`arrow_type`) as the values stored in SQLite (null: ``None``).

    Integers and booleans as ``int`` (``True`` is 1), figures
    as ``float`` through their decimal text (correctly rounded, as :func:`rules_series`),
    dates as ISO 8601 text. Raises ``ValueError`` for a figure that a ``REAL`` cannot hold
    exactly (more than :data:`SQLITE_REAL_DIGITS` significant digits): a database value
    is never rounded.
    """
    import pyarrow.compute as pc

    if pa.types.is_decimal(col.type):
        text = pc.cast(col, pa.string())
        digits = pc.utf8_trim(pc.replace_substring_regex(text, "[^0-9]", ""), "0")
        too_long = pc.greater(pc.utf8_length(digits), SQLITE_REAL_DIGITS)
        if pc.any(too_long).as_py():
            value = pc.filter(text, too_long)[0].as_py()
            raise ValueError(
                f"{f.name}: {value} has more than {SQLITE_REAL_DIGITS} significant digits, "
                "which a SQLite REAL cannot hold exactly"
            )
        return list(pc.cast(text, pa.float64()).to_pylist())
    if pa.types.is_date(col.type):
        return list(pc.cast(col, pa.string()).to_pylist())
    if pa.types.is_boolean(col.type):
        return list(pc.cast(col, pa.int64()).to_pylist())
    return list(col.to_pylist())


def type_label(f: Field) -> str:
    """A field's type as documents and reports name it (``number (2 decimals)``)."""
    if f.kind == "number" and f.decimals is not None:
        return f"number ({f.decimals} decimal{'s' if f.decimals != 1 else ''})"
    if f.kind == "partial-date":
        return "partial date"
    return f.kind


# --- pandas ---------------------------------------------------------------------------------


def pandas_dtype(t: pa.DataType) -> pd.api.extensions.ExtensionDtype | None:
    """The pandas dtype ``load()`` gives a column of Arrow type ``t`` (a ``types_mapper``).

    Keyed on the Arrow type, so that a release of another version (whose fields this
    package does not know) loads with the same dtypes. ``None``: pyarrow's default.
    """
    import pandas as pd

    if pa.types.is_int64(t):
        return pd.Int64Dtype()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.StringDtype("pyarrow")
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()
    if pa.types.is_float64(t):
        return pd.Float64Dtype()
    if pa.types.is_decimal(t) or pa.types.is_date(t):
        return pd.ArrowDtype(t)
    return None


def pandas_annotation(f: Field) -> str:
    """The dtype of a field in ``load()``'s frame as source text for a Pandera model."""
    t = arrow_type(f)
    if pa.types.is_decimal(t):
        return f"Annotated[pd.ArrowDtype, pa.decimal128({t.precision}, {t.scale})]"
    if pa.types.is_date(t):
        return "Annotated[pd.ArrowDtype, pa.date32()]"
    return {
        "Int64": "pd.Int64Dtype",
        "Float64": "pd.Float64Dtype",
        "boolean": "pd.BooleanDtype",
    }.get(str(pandas_dtype(t)), "pd.StringDtype")


def parquet_pandas_types(f: Field) -> tuple[str, str]:
    """(``pandas_type``, ``numpy_type``) of a field in the Parquet file's pandas metadata."""
    t = arrow_type(f)
    if pa.types.is_integer(t):
        return "int64", "int64" if f.required else "Int64"
    if pa.types.is_decimal(t):
        return "decimal", "object"
    if pa.types.is_floating(t):
        return "float64", "float64"
    if pa.types.is_boolean(t):
        return ("bool", "bool") if f.required else ("boolean", "boolean")
    if pa.types.is_date(t):
        return "date", "object"
    return "unicode", "object"


def rules_dtype(f: Field) -> str:
    """The pandas dtype of a field in the semantic rules' frame."""
    t = arrow_type(f)
    if pa.types.is_decimal(t) or pa.types.is_floating(t):
        return "Float64"
    if pa.types.is_date(t):
        return "datetime64[s]"
    return {"int64": "Int64", "bool": "boolean"}.get(str(t), "string")


def rules_series(f: Field, col: pa.ChunkedArray | pa.Array) -> pd.Series:
    """The rules' view of a typed Arrow column (of :func:`arrow_type`).

    A figure's column may also be given as float64 (the schema layer has it from the
    same text it cast to the decimal type).
    """
    import pandas as pd
    import pyarrow.compute as pc

    dtype = rules_dtype(f)
    if dtype == "Float64":
        values = col
        if pa.types.is_decimal(col.type):
            # through the decimal's text: Arrow's decimal-to-double cast is not correctly
            # rounded (3584.97 would become 3584.9700000000003)
            values = pc.cast(pc.cast(col, pa.string()), pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), dtype="Float64")
    if dtype == "Int64":
        return pd.Series(col.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), dtype=dtype)
    if dtype == "datetime64[s]":
        seconds = pc.cast(col, pa.timestamp("s")) if pa.types.is_date(col.type) else col
        return pd.Series(seconds.to_pandas(), dtype=dtype)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        chunked = col if isinstance(col, pa.ChunkedArray) else pa.chunked_array([col])
        return pd.Series(pd.arrays.ArrowStringArray(chunked))  # the cells, not a copy
    return pd.Series(col.to_pandas(), dtype=dtype)


# --- polars ---------------------------------------------------------------------------------


def polars_dtype(f: Field) -> pl.DataType | type[pl.DataType]:
    """The polars dtype of a field (polars is imported here: the ``polars`` extra)."""
    import polars as pl

    t = arrow_type(f)
    if pa.types.is_decimal(t):
        return pl.Decimal(t.precision, t.scale)
    return {
        "int64": pl.Int64,
        "double": pl.Float64,
        "bool": pl.Boolean,
        "date32[day]": pl.Date,
    }.get(str(t), pl.String)
