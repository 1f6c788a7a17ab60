"""A dataset's own documents, declared in its descriptor (``zonedata:docs``): rendered.

The toolkit knows no dataset: besides its own documents (the data dictionary, the rule
table...), ``zonedata docs`` writes only the documents a package declares, each from a
Jinja template and SQL queries of the package's own. The declaration is read and checked
in the descriptor layer (:mod:`zonedata.descriptor.docs_declaration`, which ``validate``
reports from too: rule ``docs-invalid``); a declaration with a problem is refused here::

    "zonedata:docs": {              # or the path of a JSON file that holds this object
      "templates": "docs/templates",            # a folder beside the descriptor
      "documents": [
        {"name": "stations", "path": "stations.md", "template": "docs/templates/stations.md",
         "summary": "every station and its readings",
         "queries": {"latest": "docs/templates/latest.sql"}}   # optional
      ]
    }

A document is written at ``docs/<path>``; its name is a target of ``zonedata docs``. Its
template runs in the site's sandbox (:func:`zonedata.site.render.environment`: no access
to Python internals, ``*`` and ``**`` bounded) and sees plain data only:

- ``package``: the package's title, description, version, licences, contributors, sources;
- ``tables``: every table, the derived ones too, as a list of rows (``{field: text}``),
  each cell as its CSV file holds it (empty where missing): a figure keeps its digits;
- ``queries``: the rows (``{column: value}``: text, numbers or None) of each SQL query
  the document names, one ``SELECT`` run on the release's SQLite database of the package
  (:func:`zonedata.release.derived.derivation_database`: typed tables in ``main``, their
  cells as text in ``text``, the derived tables too), read-only and bounded in work, rows
  and bytes as a derived table's SQL is;
- ``document``: its ``name``, ``path``, ``template`` and ``summary``.

The package is validated first (an invalid one is refused) and read as the site reads it
(:func:`zonedata.site.inputs.validated`). No Python a package declares is ever run.

Escaping is the engine's, by the suffix of the document's file: in an ``.svg`` every
printed value is escaped for XML (autoescaping); in an ``.md`` every printed value is
escaped for Markdown (:func:`zonedata.docs.md_escape`: pipes, emphasis, brackets, HTML,
line breaks), except a value marked as markup: ``|md_code`` (an inline code span) and
``|safe`` (deliberate raw output). ``|e``, ``|escape`` and ``|tojson`` escape for
Markdown too, ``|urlize`` and ``|xmlattr`` (HTML) are refused, ``|join`` escapes each item
that is not markup, and text joined to markup (``~``, ``|format``...) is escaped for
Markdown (:mod:`zonedata.docs.markdown_sandbox`). Rendering is bounded in time and size
(:mod:`zonedata.site.sandbox`).
"""

from __future__ import annotations

import copy
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from zonedata.descriptor.docs_declaration import Document, read_declaration
from zonedata.errors import DocsError, SiteError, ZonedataError
from zonedata.limits import current_limits

if TYPE_CHECKING:
    from zonedata.descriptor.package import Package, Table
    from zonedata.release.derived import Derived
    from zonedata.site.sandbox import BoundedSandbox
    from zonedata.validate.tabledata import TableData

# --- rendering ----------------------------------------------------------------------------


@dataclass
class _Data:
    """What every document sees: the package's facts and tables, each query's rows."""

    package: dict[str, Any]
    tables: dict[str, list[dict[str, str]]]
    #: document name -> query name -> rows
    queries: dict[str, dict[str, list[dict[str, Any]]]]


