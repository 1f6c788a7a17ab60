"""The one reading of a CSV file: its text (Arrow), and that text cast to the release types.

:func:`parse_csv` is the only CSV parser of the package's data: validation (through
the file layer) and loading (through :func:`read_csv_text`) call it, and releases write
what validation parsed. :func:`cast_column` is the only conversion of a column's text to
its field's Arrow type (:func:`zonedata.descriptor.fieldtypes.arrow_type`): the schema layer calls
it on the cells it accepted and reports the cells it cannot hold, releases and loading
call it through :func:`cast_to_schema`. So the table ``validate`` judges is the table
``release`` writes and ``load`` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from zonedata import safeio
from zonedata.descriptor.fieldtypes import (
    DECIMAL_PRECISION,
    INTEGER_KINDS,
    arrow_type,
    decimal_type,
)
from zonedata.descriptor.package import Field, Package, Table
from zonedata.limits import current_limits

#: why a cell cannot be held by its field's Arrow type (the schema layer's rule codes)
NOT_FINITE = "number-not-finite"
OUT_OF_RANGE = "value-out-of-range"

Column: TypeAlias = pa.ChunkedArray | pa.Array


def field_metadata(f: Field) -> dict[bytes, bytes]:
    meta = {
        b"title": f.title.encode(),
        b"description": f.description.encode(),
        b"zonedata:type": f.kind.encode(),
    }
    if f.unit:
        meta[b"unit"] = str(f.unit).encode()
    return meta


def arrow_schema(table: Table, package: Package | None = None) -> pa.Schema:
    """The Arrow schema of a table, with each field's title, description and unit as metadata."""
    fields = [
        pa.field(f.name, arrow_type(f), nullable=not f.required, metadata=field_metadata(f))
        for f in table.fields
    ]
    meta: dict[bytes, bytes] = {b"zonedata:table": table.name.encode()}
    if package is not None:
        meta[b"zonedata:package"] = package.name.encode()
        meta[b"zonedata:version"] = package.version.encode()
    return pa.schema(fields, metadata=meta)


#: Arrow CSV block size: a record may not straddle two blocks when quoted values may hold
#: newlines, so this is also the longest record (the file layer's ``row-too-long``)
BLOCK_SIZE = 1 << 24
BOM = b"\xef\xbb\xbf"


def parse_csv(
    data: bytes,
    header: list[str],
    table: Table,
    *,
    quoted: bool = True,
    block_size: int = BLOCK_SIZE,
    on_invalid: list[object] | None = None,
    memory_pool: pa.MemoryPool | None = None,
) -> pa.Table:
    """The CSV parser: ``data`` (no BOM) as ``large_string`` columns named ``header``,
    the header record included as the first row; missing values are null.

    ``quoted=False`` promises that ``data`` holds no quote character, so that no value
    can hold a newline. With ``on_invalid``, a ragged row is skipped and appended to it
    (the file layer reports it, with its line); without, it raises ``ArrowInvalid``.
    ``memory_pool``: where the parser allocates (Arrow's default pool if None).
    """

    def skip(row: object) -> str:
        if on_invalid is not None:
            on_invalid.append(row)
        return "skip"

    return pacsv.read_csv(
        # an Arrow buffer over ``data``, not a copy: the parser's threads read it without
        # calling back into Python (as a file object would, holding the GIL)
        pa.BufferReader(data),
        memory_pool=memory_pool,
        read_options=pacsv.ReadOptions(
            column_names=header, skip_rows=0, encoding="utf8", block_size=block_size
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=table.delimiter,
            newlines_in_values=quoted,
            invalid_row_handler=skip if on_invalid is not None else None,
        ),
        convert_options=pacsv.ConvertOptions(
            # large_string: the layout of pandas' string columns, which then share the data
            column_types={n: pa.large_string() for n in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=list(table.missing_values),
        ),
    )


def csv_text(data: bytes, table: Table) -> pa.Table:
    """A CSV file's bytes as text columns named after the schema (the header skipped).

    Parsed by :func:`parse_csv`, after a UTF-8 byte order mark if there is one; a ragged
    row raises ``ArrowInvalid``.
    """
    if data.startswith(BOM):
        data = data[len(BOM) :]
    return parse_csv(data, table.field_names, table).slice(1)


def read_csv_text(path: Path, table: Table) -> pa.Table:
    """:func:`csv_text` of a file read with :func:`zonedata.safeio.read_regular` (a
    regular file, within ``ZONEDATA_MAX_FILE_BYTES``)."""
    return csv_text(safeio.read_regular(path, current_limits().max_file_bytes), table)


def read_csv_typed(path: Path, table: Table, package: Package | None = None) -> pa.Table:
    """Read a valid CSV file into an Arrow table with the descriptor's types and metadata.

    Raises ``ValueError`` naming the first cell that does not fit the schema: run
    validation first for a report.
    """
    return cast_to_schema(read_csv_text(path, table), table, package)


@dataclass(frozen=True)
class Cast:
    """A column cast to its field's type: ``values`` (null where the text was missing or
    cannot be held) and, for each code, a mask of the cells that could not be held."""

    values: Column
    rejected: dict[str, np.ndarray]


def without_plus(col: Column) -> Column:
    """Integer text without a leading ``+``, which Arrow's cast to int64 rejects.

    (``+1990`` is a valid integer for Table Schema and frictionless.) A column without
    any such cell is returned as it is.
    """
    if not pc.any(pc.starts_with(col, "+")).as_py():
        return col
    return pc.replace_substring_regex(col, pattern=r"^\+", replacement="")


def cast_column(f: Field, text: Column) -> Cast:
    """Cast the text of a column of field ``f`` to :func:`arrow_type` ``(f)``.

    ``text`` holds cells of the field's lexical form (the schema layer's type checks passed
    them; unknown text is null). Cells the type cannot hold are null in ``values`` and
    flagged in ``rejected``: non-finite numbers (``number-not-finite``: releases are JSON
    too, which has no NaN), and integers beyond int64, figures beyond 18 digits or with
    more decimals than the scale holds, dates before year 1 (``value-out-of-range``).
    """
    kind = f.kind
    if kind == "boolean":
        truthy = pc.is_in(text, value_set=pa.array(list(f.true_values)))
        return Cast(pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), truthy), {})
    if kind in INTEGER_KINDS:
        return _cast_checked(without_plus(text), pa.int64(), _fits_int64)
    if kind == "number":
        if not f.bare_number:
            text = pc.replace_substring_regex(text, r"[^0-9eE.+-]", "")
        dec = decimal_type(f)
        if dec is not None:
            return _cast_checked(text, dec, lambda s: _fits_decimal(s, dec.scale))
        return _cast_float(text)
    if kind == "date":
        return _cast_date(text)
    return Cast(text, {})


