"""The two released file formats: Parquet (typed) and JSON (exact text, native types).

Parquet
    One file per table, written from :func:`zonedata.descriptor.arrow.read_csv_typed`, so it
    has the Arrow types of :func:`zonedata.descriptor.arrow.arrow_schema`: integers as int64
    (nullable where the field is optional), figures as exact ``decimal128(18, decimals)``,
    booleans as bool, and partial dates as their ISO 8601 text (``YYYY``, ``YYYY-MM`` or
    ``YYYY-MM-DD``) in a string column, because no Parquet date type can say "some day in
    2019". Each field's title, description and unit are in the Arrow field metadata; the
    package name, release version and table name in the file's key-value metadata. A
    ``pandas`` metadata entry tells ``pandas.read_parquet`` to give optional integers and
    booleans the nullable ``Int64`` and ``boolean`` dtypes instead of float64 and object.
    The writer options are fixed (:data:`PARQUET_WRITE_OPTIONS`) and Parquet stores no
    timestamps, so the same table and the same pyarrow version give the same bytes.

JSON
    One file per table: an array of objects, one object per line, keys in schema order,
    UTF-8 with Chinese as characters, and a trailing newline. Values have their native
    JSON types: numbers are the CSV's number tokens written as they are (785.66, 2400,
    7.0680: never through a float), integers are integers, booleans true/false, and a
    missing value is null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from zonedata.descriptor.fieldtypes import json_kind, parquet_pandas_types
from zonedata.descriptor.package import Field, Table

#: Writer options for every Parquet file of a release: explicit, so that a change of
#: pyarrow's defaults cannot change the bytes silently.
PARQUET_WRITE_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "data_page_version": "1.0",
    "compression": "zstd",
    "compression_level": 9,
    "use_dictionary": True,
    "write_statistics": True,
    "store_schema": True,
    "store_decimal_as_integer": False,
    "write_page_index": False,
    "write_page_checksum": True,
    "use_content_defined_chunking": False,
    "row_group_size": 1024 * 1024,
    "data_page_size": 1024 * 1024,
}

#: A JSON number token (RFC 8259).
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")


class NumberToken(str):
    """A JSON number kept as its text, so that 7.0680 stays 7.0680."""

    __slots__ = ()

    def decimal(self) -> Decimal:
        return Decimal(self)


class JsonTableError(ValueError):
    """A released JSON file does not hold the rows its schema describes."""


# --- reading the CSV as text -------------------------------------------------------


def number_token(text: str, f: Field) -> str:
    """The JSON token of a number cell: its text as written when that is valid JSON.

    Text that JSON does not accept as it stands (``+5``, ``.5``, ``5.``, or a number with
    a unit where ``bareNumber`` is false) is rewritten from its exact decimal value.
    """
    s = text if f.bare_number else re.sub(r"[^0-9eE.+-]", "", text)
    if JSON_NUMBER.fullmatch(s):
        return s
    try:
        d = Decimal(s)
    except InvalidOperation as e:
        raise ValueError(f"{text!r} is not a number") from e
    if not d.is_finite():
        raise ValueError(f"{text!r} is not a finite number")
    token = str(d)
    if not JSON_NUMBER.fullmatch(token):  # pragma: no cover - str(Decimal) is JSON-shaped
        raise ValueError(f"{text!r} has no JSON form")
    return token


# --- JSON: writing -----------------------------------------------------------------


def encode_scalar(value: Any) -> str:
    """One JSON value: number tokens verbatim, Chinese as characters."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, NumberToken):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "isoformat"):
        return json.dumps(value.isoformat())
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dump_json(value: Any, indent: int = 2, _level: int = 0) -> str:
    """Like ``json.dumps(value, indent=2, ensure_ascii=False)``, with number tokens verbatim."""
    pad = " " * (indent * (_level + 1))
    end = " " * (indent * _level)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {dump_json(v, indent, _level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return (
            "[\n"
            + ",\n".join(pad + dump_json(v, indent, _level + 1) for v in value)
            + "\n"
            + end
            + "]"
        )
    return encode_scalar(value)


def json_values(table: Table, raw: pa.Table, typed: pa.Table) -> dict[str, list[Any]]:
    """Each column's JSON values: number tokens from the text, everything else typed."""
    out: dict[str, list[Any]] = {}
    for f in table.fields:
        if f.kind == "number":
            out[f.name] = [
                None if t is None else NumberToken(number_token(t, f))
                for t in raw.column(f.name).to_pylist()
            ]
        else:
            out[f.name] = typed.column(f.name).to_pylist()
    return out


def render_json_rows(names: list[str], columns: dict[str, list[Any]], n: int) -> str:
    """The text of a released JSON file: one object per line, keys in ``names`` order."""
    keys = [json.dumps(k, ensure_ascii=False) + ": " for k in names]
    cols = [columns[k] for k in names]
    lines = [
        "{" + ", ".join(k + encode_scalar(c[i]) for k, c in zip(keys, cols, strict=True)) + "}"
        for i in range(n)
    ]
    if not lines:
        return "[]\n"
    return "[\n" + ",\n".join(lines) + "\n]\n"


#: rows encoded at a time by :func:`json_chunks`: bounds the memory of a large table's JSON
JSON_BATCH_ROWS = 65536


def json_chunks(
    table: Table, raw: pa.Table, typed: pa.Table, batch: int = JSON_BATCH_ROWS
) -> Iterator[bytes]:
    """The released JSON file of a table, in pieces of at most ``batch`` rows.

    The same text as ``render_json_rows(names, json_values(...), n)``, built column by
    column in Arrow: each distinct value of a column is encoded once per batch (as
    :func:`encode_scalar` and :func:`number_token` do), the encodings are spread over the
    rows, and each row is joined in Arrow, so that no Python code runs per cell.
    """
    n = typed.num_rows
    if n == 0 or not table.fields:
        yield render_json_rows(table.field_names, json_values(table, raw, typed), n).encode()
        return
    yield b"[\n"
    for start in range(0, n, batch):
        data = _json_rows(table, raw.slice(start, batch), typed.slice(start, batch))
        # every row ends with ",\n"; the last row of the file ends the array instead
        yield data[:-2] + b"\n]\n" if start + batch >= n else data


def _json_rows(table: Table, raw: pa.Table, typed: pa.Table) -> bytes:
    """The JSON objects of the rows of ``typed``, each followed by ``,\n``."""
    n = typed.num_rows
    parts: list[pa.Scalar | pa.Array] = []
    for i, f in enumerate(table.fields):
        key = json.dumps(f.name, ensure_ascii=False) + ": "
        parts += [pa.scalar(("{" if i == 0 else ", ") + key, pa.large_string())]
        parts += [_json_values(f, raw, typed).cast(pa.large_string())]
    parts += [pa.scalar("},\n", pa.large_string())]
    rows = _flat(pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string())))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)[rows.offset : rows.offset + n + 1]
    return bytes(memoryview(rows.buffers()[2])[int(offsets[0]) : int(offsets[-1])])


