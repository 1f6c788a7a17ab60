"""Derived tables: computed by ``release`` from the SQL a package declares.

A package declares them in its descriptor's ``zonedata:derived`` list (see
:mod:`zonedata.validate.derived_checks`): a name, a schema and an SQL file. A package that
declares none gets none. Each SQL file holds one ``SELECT``, run on the release's own
SQLite database (:func:`zonedata.release.database.fill_database`, built in memory from
the validated tables) beside a schema ``text`` that holds every table's cells exactly as
its CSV file does (``TEXT``, ``NULL`` where missing): the ``main`` tables have the typed
values to compute and join with (``INTEGER``, ``REAL``, booleans as 0 or 1), and a figure
copied from ``text`` keeps its printed digits (``6.0`` stays ``6.0``).

The connection is guarded as ``verify``'s is (:func:`zonedata.sqlguard.guard`):
read-only, no ``ATTACH``, no recursive query, bounded work; the result is bounded in
rows and bytes (:class:`zonedata.limits.Limits`). Its columns must be the schema's
fields, in order. Each value becomes a text cell (:func:`cell`), and the cells go through
the schema layer and the foreign-key check like every table's
(:func:`zonedata.validate.schema_checks.check_records`): SQL that is refused, or a row
that breaks the schema, stops the release with a located
:class:`zonedata.errors.DerivedTableError`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata.descriptor import sqlite_schema
from zonedata.descriptor.declared_files import read_sql
from zonedata.descriptor.package import Field, Package, Table
from zonedata.descriptor.sqlite_schema import TEXT_SCHEMA
from zonedata.errors import DerivedTableError, InputError, ReleaseError
from zonedata.limits import Limits, current_limits, env_of
from zonedata.problems import Problem, make
from zonedata.release import database
from zonedata.sqlguard import BoundedConnection, bounded_memory, guard, sql_error
from zonedata.validate.derived_checks import PROPERTY, Declaration, declarations

if TYPE_CHECKING:
    import pyarrow as pa

    from zonedata.validate.tabledata import TableData

Cell = str | None


@dataclass
class Derived:
    """A derived table: its schema, its text and typed Arrow tables, its CSV bytes, its SQL."""

    table: Table
    raw: pa.Table
    typed: pa.Table
    csv: bytes
    sql: str
    #: the rows as validation holds a table's, for the declared rules
    data: TableData = field(repr=False, compare=False)


def derive_all(package: Package, data: dict[str, TableData]) -> list[Derived]:
    """Every table ``package`` declares, derived from the validated ``data``, in order.

    ``package`` is the release's package (its version set). Raises
    :class:`DerivedTableError` if one cannot be derived.
    """
    decls = declarations(package.descriptor)
    if not decls:
        return []
    limits = current_limits()
    try:
        with derivation_database(package, data) as con:
            derived = [derive(d, con, package, data, limits) for d in decls]
        check_declared_rules(package, data, derived)
        return derived
    except (sqlite3.Error, ValueError) as e:  # a figure no REAL holds exactly, say
        raise ReleaseError(f"cannot build the database the derived tables run on: {e}") from e
    except MemoryError:  # a cell within the byte caps can still need many times its size
        raise ReleaseError(
            "the derived tables need more memory than this machine gives: lower the size of "
            f"their values ({env_of('max_derived_bytes')} bounds them)"
        ) from None


def check_declared_rules(
    package: Package, data: dict[str, TableData], derived: list[Derived]
) -> None:
    """The rules the package declares hold for the derived rows too (no formula cell, say):
    an error on a derived table stops the release (:class:`DerivedTableError`)."""
    from zonedata.validate.semantic import check_semantics

    tables = {d.table.name: d.data for d in derived}
    found = check_semantics({**data, **tables}, package=package)
    for name in tables:
        errors = [p for p in found if p.table == name and p.severity == "error"]
        if errors:
            raise DerivedTableError(name, errors)


# --- the database the SQL runs on ---------------------------------------------------------


@contextlib.contextmanager
def derivation_database(
    package: Package, data: dict[str, TableData]
) -> Iterator[sqlite3.Connection]:
    """The release's database of ``package``'s tables, in memory, with their text in
    schema :data:`TEXT_SCHEMA`, guarded (:func:`zonedata.sqlguard.guard`)."""
    from zonedata.descriptor.arrow import with_release_schema

    tables = [t for t in package.tables if t.name in data]
    con = sqlite3.connect(":memory:", isolation_level=None, factory=BoundedConnection)
    try:
        typed = [(t, with_release_schema(_arrow(data[t.name]).arrow, t, package)) for t in tables]
        database.fill_database(con, typed, {})
        del typed
        con.execute(sqlite_schema.attach_text_sql())
        for t in tables:
            _fill_text(con, t, data[t.name])
        guard(con, declared=True)
        yield con
    finally:
        con.close()


def _arrow(td: TableData) -> TableData:
    if td.arrow is None or td.raw is None:
        raise DerivedTableError(td.table.name, [_refused(td.table.name, None, "was not read")])
    return td


def _fill_text(con: sqlite3.Connection, table: Table, td: TableData) -> None:
    """``text.<table>``: one ``TEXT`` column per field, the cells as validation read them."""
    q = database.quote
    con.execute(sqlite_schema.text_table_sql(table))
    raw = _arrow(td).raw
    assert raw is not None
    insert = (
        f"INSERT INTO {TEXT_SCHEMA}.{q(table.name)} VALUES ({', '.join('?' * raw.num_columns)})"
    )
    for batch in raw.to_batches(database.BATCH_ROWS):
        con.executemany(insert, zip(*(c.to_pylist() for c in batch.columns), strict=True))


# --- running one declaration ----------------------------------------------------------------


def derive(
    d: Declaration,
    con: sqlite3.Connection,
    package: Package,
    data: dict[str, TableData],
    limits: Limits,
) -> Derived:
    """Run ``d``'s SQL on ``con`` and check its rows as validation checks a table's."""
    try:
        sql = read_sql(package.base_path, d.sql_path)
    except InputError as e:
        raise DerivedTableError(
            d.name, [_refused(d.name, d.sql_path, str(e))], "is refused"
        ) from None
    table = _release_table(d, sql)
    columns = run_query(con, table, d.sql_path, sql, limits)
    raw, td = check_rows(table, columns, data)
    assert td.arrow is not None  # (check_rows raises otherwise)
    return Derived(table, raw, td.arrow, csv_bytes(table, columns), sql, td)


def _release_table(d: Declaration, sql: str) -> Table:
    """The derived table as the release describes it: its SQL in :data:`PROPERTY`."""
    descriptor = {**d.table.descriptor, PROPERTY: {"sqlPath": d.sql_path, "sql": sql}}
    schema = descriptor["schema"]
    descriptor["schema"] = {**schema, "missingValues": schema.get("missingValues", [""])}
    return replace(d.table, descriptor=descriptor)


def _refused(table: str, path: str | None, message: str) -> Problem:
    return make("derived-refused", message, table=table, path=path)


def run_query(
    con: sqlite3.Connection, table: Table, path: str, sql: str, limits: Limits
) -> list[list[Cell]]:
    """The query's result as text cells, column by column; refused (a
    :class:`DerivedTableError`) if it fails, returns other columns than the schema's
    fields, or more rows or bytes than ``limits`` allow."""

    def refuse(message: str) -> DerivedTableError:
        return DerivedTableError(table.name, [_refused(table.name, path, message)], "is refused")

    try:
        with bounded_memory(con, limits):
            cursor = con.execute(sql)
            names = [c[0] for c in cursor.description or ()]
            if names != table.field_names:
                raise refuse(
                    f"the query returns the columns {names[:50]}; "
                    f"the schema has {table.field_names}"
                )
            return _fetch(cursor, table.fields, limits, refuse)
    except (sqlite3.Error, MemoryError) as e:  # (SQLite out of memory: MemoryError)
        raise refuse(sql_error(e)) from None


def _fetch(
    cursor: sqlite3.Cursor, fields: tuple[Field, ...], limits: Limits, refuse: Any
) -> list[list[Cell]]:
    columns: list[list[Cell]] = [[] for _ in fields]

    def cells(row: tuple[Any, ...]) -> list[Cell]:
        try:
            return [cell(f, value) for f, value in zip(fields, row, strict=True)]
        except TypeError as e:
            raise refuse(str(e)) from None

    for row in bounded_rows(cursor, limits, refuse, cells):
        for i, text in enumerate(row):
            columns[i].append(text)
    return columns


def bounded_rows(
    cursor: sqlite3.Cursor,
    limits: Limits,
    refuse: Callable[[str], Exception],
    convert: Callable[[tuple[Any, ...]], list[Any]],
) -> Iterator[list[Any]]:
    """The cursor's rows, each converted by ``convert``: refused (``refuse(message)`` is
    raised) past ``max_derived_rows`` rows or ``max_derived_bytes`` bytes of their text."""
    size = 0
    for rows, row in enumerate(cursor, start=1):
        if rows > limits.max_derived_rows:
            raise refuse(f"the query returns more than {limits.max_derived_rows:,} rows")
        values = convert(row)
        size += sum(len(v if isinstance(v, str) else str(v)) for v in values if v is not None)
        if size > limits.max_derived_bytes:
            raise refuse(f"the query returns more than {limits.max_derived_bytes:,} bytes")
        yield values


def query_rows(
    con: sqlite3.Connection, sql: str, limits: Limits, refuse: Callable[[str], Exception]
) -> list[dict[str, Any]]:
    """The rows of one read-only query on a guarded connection (see
    :func:`derivation_database`), each a dict of plain values (text, whole numbers, reals,
    None) by column name; bounded as a derived table's rows are. A query that fails, is
    not authorized, returns two columns of one name or a blob raises ``refuse(message)``."""

    def plain(row: tuple[Any, ...]) -> list[Any]:
        if any(isinstance(v, bytes) for v in row):
            raise refuse("the query returns a blob; only text and numbers are shown")
        return list(row)

    try:
        with bounded_memory(con, limits):
            cursor = con.execute(sql)
            names = [c[0] for c in cursor.description or ()]
            if len(set(names)) != len(names):
                raise refuse(f"two columns of the query have one name: {names[:50]}")
            rows = bounded_rows(cursor, limits, refuse, plain)
            return [dict(zip(names, r, strict=True)) for r in rows]
    except (sqlite3.Error, MemoryError) as e:  # (SQLite out of memory: MemoryError)
        raise refuse(sql_error(e)) from None


def cell(f: Field, value: object) -> Cell:
    """A query's value as the text cell of field ``f``.

    ``NULL`` is a missing value; text is kept as it is; an integer is its digits, or in
    a boolean field 1 and 0 are the field's first true and false value; a ``REAL`` is
    its shortest decimal text, without exponent (``2.5``; ``6.0`` as ``6``): copy a
    figure from the ``text`` schema to keep its printed digits. A blob is refused.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        if f.kind == "boolean" and value in (0, 1):
            return f.true_values[0] if value else f.false_values[0]
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = format(Decimal(repr(value)), "f")
        return text[:-2] if text.endswith(".0") else text
    raise TypeError(f"the query returns a blob in field {f.name!r}; a cell is text")


