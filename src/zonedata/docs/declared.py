"""A dataset's own documents, declared in its descriptor (``zonedata:docs``).

The toolkit knows no dataset: besides its own documents (the data dictionary, the rule
table...), ``zonedata docs`` writes only the documents a package declares, each from a
Jinja template and SQL queries of the package's own::

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
import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from zonedata.errors import DocsError, SiteError, ZonedataError

if TYPE_CHECKING:
    from zonedata.descriptor.package import Package, Table
    from zonedata.release.derived import Derived
    from zonedata.site.sandbox import BoundedSandbox
    from zonedata.validate.tabledata import TableData

#: The descriptor's custom property that declares the documents.
PROPERTY = "zonedata:docs"
#: The JSON Schema of :data:`PROPERTY`, beside this module.
SCHEMA_FILE = "docs.schema.json"
#: The suffixes of the files read from the templates folder.
TEMPLATE_SUFFIXES = (".md", ".svg")
#: The folder, beside the descriptor, that the documents are written to by default.
DOCS_FOLDER = "docs"
#: At most this many problems of a declaration are reported.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Document:
    """One declared document: its target name, file, template, summary and queries."""

    name: str
    path: str
    template: str
    summary: str
    #: (name in the template's ``queries``, path of the SQL file)
    queries: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Declaration:
    """What a package declares (no documents: the toolkit's own only)."""

    documents: tuple[Document, ...] = ()
    #: the templates folder's files, by path
    templates: Mapping[str, str] = field(default_factory=dict)
    #: the text of each SQL file the documents name, by path
    sql: Mapping[str, str] = field(default_factory=dict)


def read_declaration(descriptor: Mapping[str, Any], base: Path) -> Declaration:
    """The documents the descriptor declares, their templates and SQL read from ``base``;
    raises :class:`DocsError` (with every problem found) for a wrong declaration."""
    declaration, problems = check_declaration(descriptor, base)
    if problems:
        raise DocsError("; ".join(problems))
    return declaration


def check_declaration(descriptor: Mapping[str, Any], base: Path) -> tuple[Declaration, list[str]]:
    """The declaration (empty if it is wrong) and what is wrong with it: its shape (the
    JSON Schema :data:`SCHEMA_FILE`), a template or SQL file that cannot be read, two
    documents of one name or file, a document that would overwrite one of its inputs."""
    raw = descriptor.get(PROPERTY)
    if raw is None:
        return Declaration(), []
    inputs: set[str] = set()
    try:
        if isinstance(raw, str):
            from zonedata.site.declared import read_json

            inputs.add(raw)
            raw = read_json(base, raw, PROPERTY)
        wrong = _shape(raw)
        if wrong:
            return Declaration(), wrong
        from zonedata.site.declared import read_templates

        templates = read_templates(base, raw["templates"], TEMPLATE_SUFFIXES, PROPERTY)
    except SiteError as e:  # a file that cannot be read, a folder that is not one
        return Declaration(), [str(e)]
    documents: list[Document] = []
    sql: dict[str, str] = {}
    problems: list[str] = []
    for i, item in enumerate(raw["documents"]):
        doc, why = _document(i, item, templates, sql, base)
        documents.append(doc)
        problems += why
    problems += _clashes(documents, inputs | set(templates) | set(sql))
    if problems:
        return Declaration(), problems[:MAX_PROBLEMS]
    return Declaration(tuple(documents), templates, sql), []


def _shape(raw: object) -> list[str]:
    """The declaration against :data:`SCHEMA_FILE`: a problem per error, at its place."""
    import jsonschema

    text = resources.files("zonedata.docs").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    validator = jsonschema.Draft202012Validator(json.loads(text))
    errors = sorted(validator.iter_errors(raw), key=lambda e: [str(p) for p in e.absolute_path])
    out = []
    for e in errors[:MAX_PROBLEMS]:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        message = e.message if len(e.message) <= 200 else e.message[:197] + "..."
        key = e.absolute_path[-1] if e.absolute_path else ""
        if e.validator == "pattern" and key in _PATTERNS:
            message = f"{str(e.instance)[:120]!r} must be {_PATTERNS[str(key)]}"
        out.append(f"{PROPERTY}{where}: {message}")
    return out


#: what the schema's patterns ask for, in words
_PATTERNS = {
    "name": "a name in kebab-case (a-z, 0-9 and '-')",
    "path": "a file name (no folder) ending in .md (Markdown) or .svg (XML)",
    "summary": "one line of text",
}


def _document(
    i: int, item: dict[str, Any], templates: Mapping[str, str], sql: dict[str, str], base: Path
) -> tuple[Document, list[str]]:
    """The document, its SQL files read into ``sql``, and what is wrong with it."""
    from zonedata.validate.derived_checks import read_sql

    at = f"{PROPERTY}.documents[{i}]"
    problems = []
    if item["template"] not in templates:
        problems.append(
            f"{at}.template: {item['template'][:120]!r} is not a template in the templates "
            f"folder (a .md or .svg file, not a symlink)"
        )
    queries = tuple(sorted(item.get("queries", {}).items()))
    for name, path in queries:
        if path not in sql:
            text, why = read_sql(base, path)
            if text is None:
                problems.append(f"{at}.queries.{name}: {str(why).removeprefix('sqlPath ')}")
                continue
            sql[path] = text
    doc = Document(item["name"], item["path"], item["template"], item["summary"], queries)
    return doc, problems


def _clashes(documents: list[Document], inputs: set[str]) -> list[str]:
    """Two documents of one name or file; a document written over one of its inputs."""
    problems = []
    for key in ("name", "path"):
        seen: set[str] = set()
        for doc in documents:
            value = getattr(doc, key)
            if value in seen:
                problems.append(f"{PROPERTY}: two documents have the {key} {value!r}")
            seen.add(value)
    for doc in documents:
        if f"{DOCS_FOLDER}/{doc.path}" in inputs:
            problems.append(
                f"{PROPERTY}: document {doc.name!r} would be written over "
                f"{DOCS_FOLDER}/{doc.path}, one of the declared templates or queries"
            )
    return problems


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
        from zonedata.limits import current_limits
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
