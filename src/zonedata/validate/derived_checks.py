"""The derived tables a package declares (``zonedata:derived``): read and checked.

A package may declare tables that ``zonedata release`` derives from its own tables, in
the descriptor's top-level ``zonedata:derived`` list (a custom property, which the Data
Package standard allows). Each declaration has a ``name``, an optional ``title`` and
``description``, ``sqlPath`` (the SQL file that computes the rows: a plain relative path
inside the package folder) and the table's ``schema`` (a Table Schema). The JSON Schema
of the list is ``derived.schema.json`` beside this module.

:func:`check_derived` reports a malformed declaration as a located ``derived-invalid``
problem (validation's descriptor layer); :func:`check_queries` compiles each declared
query, without running it, on the release's tables created empty
(:func:`zonedata.descriptor.sqlite_schema.empty_derivation_database`, the release's own
statements) under the release's authorizer and limits (:mod:`zonedata.sqlguard`), and
reports SQL that does not compile, or returns other columns than the schema's fields, as
a located ``derived-sql`` problem; :func:`declarations` reads the declarations of a
package that passes them. A declaration's SQL file is read as every declared file is
(:func:`zonedata.descriptor.declared_files.read_sql`).
:mod:`zonedata.release.derived` runs them: what depends on the rows (their number and
bytes, the work) is checked there.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from zonedata import jsonschemas
from zonedata.descriptor.declared_files import read_sql
from zonedata.descriptor.package import DescriptorError, Package, Table
from zonedata.descriptor.sqlite_schema import empty_derivation_database
from zonedata.errors import InputError
from zonedata.names import file_stem, name_problem
from zonedata.problems import Problem, make
from zonedata.sqlguard import compile_problem, query_columns
from zonedata.validate.descriptor_checks import check_references
from zonedata.validate.publishable import is_reserved

#: The descriptor's top-level property that lists the derived tables.
PROPERTY = "zonedata:derived"
#: The JSON Schema of :data:`PROPERTY`, beside this module.
SCHEMA_FILE = "derived.schema.json"
#: The most schema problems reported for the declarations.
MAX_SCHEMA_PROBLEMS = 20


@dataclass(frozen=True)
class Declaration:
    """One declared derived table: its name, SQL file and table (path ``<name>.csv``)."""

    name: str
    sql_path: str
    table: Table


def declaration_table(item: dict[str, Any]) -> Table:
    """The table a declaration describes, as a resource (its file: ``<stem>.csv``).

    Raises :class:`DescriptorError` (or ``TypeError``/``ValueError``) for a schema the
    data model cannot use.
    """
    name = item["name"]
    d: dict[str, Any] = {"name": name, "type": "table"}
    for key in ("title", "description"):
        if isinstance(item.get(key), str):
            d[key] = item[key]
    d["path"] = f"{file_stem(name)}.csv"
    d["schema"] = item["schema"]
    return Table.from_descriptor(d)


def declarations(descriptor: dict[str, Any]) -> list[Declaration]:
    """The declared derived tables, in order (none if the property is absent).

    For a descriptor that passes :func:`check_derived`; raises :class:`DescriptorError`
    for one that does not.
    """
    items = descriptor.get(PROPERTY)
    if items is None:
        return []
    if not isinstance(items, list):
        raise DescriptorError(f"{PROPERTY} must be a list of declarations")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) for k in ("name", "sqlPath")
        ):
            raise DescriptorError(f"{PROPERTY}[{i}] is not a declaration")
        try:
            table = declaration_table(item)
        except (TypeError, ValueError) as e:
            raise DescriptorError(f"{PROPERTY}[{i}]: {e}") from None
        out.append(Declaration(item["name"], item["sqlPath"], table))
    return out


# --- the checks -------------------------------------------------------------------------


def check_derived(descriptor: dict[str, Any], package: Package, display: str) -> list[Problem]:
    """Every ``derived-invalid`` problem of the declarations (none if there are none; a
    null declares none silently, and is one)."""
    if PROPERTY not in descriptor:
        return []
    items = descriptor[PROPERTY]
    problems = _schema_problems(items, display)
    if problems:
        return problems
    seen = set(package.table_names)
    for i, item in enumerate(items):
        problems += _item_problems(i, item, package, seen, display)
        seen.add(item["name"])
    return problems


def _problem(
    index: int | None,
    key: str,
    message: str,
    display: str,
    code: str = "derived-invalid",
    **kw: Any,
) -> Problem:
    where = PROPERTY if index is None else f"{PROPERTY}/{index}"
    where += f"/{key}" if key else ""
    return make(
        code,
        f"Derived table declaration at property '{where}': {message}.",
        path=display,
        **kw,
    )


def _schema_problems(items: Any, display: str) -> list[Problem]:
    """The declarations against ``derived.schema.json``."""
    text = resources.files("zonedata.validate").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    validator = jsonschemas.validator(text)
    errors = sorted(validator.iter_errors(items), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors[:MAX_SCHEMA_PROBLEMS]:
        parts = [str(p) for p in e.absolute_path]
        index = int(parts[0]) if parts else None
        out.append(_problem(index, "/".join(parts[1:]), _short(e.message), display))
    return out


def _short(message: str) -> str:
    return message if len(message) <= 200 else message[:197] + "..."


def _item_problems(
    i: int, item: dict[str, Any], package: Package, seen: set[str], display: str
) -> list[Problem]:
    name = item["name"]
    kw = {"table": name, "value": name}
    why = name_problem(name)
    if why is not None:
        return [_problem(i, "name", f"the name {name[:100]!r} {why}", display, **kw)]
    if name in seen:
        why = f"{name!r} is already the name of a table"
        return [_problem(i, "name", why, display, value=name)]
    if is_reserved(name):
        why = (
            f"{name!r} is reserved by the release's SQLite database (_tables, _fields, sqlite_...)"
        )
        return [_problem(i, "name", why, display, value=name)]
    out = []
    try:
        read_sql(package.base_path, item["sqlPath"])
    except InputError as e:
        out.append(_problem(i, "sqlPath", str(e), display, table=name))
    return out + _schema_of(i, item, package, display)


def _schema_of(i: int, item: dict[str, Any], package: Package, display: str) -> list[Problem]:
    """The declaration's table schema: usable by the data model, keys that resolve."""
    name = item["name"]
    try:
        table = declaration_table(item)
    except (DescriptorError, TypeError, ValueError) as e:
        return [_problem(i, "schema", _short(str(e)), display, table=name)]
    fields = table.field_names
    out = []
    if len(set(fields)) != len(fields):
        out.append(_problem(i, "schema/fields", "two fields have one name", display, table=name))
    if missing := [f for f in table.primary_key if f not in fields]:
        why = f"the primary key uses {', '.join(map(repr, missing))}, not a field"
        out.append(_problem(i, "schema/primaryKey", why, display, table=name))
    with_it = Package(package.descriptor, package.base_path, (*package.tables, table))
    for p in check_references(with_it, display):
        if p.table == name:
            why = p.message.removeprefix(f"Resource {name!r}: ").rstrip(".")
            out.append(_problem(i, "schema/foreignKeys", why, display, table=name))
    return out