# --- checking and writing the rows ----------------------------------------------------------


def check_rows(
    table: Table, columns: list[list[Cell]], data: dict[str, TableData]
) -> tuple[pa.Table, TableData]:
    """(text, typed) of the derived rows, checked as validation checks a table: types,
    constraints, primary key, order, foreign keys. Raises :class:`DerivedTableError`."""
    import numpy as np
    import pyarrow as pa

    from zonedata.validate.schema_checks import check_foreign_keys, check_records

    raw = pa.table(
        {n: pa.array(c, type=pa.string()) for n, c in zip(table.field_names, columns, strict=True)}
    )
    lines = np.arange(2, raw.num_rows + 2, dtype=np.int64)
    shown = table.path
    td, problems = check_records(raw, lines, table, shown, shown)
    parents = {
        fk.resource: replace(
            data[fk.resource], table=replace(data[fk.resource].table, foreign_keys=())
        )
        for fk in table.foreign_keys
        if fk.resource in data
    }
    problems += check_foreign_keys({**parents, table.name: td})
    errors = [p for p in problems if p.severity == "error" or p.code == "rows-unsorted"]
    if errors or td.arrow is None:
        raise DerivedTableError(table.name, errors)
    return raw, td


def csv_bytes(table: Table, columns: list[list[Cell]]) -> bytes:
    """The rows as CSV: UTF-8, LF, header row, minimal quoting, missing as empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.field_names)
    for row in zip(*columns, strict=True):
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8")


# --- a release's derived tables, derived again (verify) ---------------------------------------


def rederive(
    package: Package, tables: dict[str, tuple[Table, pa.Table, pa.Table]]
) -> list[tuple[str, str]]:
    """A release's derived tables, each derived again from its tables by its SQL.

    ``tables`` holds each released table's (table, text, typed), as verify read them; a
    derived table is one whose resource carries its SQL (``zonedata:derived.sql``). The
    SQL runs as :func:`derive_all` runs it, on the other tables. Returns (table, why)
    for each derived table whose SQL is refused or gives other cells than the table
    has; an empty list when every one is what its SQL gives.
    """
    import pandas as pd

    from zonedata.validate.tabledata import TableData

    derived = {n: v for n, v in tables.items() if isinstance(_sql_of(v[0]), str)}
    if not derived:
        return []
    sources = tuple(t for n, (t, _, _) in tables.items() if n not in derived)
    data = {
        t.name: TableData(
            t, Path(t.path), t.path, pd.DataFrame(), pd.DataFrame(), raw=text, arrow=typed
        )
        for t, text, typed in (tables[t.name] for t in sources)
    }
    out = []
    with derivation_database(replace(package, tables=sources), data) as con:
        for name, (table, text, _) in derived.items():
            try:
                columns = run_query(con, table, table.path, str(_sql_of(table)), current_limits())
            except DerivedTableError as e:
                out.append((name, "; ".join(p.message for p in e.problems)))
                continue
            got = [text.column(f).to_pylist() for f in table.field_names]
            if got != columns:
                out.append((name, _first_difference(table, got, columns)))
    return out


def _sql_of(table: Table) -> object:
    d = table.descriptor.get(PROPERTY)
    return d.get("sql") if isinstance(d, dict) else None


def _first_difference(table: Table, got: list[list[Cell]], want: list[list[Cell]]) -> str:
    if len(got[0]) != len(want[0]):
        return f"has {len(got[0])} rows; its SQL gives {len(want[0])}"
    for row, cells in enumerate(zip(*got, strict=True), start=1):
        wanted = tuple(c[row - 1] for c in want)
        if cells != wanted:
            return f"row {row} is {cells!r}; its SQL gives {wanted!r}"
    return "differs from what its SQL gives"