def _mask(col: Column) -> np.ndarray:
    return np.asarray(pc.fill_null(col, False).to_numpy(zero_copy_only=False), dtype=bool)


def _null_where(col: Column, mask: np.ndarray) -> Column:
    return pc.if_else(pa.array(mask), pa.scalar(None, col.type), col)


def _cast_checked(text: Column, target: pa.DataType, fits: Callable[[str], bool]) -> Cast:
    """Cast, and where Arrow refuses the column, find the cells with ``fits`` (Python)."""
    try:
        return Cast(pc.cast(text, target), {})
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    not_finite = _mask(pc.match_substring_regex(text, r"^[+-]?(?i:nan|inf|infinity)$"))
    cells = text.to_pylist()
    out_of_range = np.array(
        [v is not None and not nf and not fits(v) for v, nf in zip(cells, not_finite, strict=True)],
        dtype=bool,
    )
    clean = _null_where(text, not_finite | out_of_range)
    return Cast(pc.cast(clean, target), {NOT_FINITE: not_finite, OUT_OF_RANGE: out_of_range})


def _fits_int64(s: str) -> bool:
    try:
        return -(2**63) <= int(s) < 2**63
    except ValueError:
        return False


def _fits_decimal(s: str, scale: int) -> bool:
    try:
        d = Decimal(s)
        if not d.is_finite():
            return False
        return d == d.quantize(Decimal(1).scaleb(-scale)) and abs(d) < Decimal(10) ** (
            DECIMAL_PRECISION - scale
        )
    except InvalidOperation:  # beyond the context's precision: far out of range
        return False


def type_range(f: Field) -> str:
    """What :func:`arrow_type` ``(f)`` can hold, in words (for messages)."""
    dec = decimal_type(f)
    if dec is not None:
        whole = DECIMAL_PRECISION - dec.scale
        return f"an exact decimal of at most {whole} digits before the point and {dec.scale} after"
    if f.kind in INTEGER_KINDS:
        return "a 64-bit integer"
    if f.kind == "date":
        return "a date from year 1"
    return str(arrow_type(f))


def _cast_float(text: Column) -> Cast:
    values = pc.cast(text, pa.float64())
    bad = ~_mask(pc.is_finite(values)) & _mask(pc.is_valid(values))
    if not bad.any():
        return Cast(values, {})
    return Cast(_null_where(values, bad), {NOT_FINITE: bad})


def _cast_date(text: Column) -> Cast:
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    early = _mask(pc.less(pc.utf8_slice_codeunits(text, 0, 4), "0001"))
    values = pc.cast(parsed, pa.date32())
    if not early.any():
        return Cast(values, {})
    return Cast(_null_where(values, early), {OUT_OF_RANGE: early})


def cast_to_schema(raw: pa.Table, table: Table, package: Package | None = None) -> pa.Table:
    """Cast a table of strings to the descriptor's types (booleans by their true/false values).

    Raises ``ValueError`` naming the first row whose cell the type cannot hold.
    """
    schema = arrow_schema(table, package)
    columns = []
    for f in table.fields:
        cast = cast_column(f, raw.column(f.name))
        for code, mask in cast.rejected.items():
            if mask.any():
                row = int(np.flatnonzero(mask)[0]) + 1
                value = raw.column(f.name)[row - 1].as_py()
                raise ValueError(f"row {row}, field {f.name!r}: {value!r}: {code}")
        columns.append(cast.values)
    return pa.Table.from_arrays(columns, schema=schema)


def with_release_schema(typed: pa.Table, table: Table, package: Package) -> pa.Table:
    """``typed`` with the release's Arrow schema: nullability, field and table metadata."""
    schema = arrow_schema(table, package)
    columns = [c.cast(f.type) for c, f in zip(typed.columns, schema, strict=True)]
    return pa.Table.from_arrays(columns, schema=schema)
