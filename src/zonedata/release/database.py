"""The release's SQLite database: every table in one file, for ``sqlite3`` and Datasette.

``zonedata-<version>.sqlite`` holds

- every released table (the canonical tables, then the derived tables), each with its
  primary key, its foreign keys (where they reference a primary key) and ``NOT NULL``
  on required fields; each column is declared with
  :func:`zonedata.descriptor.fieldtypes.sqlite_type` (``INTEGER``, ``REAL`` or ``TEXT``) and holds
  the values :func:`zonedata.descriptor.fieldtypes.sqlite_column` gives;
- ``_tables``: one row per table (title, description, number of rows, and for a
  derived table the SQL it is derived by);
- ``_fields``: one row per field of each table, in schema order (its kind: the
  descriptor type, or ``partial-date``;
  declared SQLite type, required, decimals, unit, title, description).

Reproducible: the file is written by the standard library's ``sqlite3`` with a fixed
page size and encoding, rows inserted in primary-key order, no timestamps, and
``VACUUM`` last, which rebuilds the file from its contents. The bytes depend on the
package and on the SQLite library version (which the file's header records, and the
release descriptor names), as the Parquet files depend on pyarrow's.

:func:`open_database` opens a release's database safely for ``verify``: from the
verified bytes, in memory, read-only, with untrusted schema and limits on work
(:func:`zonedata.sqlguard.guard`). The ``CREATE`` statements are
:mod:`zonedata.descriptor.sqlite_schema`'s, which ``validate`` compiles derived tables' SQL
on.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from zonedata.descriptor.fieldtypes import sqlite_column, sqlite_type
from zonedata.descriptor.package import Table
from zonedata.descriptor.sqlite_schema import FIELDS_TABLE as FIELDS_TABLE
from zonedata.descriptor.sqlite_schema import TABLES_TABLE as TABLES_TABLE
from zonedata.descriptor.sqlite_schema import quote as quote
from zonedata.descriptor.sqlite_schema import schema_statements as schema_statements
from zonedata.limits import Limits, current_limits
from zonedata.sqlguard import MAX_PROGRESS_CHECKS as MAX_PROGRESS_CHECKS
from zonedata.sqlguard import PROGRESS_STEPS as PROGRESS_STEPS
from zonedata.sqlguard import BoundedConnection
from zonedata.sqlguard import guard as guard

if TYPE_CHECKING:
    import pyarrow as pa


#: Page size of the database (bytes): fixed, so that it is not the library's default.
PAGE_SIZE = 4096
#: Rows per ``executemany`` batch.
BATCH_ROWS = 10_000


def sorted_rows(table: Table, typed: pa.Table) -> Iterator[list[tuple[object, ...]]]:
    """The rows in primary-key order as SQLite values, in batches."""
    if table.primary_key:
        typed = typed.sort_by([(c, "ascending") for c in table.primary_key])
    for start in range(0, typed.num_rows, BATCH_ROWS):
        batch = typed.slice(start, BATCH_ROWS)
        columns = [sqlite_column(f, batch.column(i)) for i, f in enumerate(table.fields)]
        yield list(zip(*columns, strict=True))


def field_rows(table: Table) -> list[tuple[object, ...]]:
    """The ``_fields`` rows of a table."""
    return [
        (
            table.name,
            i,
            f.name,
            f.kind,
            sqlite_type(f),
            int(f.required),
            f.decimals,
            f.unit or None,
            f.title or None,
            f.description or None,
        )
        for i, f in enumerate(table.fields, start=1)
    ]


def write_database(
    path: Path, tables: list[tuple[Table, pa.Table]], derived_by: dict[str, str]
) -> None:
    """Write the database of ``tables`` (schema, typed rows) to the new file ``path``.

    ``derived_by`` gives the SQL of each derived table. Raises ``ValueError`` for a
    value SQLite cannot hold exactly, and ``sqlite3.Error`` if the database breaks its
    own keys.
    """
    if path.exists() or path.is_symlink():
        raise FileExistsError(path)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in (
            f"page_size = {PAGE_SIZE}",
            "encoding = 'UTF-8'",
            "auto_vacuum = NONE",
            "journal_mode = MEMORY",
            "foreign_keys = OFF",
        ):
            con.execute(f"PRAGMA {pragma}")
        fill_database(con, tables, derived_by)
        bad = con.execute("PRAGMA foreign_key_check").fetchall()
        if bad:
            raise sqlite3.IntegrityError(f"foreign keys that do not resolve: {bad[:5]}")
        con.execute("VACUUM")
    finally:
        con.close()
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fill_database(
    con: sqlite3.Connection, tables: list[tuple[Table, pa.Table]], derived_by: dict[str, str]
) -> None:
    """Create the catalogues and ``tables`` on ``con`` and insert their rows, in one
    transaction: the contents of a release's database (:func:`write_database`)."""
    con.execute("BEGIN")
    for statement in schema_statements([t for t, _ in tables]):
        con.execute(statement)
    for position, (table, typed) in enumerate(tables, start=1):
        marks = ", ".join("?" * len(table.fields))
        insert = f"INSERT INTO {quote(table.name)} VALUES ({marks})"
        for rows in sorted_rows(table, typed):
            con.executemany(insert, rows)
        con.execute(
            f"INSERT INTO {quote(TABLES_TABLE)} VALUES (?, ?, ?, ?, ?, ?)",
            (
                table.name,
                position,
                table.title or None,
                table.description or None,
                typed.num_rows,
                derived_by.get(table.name),
            ),
        )
        con.executemany(
            f"INSERT INTO {quote(FIELDS_TABLE)} VALUES ({', '.join('?' * 10)})",
            field_rows(table),
        )
    con.execute("COMMIT")