def _json_values(f: Field, raw: pa.Table, typed: pa.Table) -> pa.Array:
    """The JSON text of each value of field ``f``, as :func:`render_json_rows` writes it."""
    if f.kind == "number":
        text = _flat(raw.column(f.name)).cast(pa.large_string())
        # a cell that is a JSON number token as it stands is written verbatim; the rest
        # (and every cell of a field with units) goes through number_token, in row order,
        # so that an invalid cell raises the same error
        if f.bare_number:
            token = f"^(?:{JSON_NUMBER.pattern})$"
            verbatim = pc.fill_null(pc.match_substring_regex(text, token), False)
            fix = pc.and_(pc.is_valid(text), pc.invert(verbatim))
        else:
            fix = pc.is_valid(text)
        if pc.any(fix).as_py():
            rows = np.flatnonzero(np.asarray(fix.to_numpy(zero_copy_only=False), dtype=bool))
            fixed = [
                encode_scalar(NumberToken(number_token(t, f)))
                for t in text.take(pa.array(rows)).to_pylist()
            ]
            text = pc.replace_with_mask(text, fix, pa.array(fixed, type=text.type))
        return pc.fill_null(text, "null")
    encoded = _flat(pc.dictionary_encode(typed.column(f.name)))
    dictionary = [encode_scalar(v) for v in encoded.dictionary.to_pylist()]
    cells = pc.take(pa.array(dictionary, type=pa.large_string()), encoded.indices)
    return pc.fill_null(cells, "null")


