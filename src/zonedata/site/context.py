"""What each template sees: plain data (strings, numbers, lists, dicts) built from a SiteInput.

Every cell is given as its text (empty for a missing value, ``true``/``false`` for a
boolean). Links between pages are computed here from the package's keys, relative to the
page: a cell that names a row of another table links to that row (or to the row's own
page, when the dataset declares one page per row of that table, keyed by its primary key).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from zonedata.descriptor.package import Field, Table
from zonedata.descriptor.site_declaration import SitePage
from zonedata.errors import SiteError
from zonedata.names import file_stem, is_table_name
from zonedata.paths import is_plain_relative
from zonedata.site.citation import citation, read_cff
from zonedata.site.declared import Declaration
from zonedata.site.inputs import Download, SiteInput

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: how the downloads section names the release's file formats
FORMATS = {"parquet": "typed Parquet", "json": "JSON", "csv": "CSV", "sqlite": "SQLite"}


def cell(value: object) -> str:
    """The text of a cell: empty for a missing value, ``true``/``false`` for a boolean."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Decimal) and value.is_nan():
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def field_type(f: Field) -> str:
    if f.partial_date:
        return "date (YYYY, YYYY-MM or YYYY-MM-DD)"
    if f.type == "number" and f.decimals is not None:
        return f"number ({int(f.decimals)} decimals)"
    return str(f.type)


def _field(f: Field) -> dict[str, Any]:
    return {
        "name": f.name,
        "title": f.title or "",
        "type": field_type(f),
        "required": f.required,
        "unit": _text(f.unit),
        "description": f.description,
    }


def package_facts(d: dict[str, Any], name: str, version: str) -> dict[str, Any]:
    """The package's title, description, version, licences, contributors and sources."""
    return {
        "name": name,
        "title": _text(d.get("title") or name),
        "description": _text(d.get("description")),
        "version": version,
        "licences": [
            {k: _text(x.get(k)) for k in ("name", "title", "path")}
            for x in _dicts(d.get("licenses"))
        ],
        "contributors": [
            {"title": _text(c.get("title")), "roles": _strings(c.get("roles"))}
            for c in _dicts(d.get("contributors"))
        ],
        "sources": [
            {k: _text(s.get(k)) for k in ("title", "path")} for s in _dicts(d.get("sources"))
        ],
    }


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _nav(declared: Declaration) -> list[dict[str, str]]:
    """Home, the declared pages that ask for a place, Tables, the declared links."""
    nav = [{"href": "index.html", "label": "Home"}]
    nav += [{"href": p.path, "label": p.nav} for p in declared.pages if p.nav]
    nav.append({"href": "tables/index.html", "label": "Tables"})
    nav += [{"href": href, "label": label} for href, label in declared.links]
    return nav