# --- reading a stranger's database ----------------------------------------------------------


@contextlib.contextmanager
def open_database(data: bytes, limits: Limits | None = None) -> Iterator[BoundedConnection]:
    """A read-only connection to a database given as (verified) bytes.

    The bytes are loaded into memory (``deserialize``): no file is opened, so the file
    verify hashed is the file it reads, from a folder or a zip alike. The connection
    does not trust the schema (``trusted_schema = OFF``: no function with side effects
    in a view, trigger or generated column), answers only reads and a few pragmas (an
    authorizer), loads no extension, refuses a value longer than ``max_value_bytes``
    (``sqlite3.DataError``) and stops a query after ``max_sql_steps`` steps or
    ``max_sql_seconds`` (``sqlite3.OperationalError``), each query counted afresh.
    """
    bounds = limits or current_limits()
    con = sqlite3.connect(":memory:", isolation_level=None, factory=BoundedConnection)
    try:
        con.max_steps, con.max_seconds = bounds.max_sql_steps, bounds.max_sql_seconds
        con.deserialize(data)
        guard(con, bounds)
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def value_cap(con: sqlite3.Connection, cap: int) -> Iterator[None]:
    """Lower the longest value ``con`` hands back to ``cap`` bytes for a while."""
    before = con.getlimit(sqlite3.SQLITE_LIMIT_LENGTH)
    con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(1, min(cap, before)))
    try:
        yield
    finally:
        con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, before)


# --- the schema a release writes -------------------------------------------------------

#: One object of a database's schema: (type, name, table name, SQL).
SchemaObject = tuple[str, str, str, str | None]


def expected_schema(tables: list[Table]) -> list[SchemaObject]:
    """The schema (``sqlite_schema``'s rows) of the database a release writes for
    ``tables``: built in an empty in-memory database by the release's own statements.

    Raises ``sqlite3.Error`` if SQLite cannot hold the tables (two tables or columns
    whose names differ only in case, a table named like a catalogue table).
    """
    con = sqlite3.connect(":memory:")
    try:
        for statement in schema_statements(tables):
            con.execute(statement)
        return read_schema(con)
    finally:
        con.close()


def read_schema(con: sqlite3.Connection) -> list[SchemaObject]:
    """A database's schema objects, sorted by type and name."""
    rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall()
    return sorted((str(a), str(b), str(c), None if d is None else str(d)) for a, b, c, d in rows)