class DeclaredDocs:
    """The documents a package declares, rendered on demand: the package is validated
    and its queries are run once, when the first one is rendered."""

    def __init__(self, package: Package, path: str | os.PathLike[str] | None = None) -> None:
        """``package`` read from ``path`` (its ``datapackage.json`` or folder; None: the
        bundled package). Raises :class:`DocsError` for a wrong declaration."""
        self.path = path
        self.declaration = read_declaration(package.descriptor, package.base_path)
        self._data: _Data | None = None

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.declaration.documents

    def render(self, name: str) -> bytes:
        """Document ``name`` as UTF-8 bytes (raises :class:`DocsError`)."""
        from zonedata.site.render import render_template

        doc = next((d for d in self.documents if d.name == name), None)
        if doc is None:
            raise DocsError(f"the package declares no document {name!r}")
        data = self._read()
        # each document gets its own copy: a template may change what it is given (a
        # dict's update), and no document may change what the next one sees
        context = {
            "package": copy.deepcopy(data.package),
            "tables": {n: _copy(rows) for n, rows in data.tables.items()},
            "queries": {n: _copy(rows) for n, rows in data.queries[doc.name].items()},
            "document": {
                "name": doc.name,
                "path": doc.path,
                "template": doc.template,
                "summary": doc.summary,
            },
        }
        env = environment(dict(self.declaration.templates), doc.path)
        return render_template(env, doc.template, context, DocsError).encode("utf-8")

    def _read(self) -> _Data:
        if self._data is not None:
            return self._data
        from zonedata.site.context import package_facts
        from zonedata.site.inputs import InvalidPackageError, derived_tables, validated

        try:
            package, report = validated(self.path)
            derived = derived_tables(package, report.data)
        except InvalidPackageError as e:
            raise DocsError(
                f"the package does not validate, so its documents are not made:\n{e}"
            ) from None
        except SiteError as e:
            raise DocsError(str(e)) from None
        tables = {t.name: _text_rows(package, t, report.data.get(t.name)) for t in package.tables}
        tables.update({d.table.name: _cells(d.raw.to_pylist()) for d in derived})
        queries = self._run_queries(package, report.data, derived)
        facts = package_facts(package.descriptor, package.name, package.version)
        self._data = _Data(facts, tables, queries)
        return self._data

    def _run_queries(
        self, package: Package, data: dict[str, TableData], derived: list[Derived]
    ) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Each document's queries' rows, run on one guarded database of the package."""
        from zonedata.release.derived import derivation_database, query_rows

        out: dict[str, dict[str, list[dict[str, Any]]]] = {d.name: {} for d in self.documents}
        if not any(d.queries for d in self.documents):
            return out
        full = replace(package, tables=(*package.tables, *(d.table for d in derived)))
        every = {**data, **{d.table.name: d.data for d in derived}}
        limits = current_limits()
        try:
            with derivation_database(full, every) as con:
                for doc in self.documents:
                    for name, path in doc.queries:
                        refuse = _refuser(f"query {name} ({path})")
                        sql = self.declaration.sql[path]
                        out[doc.name][name] = query_rows(con, sql, limits, refuse)
        except DocsError:
            raise
        except (sqlite3.Error, ValueError, ZonedataError) as e:
            raise DocsError(f"cannot build the database the queries run on: {e}") from None
        return out


def _copy(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(row) for row in rows]  # (the values are text, numbers or None)


def _refuser(where: str) -> Callable[[str], DocsError]:
    return lambda message: DocsError(f"{where}: {message}")


def _cells(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: "" if v is None else str(v) for k, v in row.items()} for row in rows]


def _text_rows(package: Package, t: Table, data: TableData | None) -> list[dict[str, str]]:
    """A table's rows, each cell as its file holds it (as the site shows it where the
    table was read by frictionless, which keeps no text)."""
    if data is not None and data.raw is not None:
        return _cells(data.raw.to_pylist())
    from zonedata.site.context import cell
    from zonedata.site.inputs import validated_rows

    return [{k: cell(v) for k, v in r.items()} for r in validated_rows(package, t, data)]


# --- the environments ---------------------------------------------------------------------


def environment(templates: dict[str, str], path: str) -> BoundedSandbox:
    """The site's sandbox, escaping for the kind of document written at ``path``: XML
    for ``.svg``; Markdown for ``.md`` (:mod:`zonedata.docs.markdown_sandbox`: the
    engine's autoescaping keeps markup, a macro's output say, as it is, and every other
    printed value is escaped for Markdown, by ``|e`` too)."""
    from zonedata.site.render import environment as sandbox

    if PurePosixPath(path).suffix == ".md":
        from zonedata.docs.markdown_sandbox import FILTERS, MarkdownMarkup, markdown

        env = sandbox(templates, finalize=markdown, markup=MarkdownMarkup)
        env.filters.update(FILTERS)
        return env
    return sandbox(templates, finalize=_blank_none)


def _blank_none(value: object) -> object:
    return "" if value is None else value