def _flat(a: pa.ChunkedArray | pa.Array) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


# --- JSON: reading -----------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise JsonTableError(f"{name} is not a JSON number")


def parse_json_rows(data: bytes, table: Table) -> dict[str, list[Any]]:
    """Read a released JSON file back into columns, checking it against the table's schema.

    Numbers come back as :class:`NumberToken` (their exact text), strings as ``str``,
    booleans as ``bool`` and null as ``None``. Raises :class:`JsonTableError` naming the
    first row that does not fit (row N is on line N + 1 of the file).
    """
    try:
        rows = json.loads(
            data.decode("utf-8"),
            parse_float=NumberToken,
            parse_int=NumberToken,
            parse_constant=_reject_constant,
        )
    except UnicodeDecodeError as e:
        raise JsonTableError(f"not UTF-8: {e}") from e
    except json.JSONDecodeError as e:
        raise JsonTableError(f"not valid JSON: {e.msg} (line {e.lineno})") from e
    except RecursionError:  # '[[[[...': a table file holds flat objects only
        raise JsonTableError("the JSON is nested too deeply to be read") from None
    if not isinstance(rows, list):
        raise JsonTableError("the file does not hold a JSON array")
    names = table.field_names
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise JsonTableError(f"row {i} (line {i + 1}) is not an object")
        if list(row) != names:
            raise JsonTableError(
                f"row {i} (line {i + 1}) has keys {list(row)}, expected {names} in that order"
            )
        for f in table.fields:
            v = row[f.name]
            if v is not None and not _fits(v, f):
                raise JsonTableError(
                    f"row {i} (line {i + 1}), field {f.name!r}: {json.dumps(v, ensure_ascii=False)} "
                    f"is not a JSON {json_kind(f)}"
                )
            columns[f.name].append(v)
    return columns


def _fits(v: Any, f: Field) -> bool:
    kind = json_kind(f)
    if kind == "integer":
        return isinstance(v, NumberToken) and JSON_INTEGER.fullmatch(v) is not None
    if kind == "number":
        return isinstance(v, NumberToken)
    if kind == "boolean":
        return isinstance(v, bool)
    return type(v) is str


def text_cell(v: Any, f: Field) -> str | None:
    """The CSV text equivalent of a JSON value (booleans as the field's first true/false value)."""
    if v is None:
        return None
    if v is True:
        return f.true_values[0] if f.true_values else "true"
    if v is False:
        return f.false_values[0] if f.false_values else "false"
    return str(v)


def text_table(columns: dict[str, list[Any]], table: Table) -> pa.Table:
    """A table of strings (the CSV-equivalent text) from JSON columns."""
    arrays = [
        pa.array([text_cell(v, f) for v in columns[f.name]], type=pa.string()) for f in table.fields
    ]
    return pa.Table.from_arrays(arrays, names=table.field_names)


# --- Parquet -----------------------------------------------------------------------


def _pandas_column(f: Field) -> dict[str, Any]:
    pandas_type, numpy_type = parquet_pandas_types(f)
    return {
        "name": f.name,
        "field_name": f.name,
        "pandas_type": pandas_type,
        "numpy_type": numpy_type,
        "metadata": None,
    }


def pandas_metadata(table: Table) -> bytes:
    """The ``pandas`` schema metadata: nullable dtypes for optional integers and booleans.

    Written by zonedata rather than by pyarrow from a DataFrame, so it names no pandas
    version and the Parquet bytes do not depend on which pandas is installed.
    """
    meta = {
        "index_columns": [],
        "column_indexes": [],
        "columns": [_pandas_column(f) for f in table.fields],
        "creator": {"library": "zonedata"},
    }
    return json.dumps(meta, separators=(",", ":")).encode()


def parquet_bytes(typed: pa.Table, table: Table) -> bytes:
    """The Parquet file of a typed table (from ``read_csv_typed``), deterministically."""
    import pyarrow.parquet as pq

    meta = {b"pandas": pandas_metadata(table)}
    meta.update(typed.schema.metadata or {})
    sink = pa.BufferOutputStream()
    pq.write_table(typed.replace_schema_metadata(meta), sink, **PARQUET_WRITE_OPTIONS)
    return bytes(sink.getvalue().to_pybytes())
