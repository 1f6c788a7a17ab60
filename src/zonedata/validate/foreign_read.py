"""Tables frictionless validated, read into the cells the rules check and a release writes.

``zonedata validate`` reads a plain UTF-8 CSV table itself (the fast path) and keeps
its cells for the rules and the release. A table of another shape (a field type the fast
path does not check: ``datetime``, ``time``, ``yearmonth``, ``duration``, ``geopoint``,
``geojson``, ``object``, ``array``; a number option ``groupChar``, ``decimalChar`` or
``bareNumber``; a date ``format``; another format, dialect or encoding) is validated by
frictionless (:mod:`zonedata.validate.foreign`) and, once frictionless found it valid,
read here, by frictionless too, once: into a :class:`~zonedata.validate.tabledata.TableData`
(:func:`table_data`) that the declared rules check and that ``release`` writes.

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
  (:func:`zonedata.descriptor.arrow.cast_column`). Types without an Arrow equivalent are
  strings: the text as printed. A cell the release type cannot hold (a figure beyond its
  digits, a number that is not finite) is reported as the fast path reports it.

Each row is known by frictionless' row number (the header is row 1): the rules' problems
are at that line of a CSV file, at that row of any other source. The reading is bounded
as zonedata's own: each file is checked first (a regular file, within the size and
expansion limits), at most ``ZONEDATA_MAX_ROWS`` rows and ``ZONEDATA_MAX_FILE_BYTES``
bytes of text (what the released CSV file holds).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata import names
from zonedata.descriptor.package import Field, Table
from zonedata.descriptor.sources import UnsafeInput, check_readable, file_format, parts
from zonedata.errors import TableReadError
from zonedata.limits import current_limits, env_of
from zonedata.problems import Problem, make
from zonedata.validate.foreign import for_frictionless

if TYPE_CHECKING:
    import pyarrow as pa

    from zonedata.validate.tabledata import TableData

#: Field properties that describe how the source spells a value, not the value.
SPELLING = ("groupChar", "decimalChar", "bareNumber")
#: Kinds whose text in a release is the canonical text of the typed value.
TYPED_KINDS = frozenset({"integer", "year", "number", "boolean", "date"})
#: Resource properties of the source's file that the released CSV does not share.
SOURCE_FILE = ("dialect", "encoding", "compression", "format", "mediatype", "scheme", "data")
#: Formats whose row numbers are the lines of the file (a cell spanning lines aside).
LINE_FORMATS = frozenset({"csv", "tsv"})


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


def lines_known(table: Table) -> bool:
    """Whether frictionless' row numbers of ``table`` are lines of its file."""
    return bool(parts(table.descriptor)) and file_format(table.descriptor, table.path) in (
        LINE_FORMATS
    )


@dataclass
class ForeignTable:
    """One table as frictionless read it (see the module's doc)."""

    #: the table as its release describes it (:func:`release_descriptor`)
    released: Table
    #: the text of each cell, a string column per field (null where missing)
    raw: pa.Table
    #: the text cast to the release types (null where missing or rejected)
    typed: pa.Table
    #: frictionless' row number of each row (the header is row 1)
    rows: list[int]
    #: cells the release types cannot hold: (position of the row, field, rule code)
    rejected: list[tuple[int, Field, str]] = field(default_factory=list)

    def csv(self) -> bytes:
        """The released CSV file (:func:`csv_bytes`)."""
        names_ = self.released.field_names
        return csv_bytes(names_, [self.raw.column(n).to_pylist() for n in names_])


def read_foreign(descriptor: dict[str, Any], base: Path, table: Table) -> ForeignTable:
    """Read ``table`` (a resource of the package ``descriptor``, as frictionless reads it
    in its package) into its cells. Raises :class:`TableReadError` if its file is
    refused, frictionless cannot read it or refuses a row, or it is over the limits."""
    import pyarrow as pa

    from zonedata.descriptor.arrow import cast_column

    limits = current_limits()
    released = Table.from_descriptor(release_descriptor(table.descriptor))
    columns: list[list[str | None]] = [[] for _ in released.fields]
    rows: list[int] = []
    size = 0
    for number, values, cells in _rows(descriptor, base, table):
        if len(rows) >= limits.max_rows:
            raise TableReadError(
                table.path or table.name,
                f"it holds more than {limits.max_rows} rows (set {env_of('max_rows')} to "
                "change it)",
                "file-too-large",
            )
        rows.append(number)
        for i, f in enumerate(released.fields):
            text = _text(f, values[i], cells[i] if i < len(cells) else None)
            columns[i].append(text)
            size += len(text.encode("utf-8")) if text else 0
        if size > limits.max_file_bytes:
            raise TableReadError(
                table.path or table.name,
                f"its cells hold more than {limits.max_file_bytes} bytes of text (set "
                f"{env_of('max_file_bytes')} to change it)",
                "file-too-large",
            )
    raw = pa.Table.from_arrays(
        [pa.array(c, type=pa.string()) for c in columns], names=released.field_names
    )
    del columns
    typed_columns = []
    rejected: list[tuple[int, Field, str]] = []
    for f in released.fields:
        cast = cast_column(f, raw.column(f.name))
        for code, mask in cast.rejected.items():
            rejected += [(int(i), f, code) for i in mask.nonzero()[0]]
        typed_columns.append(cast.values)
    typed = pa.Table.from_arrays(typed_columns, names=released.field_names)
    rejected.sort(key=lambda r: r[0])
    return ForeignTable(released, raw, typed, rows, rejected)