# --- the SQL compiles on the release's tables ------------------------------------------------

#: SQLite's message for a table it does not have (in main, or in the text schema)
_NO_TABLE = re.compile(r"no such table: (?:(?:main|text)\.)?(\S+)")


def check_queries(
    descriptor: dict[str, Any],
    package: Package,
    display: str,
    elsewhere: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Every ``derived-sql`` problem: each declaration's SQL compiles, without running, on
    the release's derivation database of ``package``'s tables (the tables a release derives
    from), created empty by the release's own statements, under the release's authorizer
    and limits, and returns the declared schema's fields.

    ``elsewhere`` names the package's tables that are not in that database, with why: the
    tables frictionless reads (another encoding, format or field type) are not, so SQL
    that reads one is reported, saying so.

    Nothing is reported for declarations :func:`check_derived` refuses, an SQL file that
    cannot be read (``derived-invalid``), nor tables SQLite cannot hold (``name-reserved``,
    ``field-name-twin``).
    """
    try:
        decls = declarations(descriptor)
    except DescriptorError:
        return []
    if not decls:
        return []
    out = []
    try:
        with empty_derivation_database(list(package.tables)) as con:
            for i, d in enumerate(decls):
                try:
                    sql = read_sql(package.base_path, d.sql_path)
                except InputError:
                    continue  # (reported by check_derived)
                why = compile_problem(con, sql)
                if why is None:
                    columns = query_columns(con, sql)
                    fields = d.table.field_names
                    if columns is not None and columns != fields:
                        why = (
                            f"the query returns the columns {columns[:50]}; the schema has {fields}"
                        )
                missing = _NO_TABLE.search(why or "")
                if missing and missing.group(1) in (elsewhere or {}):
                    name = missing.group(1)
                    why = (
                        f"{why}: table {name!r} is read by frictionless "
                        f"({(elsewhere or {})[name]}), and a derived table's SQL runs only on "
                        "the tables zonedata reads itself"
                    )
                if why is not None:
                    message = f"{d.sql_path[:200]}: {why.rstrip('.')}"
                    out.append(
                        _problem(i, "sqlPath", message, display, "derived-sql", table=d.name)
                    )
    except sqlite3.Error:  # tables SQLite cannot hold: validation says why
        return []
    return out