class ContextBuilder:
    """Builds each page's context once the package's texts and links are known."""

    def __init__(self, data: SiteInput, declared: Declaration) -> None:
        self.data = data
        self.decl = declared
        pkg = data.package
        self.table_pages = {t.name: f"tables/{file_stem(t.name)}.html" for t in pkg.tables}
        self.texts = {
            n: [{k: cell(v) for k, v in r.items()} for r in rows] for n, rows in data.rows.items()
        }
        self.row_pages = self._row_pages()
        self.package = package_facts(pkg.descriptor, pkg.name, pkg.version)
        self.site = {
            "title": self.package["title"],
            "name": pkg.name or self.package["title"],
            "version": pkg.version,
            "from_release": data.from_release,
            "nav": _nav(declared),
            "stylesheets": sorted(f for f in declared.files if f.endswith(".css")),
            "licences": [x["name"] or x["title"] for x in self.package["licences"]],
        }

    def _row_pages(self) -> dict[str, str]:
        """Tables with one declared page per row keyed by their single primary key -> pattern."""
        out = {}
        for page in self.decl.pages:
            keys = _PLACEHOLDER.findall(page.path)
            if page.each and len(keys) == 1:
                t = self.data.package.table(page.each)
                if t.primary_key == (keys[0],):
                    out[page.each] = page.path
        return out

    def row_page(self, table: str, value: str) -> str | None:
        pattern = self.row_pages.get(table)
        if pattern is None or not is_table_name(value):
            return None
        return _PLACEHOLDER.sub(lambda _m: file_stem(value), pattern)

    def page(self, path: str) -> dict[str, Any]:
        """What every page sees."""
        return {
            "site": self.site,
            "package": self.package,
            "path": path,
            "up": "../" * path.count("/"),
            "table_pages": self.table_pages,
            "table_list": self._table_list(),
            "tables": self.texts,
            "files": sorted(self.decl.files),
            "downloads": [self._download(d) for d in self.data.downloads],
        }

    def _download(self, d: Download) -> dict[str, Any]:
        return {
            "group": d.group,
            "href": d.href,
            "label": d.label,
            "size": d.size,
            "sha256": d.sha256,
        }

    def _table_list(self) -> list[dict[str, Any]]:
        return [
            {
                "name": t.name,
                "href": self.table_pages[t.name],
                "title": t.title,
                "description": t.description,
                "rows": len(self.data.rows[t.name]),
            }
            for t in self.data.package.tables
        ]

    def home(self) -> dict[str, Any]:
        ctx = self.page("index.html")
        kinds = sorted(
            {PurePosixPath(d.label).suffix.lstrip(".") for d in self.data.downloads if d.group}
        )
        named = [FORMATS.get(k, k) for k in kinds]
        formats = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)
        cff = read_cff(self.data.base)
        ctx.update(
            total_rows=sum(len(r) for r in self.data.rows.values()),
            citation=citation(self.data.package.descriptor, self.data.package.version, cff),
            formats=formats,
            has_zip=any(d.label.endswith(".zip") for d in self.data.downloads),
            databases=[d.label for d in self.data.downloads if d.label.endswith(".sqlite")],
        )
        return ctx

    def table(self, t: Table) -> dict[str, Any]:
        """A table page's context: the table's dictionary and its rows, cells linked."""
        ctx = self.page(self.table_pages[t.name])
        ctx["table"] = {
            "name": t.name,
            "stem": file_stem(t.name),
            "title": t.title,
            "description": t.description,
            "downloads": [self._download(d) for d in self.data.downloads if d.group == t.name],
            "fields": [_field(f) for f in t.fields],
            "primary_key": list(t.primary_key),
            "foreign_keys": [
                {
                    "fields": list(fk.fields),
                    "resource": fk.resource,
                    "reference_fields": list(fk.reference_fields),
                    "href": self.table_pages.get(fk.resource, ""),
                }
                for fk in t.foreign_keys
            ],
            **self._grid(t),
        }
        return ctx

    def _grid(self, t: Table) -> dict[str, Any]:
        """The table's columns (with their classes) and rows of cells."""
        rows = self.texts[t.name]
        links = self._cell_links(t)
        classes = _column_classes(t, rows)
        pk = t.primary_key[0] if len(t.primary_key) == 1 else None
        columns = list(rows[0]) if rows else [f.name for f in t.fields]
        return {
            "columns": [{"name": c, "cls": classes.get(c, "")} for c in columns],
            "rows": [
                {
                    "id": row.get(pk) if pk else None,
                    "cells": [
                        {"text": row[c], "cls": classes.get(c, ""), "href": links(c, row[c])}
                        for c in columns
                    ],
                }
                for row in rows
            ],
        }

    def _cell_links(self, t: Table) -> Any:
        """A function (column, text) -> href relative to a table page, or ""."""
        refs: dict[str, tuple[str, set[str]]] = {}
        for fk in t.foreign_keys:
            if (
                len(fk.fields) != 1
                or len(fk.reference_fields) != 1
                or fk.resource not in self.texts
            ):
                continue
            ref = self.data.package.table(fk.resource)
            if ref.primary_key == fk.reference_fields:
                keys = {r.get(fk.reference_fields[0], "") for r in self.texts[fk.resource]}
                refs[fk.fields[0]] = (fk.resource, keys)
        if t.name in self.row_pages and len(t.primary_key) == 1:
            refs.setdefault(
                t.primary_key[0],
                (t.name, {r.get(t.primary_key[0], "") for r in self.texts[t.name]}),
            )

        def href(column: str, text: str) -> str:
            target = refs.get(column)
            if not text or target is None or text not in target[1]:
                return ""
            own = self.row_page(target[0], text)
            if own is not None:
                return "../" + own
            return f"{PurePosixPath(self.table_pages[target[0]]).name}#row-{quote(text, safe='')}"

        return href

    def declared_paths(self, page: SitePage) -> Iterator[tuple[str, dict[str, str] | None]]:
        """Each path a declared page is written at, with its row (None for a single page)."""
        if not page.each:
            yield page.path, None
            return
        keys = _PLACEHOLDER.findall(page.path)
        for row in self.texts[page.each]:
            path = page.path
            for k in keys:
                v = row.get(k, "")
                if not is_table_name(v):
                    raise SiteError(
                        f"declared page {page.path!r}: {k} {v[:80]!r} cannot name a page"
                    )
                path = path.replace("{" + k + "}", file_stem(v))
            if not is_plain_relative(path):
                raise SiteError(
                    f"declared page {page.path!r}: {path!r} is not a plain relative path"
                )
            yield path, row

    def declared(self, page: SitePage, path: str, row: dict[str, str] | None) -> dict[str, Any]:
        ctx = self.page(path)
        ctx["row"] = row
        ctx["page"] = {"title": page.title, "path": path}
        return ctx


def _column_classes(t: Table, rows: list[dict[str, str]]) -> dict[str, str]:
    """Each column's ``class`` attribute value (numbers, keys, long text, dates), or ""."""
    numeric = {f.name for f in t.fields if f.type in ("number", "integer", "year")}
    dates = {f.name for f in t.fields if f.partial_date or f.type == "date"}
    keyed = set(t.primary_key) | {f for fk in t.foreign_keys for f in fk.fields}
    columns = list(rows[0]) if rows else []
    long = {c for c in columns if max((len(r[c]) for r in rows), default=0) > 40}
    out = {}
    for c in columns:
        kinds = (("num", numeric), ("key", keyed), ("long", long), ("date", dates))
        out[c] = " ".join(n for n, s in kinds if c in s)
    return out
