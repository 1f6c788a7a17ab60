"""The release's SQLite database: every table in one file, for ``sqlite3`` and Datasette.

``zonedata-<version>.sqlite`` holds

- every released table (the canonical tables, then the derived tables), each with its
  primary key, its foreign keys (where they reference a primary key) and ``NOT NULL``
  on required fields; each column is declared with
  :func:`zonedata.model.types.sqlite_type` (``INTEGER``, ``REAL`` or ``TEXT``) and holds
  the values :func:`zonedata.model.types.sqlite_column` gives;
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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from zonedata.model.descriptor import Table
from zonedata.model.types import sqlite_column, sqlite_type

if TYPE_CHECKING:
    import pyarrow as pa


#: Page size of the database (bytes): fixed, so that it is not the library's default.
PAGE_SIZE = 4096
#: Rows per ``executemany`` batch.
BATCH_ROWS = 10_000
TABLES_TABLE = "_tables"
FIELDS_TABLE = "_fields"
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
#: Verify: SQLite virtual-machine steps between two checks of the work done, and the
#: most checks before a query on a stranger's database is stopped.
PROGRESS_STEPS = 10_000
MAX_PROGRESS_CHECKS = 100_000
#: Verify: the longest string or blob a stranger's database may hand back.
MAX_VALUE_BYTES = 64 * 1024 * 1024


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
    by_name = {t.name: t for t, _ in tables}
    con.execute("BEGIN")
    con.execute(catalogue_sql(TABLES_TABLE, TABLES_COLUMNS, '"table_name"'))
    con.execute(catalogue_sql(FIELDS_TABLE, FIELDS_COLUMNS, '"table_name", "field_name"'))
    for position, (table, typed) in enumerate(tables, start=1):
        con.execute(create_table_sql(table, by_name))
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


def _authorize(
    action: int, arg1: str | None, arg2: str | None, db: str | None, _: str | None
) -> int:
    """Only reads and the few pragmas verify runs; nothing that writes or attaches."""
    if action not in _ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() not in _PRAGMAS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@contextlib.contextmanager
def open_database(data: bytes) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a database given as (verified) bytes.

    The bytes are loaded into memory (``deserialize``): no file is opened, so the file
    verify hashed is the file it reads, from a folder or a zip alike. The connection
    does not trust the schema (``trusted_schema = OFF``: no function with side effects
    in a view, trigger or generated column), answers only reads and a few pragmas (an
    authorizer), loads no extension, caps the length of any value and stops any query
    after :data:`MAX_PROGRESS_CHECKS` × :data:`PROGRESS_STEPS` steps.
    """
    con = sqlite3.connect(":memory:", isolation_level=None)
    try:
        con.deserialize(data)
        guard(con)
        yield con
    finally:
        con.close()


def guard(con: sqlite3.Connection) -> None:
    """Make ``con`` read-only and bounded, for queries on a database that is not ours.

    No function with side effects in a view, trigger or generated column
    (``trusted_schema = OFF``), only reads and a few pragmas (an authorizer: no write,
    ``ATTACH`` or recursive query), no extension, no value longer than
    :data:`MAX_VALUE_BYTES`, and any query stopped after :data:`MAX_PROGRESS_CHECKS` ×
    :data:`PROGRESS_STEPS` steps. ``verify`` reads a release's database so, and ``release``
    runs a package's derived-table SQL so (:mod:`zonedata.release.derived`).
    """
    con.execute("PRAGMA trusted_schema = OFF")
    con.execute("PRAGMA query_only = ON")
    con.execute("PRAGMA cell_size_check = ON")
    con.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    con.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    checks = [0]

    def progress() -> int:
        checks[0] += 1
        return 1 if checks[0] > MAX_PROGRESS_CHECKS else 0

    con.set_progress_handler(progress, PROGRESS_STEPS)
    con.set_authorizer(_authorize)
