"""The schema of a release's SQLite database: the ``CREATE`` statements, and nothing more.

A release's database (:mod:`zonedata.release.database`) holds every released table under
its own name, with its primary key, its foreign keys (where they reference a primary
key), ``NOT NULL`` on required fields and each column declared with
:func:`zonedata.descriptor.fieldtypes.sqlite_type`, beside the catalogue tables ``_tables`` and
``_fields``. A derived table's SQL (``zonedata:derived``) runs on that database with, in
schema :data:`TEXT_SCHEMA`, every table's cells as text.

The statements are built here, below validation, so that ``validate`` compiles a derived
table's SQL on exactly the tables the release creates (empty:
:func:`empty_derivation_database`) and ``release`` creates them with the same statements.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from zonedata.descriptor.fieldtypes import sqlite_type
from zonedata.descriptor.package import Table
from zonedata.sqlguard import BoundedConnection, guard

#: The release database's catalogue tables: (tables, fields).
CATALOGUE_TABLES = ("_tables", "_fields")
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
#: The attached schema where a derived table's SQL finds every table's cells as text.
TEXT_SCHEMA = "text"


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


def schema_statements(tables: list[Table]) -> list[str]:
    """The ``CREATE`` statements a release runs for ``tables``, in its order."""
    by_name = {t.name: t for t in tables}
    return [
        catalogue_sql(TABLES_TABLE, TABLES_COLUMNS, '"table_name"'),
        catalogue_sql(FIELDS_TABLE, FIELDS_COLUMNS, '"table_name", "field_name"'),
        *(create_table_sql(t, by_name) for t in tables),
    ]


def attach_text_sql() -> str:
    """The statement that attaches the (empty, in-memory) :data:`TEXT_SCHEMA`."""
    return f"ATTACH ':memory:' AS {TEXT_SCHEMA}"


def text_table_sql(table: Table) -> str:
    """``CREATE TABLE text.<table>``: one ``TEXT`` column per field, for its cells."""
    columns = ", ".join(f"{quote(n)} TEXT" for n in table.field_names)
    return f"CREATE TABLE {TEXT_SCHEMA}.{quote(table.name)} ({columns})"


@contextlib.contextmanager
def empty_derivation_database(tables: list[Table]) -> Iterator[sqlite3.Connection]:
    """The in-memory database a release runs its derived tables' SQL on, its tables
    empty: the release's statements for ``tables`` and their text schema, guarded as the
    release guards it (:func:`zonedata.sqlguard.guard`).

    Raises ``sqlite3.Error`` if SQLite cannot hold the tables (validation reports why:
    name-reserved, field-name-twin).
    """
    con = sqlite3.connect(":memory:", isolation_level=None, factory=BoundedConnection)
    try:
        for statement in schema_statements(tables):
            con.execute(statement)
        con.execute(attach_text_sql())
        for t in tables:
            con.execute(text_table_sql(t))
        guard(con, declared=True)
        yield con
    finally:
        con.close()
