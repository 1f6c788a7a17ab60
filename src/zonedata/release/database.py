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
verified bytes, in memory, read-only, with untrusted schema and limits on work.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata.descriptor.fieldtypes import sqlite_column, sqlite_type
from zonedata.descriptor.package import Table
from zonedata.limits import Limits, current_limits
from zonedata.validate.publishable import CATALOGUE_TABLES

if TYPE_CHECKING:
    import pyarrow as pa


#: Page size of the database (bytes): fixed, so that it is not the library's default.
PAGE_SIZE = 4096
#: Rows per ``executemany`` batch.
BATCH_ROWS = 10_000
#: The catalogue tables (validate reports a table of one of these names: name-reserved).
TABLES_TABLE, FIELDS_TABLE = CATALOGUE_TABLES
#: The catalogue tables' columns: (name, declared type, NOT NULL).
TABLES_COLUMNS = (
    ("table_name", "TEXT", True),
    ("position", "INTEGER", True),
    ("title", "TEXT", False),
    ("description", "TEXT", False),
    ("rows", "INTEGER", True),
    ("derived_by", "TEXT", False),
)
FIELDS_COLUMNS = (
    ("table_name", "TEXT", True),
    ("position", "INTEGER", True),
    ("field_name", "TEXT", True),
    ("type", "TEXT", True),
    ("sqlite_type", "TEXT", True),
    ("required", "INTEGER", True),
    ("decimals", "INTEGER", False),
    ("unit", "TEXT", False),
    ("title", "TEXT", False),
    ("description", "TEXT", False),
)
#: Verify: SQLite virtual-machine steps between two checks of the work and time a query
#: on a stranger's database has taken (its bounds are :class:`zonedata.limits.Limits`'
#: ``max_sql_steps`` and ``max_sql_seconds``; ``max_value_bytes`` bounds a value).
PROGRESS_STEPS = 10_000
#: The default bounds, as progress checks and bytes (for messages; the bounds in force are
#: :func:`zonedata.limits.current_limits`').
MAX_PROGRESS_CHECKS = Limits().max_sql_steps // PROGRESS_STEPS
MAX_VALUE_BYTES = Limits().max_value_bytes


def quote(name: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def _columns_sql(columns: tuple[tuple[str, str, bool], ...]) -> list[str]:
    return [f"{quote(n)} {t}{' NOT NULL' if nn else ''}" for n, t, nn in columns]


def create_table_sql(table: Table, tables: dict[str, Table]) -> str:
    """``CREATE TABLE`` for a released table, with its keys and declared types."""
    parts = _columns_sql(tuple((f.name, sqlite_type(f), f.required) for f in table.fields))
    if table.primary_key:
        parts.append(f"PRIMARY KEY ({', '.join(quote(c) for c in table.primary_key)})")
    for fk in table.foreign_keys:
        parent = tables.get(fk.resource)
        if parent is None or tuple(parent.primary_key) != tuple(fk.reference_fields):
            continue  # SQLite checks a foreign key only against a primary key or unique index
        parts.append(
            f"FOREIGN KEY ({', '.join(quote(c) for c in fk.fields)}) REFERENCES "
            f"{quote(fk.resource)} ({', '.join(quote(c) for c in fk.reference_fields)})"
        )
    return f"CREATE TABLE {quote(table.name)} (\n  " + ",\n  ".join(parts) + "\n)"


def catalogue_sql(name: str, columns: tuple[tuple[str, str, bool], ...], key: str) -> str:
    parts = [*_columns_sql(columns), f"PRIMARY KEY ({key})"]
    return f"CREATE TABLE {quote(name)} (\n  " + ",\n  ".join(parts) + "\n)"


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


_ALLOWED = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_PRAGMA}
)
_PRAGMAS = frozenset(
    {"integrity_check", "foreign_key_check", "table_xinfo", "table_info", "foreign_key_list"}
)


#: functions whose result is not a function of the data (chance, the clock, the
#: connection's history): refused, so that the same release gives the same bytes
_UNSTABLE = frozenset(
    {
        "random",
        "randomblob",
        "changes",
        "total_changes",
        "last_insert_rowid",
        "date",
        "time",
        "datetime",
        "julianday",
        "strftime",
        "unixepoch",
        "timediff",
        "current_date",
        "current_time",
        "current_timestamp",
    }
)


def _authorize(
    action: int, arg1: str | None, arg2: str | None, db: str | None, _: str | None
) -> int:
    """Only reads and the few pragmas verify runs; nothing that writes or attaches, and
    no function whose result is not a function of the data (random, the clock)."""
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _UNSTABLE:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in _PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


class BoundedConnection(sqlite3.Connection):
    """A connection whose every ``execute`` gets a fresh budget of steps and seconds.

    The progress handler counts the virtual machine's steps of the query last started
    and the time since; past either bound it stops the query
    (``sqlite3.OperationalError: interrupted``).
    """

    max_steps: int = 0
    max_seconds: float = 0.0
    _steps: int = 0
    _deadline: float = 0.0

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._steps, self._deadline = 0, time.monotonic() + self.max_seconds
        return super().execute(sql, parameters)

    def progress(self) -> int:
        self._steps += PROGRESS_STEPS
        return int(self._steps > self.max_steps or time.monotonic() > self._deadline)


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


def schema_statements(tables: list[Table]) -> list[str]:
    """The ``CREATE`` statements a release runs for ``tables``, in its order."""
    by_name = {t.name: t for t in tables}
    return [
        catalogue_sql(TABLES_TABLE, TABLES_COLUMNS, '"table_name"'),
        catalogue_sql(FIELDS_TABLE, FIELDS_COLUMNS, '"table_name", "field_name"'),
        *(create_table_sql(t, by_name) for t in tables),
    ]


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


def guard(con: sqlite3.Connection, limits: Limits | None = None) -> None:
    """Make ``con`` read-only and bounded, for queries on a database that is not ours.

    No function with side effects in a view, trigger or generated column
    (``trusted_schema = OFF``), only reads and a few pragmas (an authorizer: no write,
    ``ATTACH`` or recursive query), no extension, no value longer than
    ``max_value_bytes``, and a query stopped after ``max_sql_steps`` steps or
    ``max_sql_seconds`` (:class:`zonedata.limits.Limits`): each query afresh on a
    :class:`BoundedConnection`, all of a plain connection's queries together (from this
    call) otherwise. ``verify`` reads a release's database so, and ``release`` runs a
    package's derived-table SQL so (:mod:`zonedata.release.derived`).
    """
    bounds = limits or current_limits()
    con.execute("PRAGMA trusted_schema = OFF")
    con.execute("PRAGMA query_only = ON")
    con.execute("PRAGMA cell_size_check = ON")
    con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, min(bounds.max_value_bytes, 1 << 30))
    con.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    if isinstance(con, BoundedConnection):
        con.max_steps, con.max_seconds = bounds.max_sql_steps, bounds.max_sql_seconds
        con.set_progress_handler(con.progress, PROGRESS_STEPS)
    else:
        con.set_progress_handler(_budget(bounds), PROGRESS_STEPS)
    con.set_authorizer(_authorize)


def _budget(bounds: Limits) -> Callable[[], int]:
    """A progress handler: stop once ``max_sql_steps`` steps or ``max_sql_seconds`` have
    gone by, counted from now."""
    steps, deadline = [0], time.monotonic() + bounds.max_sql_seconds

    def progress() -> int:
        steps[0] += PROGRESS_STEPS
        return int(steps[0] > bounds.max_sql_steps or time.monotonic() > deadline)

    return progress
