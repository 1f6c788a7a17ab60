"""Arrow types derived from the descriptor: the typed form of every table.

Releases (Parquet), loading and validation all use these schemas, so a table has the
same types wherever it is read.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from zonedata.model.descriptor import Field, Package, Table

#: Precision of the exact decimal type used for ``number`` fields with ``decimals``.
DECIMAL_PRECISION = 18


def arrow_type(f: Field) -> pa.DataType:
    """The Arrow type of a field.

    - ``integer`` and ``year``: int64 (nullable where the field is optional)
    - ``number`` with ``decimals``: decimal128(18, decimals), exact, so 785.66 stays 785.66
    - ``number`` without ``decimals``: float64
    - ``boolean``: bool; ``date``: date32
    - partial dates (``partialDate``) and strings: string, the ISO 8601 text as given
    """
    kind = f.kind
    if kind in ("integer", "year"):
        return pa.int64()
    if kind == "number":
        if f.decimals is not None:
            return pa.decimal128(DECIMAL_PRECISION, int(f.decimals))
        return pa.float64()
    if kind == "boolean":
        return pa.bool_()
    if kind == "date":
        return pa.date32()
    return pa.string()


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


def read_csv_text(path: Path, table: Table) -> pa.Table:
    """Read a CSV file as text columns named after the schema (missing values as null)."""
    names = table.field_names
    return pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding="utf8"),
        parse_options=pacsv.ParseOptions(delimiter=table.delimiter, newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=True,
            null_values=list(table.missing_values),
            quoted_strings_can_be_null=True,
        ),
    )


def read_csv_typed(path: Path, table: Table, package: Package | None = None) -> pa.Table:
    """Read a valid CSV file into an Arrow table with the descriptor's types and metadata.

    The CSV is read as text and cast field by field, so numbers are parsed from their
    text exactly. Raises ``pyarrow.ArrowInvalid`` on data that does not fit the schema:
    run validation first for a report.
    """
    return cast_to_schema(read_csv_text(path, table), table, package)


def without_plus(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Integer text without a leading ``+``, which Arrow's cast to int64 rejects.

    (``+1990`` is a valid integer for Table Schema and frictionless; Arrow's casts to
    float and decimal accept the sign, its cast to int64 does not.) A column without any
    such cell is returned as it is.
    """
    import pyarrow.compute as pc

    if not pc.any(pc.starts_with(col, "+")).as_py():
        return col
    return pc.replace_substring_regex(col, pattern=r"^\+", replacement="")


def cast_to_schema(raw: pa.Table, table: Table, package: Package | None = None) -> pa.Table:
    """Cast a table of strings to the descriptor's types (booleans by their true/false values)."""
    import pyarrow.compute as pc

    schema = arrow_schema(table, package)
    columns = []
    for f, target in zip(table.fields, schema, strict=True):
        col = raw.column(f.name)
        if f.kind == "boolean":
            truthy = pc.is_in(col, value_set=pa.array(list(f.true_values)))
            col = pc.if_else(pc.is_null(col), pa.scalar(None, pa.bool_()), truthy)
        elif f.kind == "number" and not f.bare_number:
            col = pc.replace_substring_regex(col, r"[^0-9eE.+-]", "")
        elif f.kind in ("integer", "year"):
            col = without_plus(col)
        columns.append(col.cast(target.type))
    return pa.Table.from_arrays(columns, schema=schema)
