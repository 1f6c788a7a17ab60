"""Tables that validation left to frictionless, read again for their release.

``zonedata validate`` reads a plain UTF-8 CSV table itself (the fast path) and keeps
its cells for the release. A table of another shape (a field type the fast path does not
check: ``datetime``, ``time``, ``yearmonth``, ``duration``, ``geopoint``, ``geojson``,
``object``, ``array``; a number option ``groupChar``, ``decimalChar`` or ``bareNumber``;
a date ``format``; another format, dialect or encoding) is validated by frictionless,
and read here, by frictionless too, into what the release writes:

- the text of each cell: for integers, years, numbers, booleans and dates the
  canonical text of the value frictionless read (``1234.5`` for ``1.234,5`` with
  ``decimalChar: ","``; ISO 8601 dates; the field's first true or false value); for
  every other type the cell's text as printed in the source (an object or array read
  from a JSON file: its JSON text). A missing value is an empty cell;
- the release schema of the table (:func:`release_descriptor`): the source's, without
  what described the source's spelling of numbers and dates (``groupChar``,
  ``decimalChar``, ``bareNumber``, a date ``format``) and with ``""`` as the missing
  value, so that the released CSV, written from that text (UTF-8, comma, LF), reads
  back as the same values;
- the typed table: the text cast to the release types
  (:func:`zonedata.descriptor.arrow.cast_to_schema`). Types without an Arrow equivalent are
  strings: the text as printed.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata import names
from zonedata.descriptor.package import Field, Package, Table
from zonedata.descriptor.sources import UnsafeInput, check_readable, parts
from zonedata.release.errors import ReleaseError
from zonedata.validate.profile import keys_as_lists, offline_profiles

if TYPE_CHECKING:
    import pyarrow as pa

#: Field properties that describe how the source spells a value, not the value.
SPELLING = ("groupChar", "decimalChar", "bareNumber")
#: Kinds whose text in a release is the canonical text of the typed value.
TYPED_KINDS = frozenset({"integer", "year", "number", "boolean", "date"})
#: Resource properties of the source's file that the released CSV does not share.
SOURCE_FILE = ("dialect", "encoding", "compression", "format", "mediatype", "scheme", "data")


def plain_csv_descriptor(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without what described its source file (dialect, encoding,
    compression, parts, inline data): its release writes a plain UTF-8 CSV file."""
    out = {k: copy.deepcopy(v) for k, v in resource.items() if k not in SOURCE_FILE}
    if not isinstance(out.get("path"), str) and isinstance(out.get("name"), str):
        # inline data or parts: its released file
        out["path"] = f"{names.file_stem(out['name'])}.csv"
    return out


def release_descriptor(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource as its release describes it (see the module's doc)."""
    out = plain_csv_descriptor(resource)
    schema = out.get("schema")
    if not isinstance(schema, dict):
        return out
    if schema.get("missingValues", [""]) != [""]:
        schema["missingValues"] = [""]
    for f in schema.get("fields") or []:
        if not isinstance(f, dict):
            continue
        for key in SPELLING:
            f.pop(key, None)
        if f.get("type") in TYPED_KINDS and f.get("format") not in (None, "default"):
            f.pop("format")
    return out


def read_table(
    descriptor: dict[str, Any], base: Path, table: Table
) -> tuple[Table, pa.Table, pa.Table, bytes]:
    """(release table, text, typed, CSV bytes) of a table frictionless validated.

    ``descriptor`` is the package's (frictionless reads a resource in its package).
    Raises :class:`ReleaseError` if frictionless cannot read it or finds a row it
    refuses (the file changed since validation).
    """
    import pyarrow as pa

    from zonedata.descriptor.arrow import cast_to_schema

    released = Table.from_descriptor(release_descriptor(table.descriptor))
    columns: list[list[str | None]] = [[] for _ in released.fields]
    for values, cells in _rows(descriptor, base, table):
        for i, f in enumerate(released.fields):
            columns[i].append(_text(f, values[i], cells[i] if i < len(cells) else None))
    text = pa.Table.from_arrays(
        [pa.array(c, type=pa.string()) for c in columns], names=released.field_names
    )
    try:
        typed = cast_to_schema(text, released, Package(descriptor={}, base_path=base, tables=()))
    except ValueError as e:
        raise ReleaseError(f"{table.path}: cannot be released: {e}") from e
    return released, text, typed, csv_bytes(released.field_names, columns)


def _rows(descriptor: dict[str, Any], base: Path, table: Table) -> Any:
    """(values, cells) of each row, as frictionless reads them. Each file is checked as
    validation checks it first (a regular file, within the size and expansion limits)."""
    from frictionless import Package as FPackage
    from frictionless import system

    try:
        for part in parts(table.descriptor):
            check_readable(base / part, table.descriptor, part)
    except UnsafeInput as e:
        raise ReleaseError(f"{table.path}: not read for the release: {e.message}") from e

    d = keys_as_lists(copy.deepcopy(descriptor))
    offline_profiles(d)
    for r in d.get("resources") or []:
        if isinstance(r, dict) and isinstance(r.get("schema"), dict):
            r["type"] = "table"
    try:
        with system.use_context(trusted=False):
            resource = FPackage(d, basepath=str(base)).get_resource(table.name)
            with resource:
                for row in resource.row_stream:  # type: ignore[attr-defined]
                    if row.errors:
                        raise ReleaseError(
                            f"{table.path}: row {row.row_number} is not what validation read "
                            f"({row.errors[0].note}); validate the package again"
                        )
                    yield row.to_list(), list(row.cells)
    except ReleaseError:
        raise
    except Exception as e:  # frictionless' own errors: FrictionlessException and others
        note = getattr(getattr(e, "error", None), "note", None) or str(e)
        raise ReleaseError(f"{table.path}: cannot be read for the release: {note}") from e


def _text(f: Field, value: Any, cell: Any) -> str | None:
    """The released text of one cell (see the module's doc)."""
    if value is None:
        return None
    kind = f.kind if f.type in TYPED_KINDS else "text"
    if kind == "boolean":
        chosen = f.true_values if value else f.false_values
        return chosen[0] if chosen else ("true" if value else "false")
    if kind in ("integer", "year"):
        return str(int(value))
    if kind == "number":
        return format(value, "f") if not isinstance(value, float) else repr(value)
    if kind == "date":
        return str(value.isoformat())
    if isinstance(cell, str):
        return cell
    if isinstance(cell, (dict, list)):
        return json.dumps(cell, ensure_ascii=False, separators=(",", ":"))
    return str(cell if cell is not None else value)


def csv_bytes(names: list[str], columns: list[list[str | None]]) -> bytes:
    """A CSV file of the text columns: UTF-8, comma, LF, quoted only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    n = len(columns[0]) if columns else 0
    for i in range(n):
        writer.writerow(["" if c[i] is None else c[i] for c in columns])
    return out.getvalue().encode("utf-8")
