"""The documents a package declares (``zonedata:docs``): the declaration, read and checked.

The toolkit knows no dataset: besides its own documents, ``zonedata docs`` writes the
documents a package declares in its descriptor, each from a template and SQL queries of
the package's own::

    "zonedata:docs": {              # or the path of a JSON file that holds this object
      "templates": "docs/templates",            # a folder beside the descriptor
      "documents": [
        {"name": "stations", "path": "stations.md", "template": "docs/templates/stations.md",
         "summary": "every station and its readings",
         "queries": {"latest": "docs/templates/latest.sql"}}   # optional
      ]
    }

:func:`check_declaration` checks the declaration: its shape (the JSON Schema
:data:`SCHEMA_FILE`, beside this module), its templates folder and SQL files read as every
declared file is (:mod:`zonedata.descriptor.declared_files`), two documents of one name or
file, a document that would be written over one of its inputs. ``validate`` reports each
thing wrong (rule ``docs-invalid``); ``zonedata docs`` (:mod:`zonedata.docs.declared`)
refuses a declaration with one (:func:`read_declaration`), then renders the documents.

Only the standard library is used (and jsonschema, imported when a declaration is checked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from zonedata import jsonschemas
from zonedata.descriptor.declared_files import read_json, read_sql, read_templates
from zonedata.errors import DocsError, InputError

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
            inputs.add(raw)
            raw = read_json(base, raw, PROPERTY)
        wrong = _shape(raw)
        if wrong:
            return Declaration(), wrong
        templates = read_templates(base, raw["templates"], TEMPLATE_SUFFIXES, PROPERTY)
    except InputError as e:  # a file that cannot be read, a folder that is not one
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
    text = resources.files("zonedata.descriptor").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    validator = jsonschemas.validator(text)
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
            try:
                sql[path] = read_sql(base, path)
            except InputError as e:
                problems.append(f"{at}.queries.{name}: {str(e).removeprefix('sqlPath ')}")
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