def read_table(
    descriptor: dict[str, Any], base: Path, table: Table
) -> tuple[Table, pa.Table, pa.Table, bytes]:
    """(release table, text, typed, CSV bytes) of a table frictionless validated, read
    again (see :func:`read_foreign`); a cell the release types cannot hold is a
    :class:`TableReadError` too."""
    read = read_foreign(descriptor, base, table)
    if read.rejected:
        pos, f, code = read.rejected[0]
        value = _shown(read.raw.column(f.name)[pos].as_py())
        raise TableReadError(
            table.path or table.name,
            f"cannot be released: row {read.rows[pos]}, field {f.name!r}: {value!r}: {code}",
            code,
        )
    return read.released, read.raw, read.typed, read.csv()


def table_data(
    descriptor: dict[str, Any], base: Path, table: Table, display: str
) -> tuple[TableData | None, list[Problem]]:
    """``table`` read (:func:`read_foreign`) into what the rules check and a release
    writes, and the problems of its reading: ``(None, [problem])`` if it cannot be read;
    the cells the release types cannot hold, at their rows, otherwise.

    The frames are indexed by frictionless' row numbers (see the module's doc)."""
    kw = {"table": table.name, "path": display}
    try:
        read = read_foreign(descriptor, base, table)
    except TableReadError as e:
        return None, [make(e.code, f"{display}: {e.detail.rstrip('.')}.", **kw)]

    import numpy as np
    import pandas as pd

    from zonedata.descriptor.arrow import type_range
    from zonedata.descriptor.fieldtypes import rules_series
    from zonedata.validate.tabledata import TableData

    at_lines = lines_known(table)
    problems = []
    for pos, f, code in read.rejected:
        value = _shown(read.raw.column(f.name)[pos].as_py())
        why = (
            f"{value!r} is not a finite number; {f.name!r} is released as "
            f"{'an exact decimal' if f.decimals is not None else 'a JSON number'}, which "
            "cannot hold it."
            if code == "number-not-finite"
            else f"{value!r} does not fit the type {f.name!r} is released as: {type_range(f)}."
        )
        row = read.rows[pos]
        problems.append(
            make(
                code,
                why,
                **kw,
                line=row if at_lines else None,
                row=row,
                field=f.name,
                field_number=read.released.field_names.index(f.name) + 1,
                value=value,
            )
        )
    index = pd.Index(np.asarray(read.rows, dtype=np.int64), name="line")
    text = pd.DataFrame(
        {
            n: pd.Series(pd.arrays.ArrowStringArray(read.raw.column(n)))
            for n in read.raw.column_names
        },
        copy=False,
    )
    text.index = index
    typed = pd.DataFrame(
        {f.name: rules_series(f, read.typed.column(f.name)) for f in read.released.fields},
        copy=False,
    )
    typed.index = index
    path = base / table.path if table.path else Path(display)
    td = TableData(
        table=table,
        path=path,
        display_path=display,
        text=text,
        typed=typed,
        raw=read.raw,
        arrow=read.typed,
    )
    return td, problems


def _shown(text: str | None) -> str:
    """A cell's text as a message shows it: at most 200 characters."""
    text = text or ""
    return text if len(text) <= 200 else text[:200] + "..."


def _rows(descriptor: dict[str, Any], base: Path, table: Table) -> Iterator[tuple[int, Any, Any]]:
    """(row number, values, cells) of each row, as frictionless reads them. Each file is
    checked as validation checks it first (a regular file, within the size and expansion
    limits)."""
    from frictionless import Package as FPackage
    from frictionless import system

    shown = table.path or table.name
    try:
        for part in parts(table.descriptor):
            check_readable(base / part, table.descriptor, part)
    except UnsafeInput as e:
        raise TableReadError(shown, f"not read: {e.message}", e.code) from e

    try:
        with system.use_context(trusted=False):
            resource = FPackage(for_frictionless(descriptor), basepath=str(base)).get_resource(
                table.name
            )
            with resource:
                for row in resource.row_stream:  # type: ignore[attr-defined]
                    if row.errors:
                        raise TableReadError(
                            shown,
                            f"row {row.row_number} cannot be read ({row.errors[0].note}); "
                            "validate the package again",
                        )
                    yield row.row_number, row.to_list(), list(row.cells)
    except TableReadError:
        raise
    except Exception as e:  # frictionless' own errors: FrictionlessException and others
        note = getattr(getattr(e, "error", None), "note", None) or str(e)
        raise TableReadError(shown, f"cannot be read: {note}") from e


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
