"""The site's pages, as HTML strings built from :class:`zonedata.site.SiteData`.

Every value that comes from the data is escaped (:func:`text`, :func:`attr`); runs of
Chinese characters are wrapped in ``<span lang="zh">``; an address becomes a link only
when it is ``http(s)``. Links are relative to the page, so the site works from
``file://``. Nothing here reads the clock or the environment: same data, same bytes.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from zonedata.model.descriptor import Table
    from zonedata.site import SiteData

#: runs of CJK characters and CJK punctuation (full-width forms included)
CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31a0-\u31bf"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]+"
)
HTTP_URL = re.compile(r"https?://[^\s\"'<>\\]+")
PRECISION = {4: "year", 7: "month", 10: "day"}
#: how the downloads section names the release's file formats
FORMATS = {
    "parquet": "typed Parquet",
    "json": "JSON",
    "csv": "CSV",
    "sqlite": "SQLite",
    "db": "SQLite",
}
ASSESSMENT_ORDER = ("confirmed", "partly-confirmed", "corrected", "weak", "unchecked")


# --- escaping and values ------------------------------------------------------------


def attr(value: object) -> str:
    """A value escaped for an attribute (or text), quotes included."""
    return html.escape(str(value), quote=True)


def text(value: object) -> str:
    """A value escaped for text, with Chinese runs marked ``lang="zh"``."""
    s = plain(value)
    out: list[str] = []
    last = 0
    for m in CJK.finditer(s):
        out.append(html.escape(s[last : m.start()], quote=True))
        out.append(f'<span lang="zh">{html.escape(m.group(), quote=True)}</span>')
        last = m.end()
    out.append(html.escape(s[last:], quote=True))
    return "".join(out)


def missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, Decimal):
        return value.is_nan()
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def plain(value: object) -> str:
    """The text of a cell: empty for a missing value, ``true``/``false`` for booleans."""
    if missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def true(value: object) -> bool:
    """A boolean cell that holds true (false for false and for a missing value)."""
    return plain(value) == "true"


def is_http(url: object) -> bool:
    return isinstance(url, str) and HTTP_URL.fullmatch(url) is not None


def link(href: str, label_html: str, cls: str = "") -> str:
    c = f' class="{attr(cls)}"' if cls else ""
    return f'<a href="{attr(href)}"{c}>{label_html}</a>'


def external(url: object, label: str = "original") -> str:
    """A link to an http(s) address, or nothing (any other address is not linked)."""
    if not is_http(url):
        return ""
    return f'<a href="{attr(url)}" class="ext" rel="noopener noreferrer">{attr(label)}</a>'


def frag(value: object) -> str:
    return quote(plain(value), safe="")


def precision(date: object) -> str:
    return PRECISION.get(len(plain(date)), "")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


# --- the page frame -------------------------------------------------------------------

NAV = (
    ("index.html", "Home"),
    ("zones/index.html", "Zones"),
    ("claims.html", "Seed article"),
    ("tables/index.html", "Tables"),
    ("tables/sources.html", "Sources"),
)


def frame(data: SiteData, path: str, title: str, body: str, description: str = "") -> str:
    """A whole page: ``path`` is its place in the site (``zones/x.html``)."""
    up = "../" * path.count("/")
    site = data.package.descriptor.get("title") or "zonedata"
    current = ' aria-current="page"'
    nav = "".join(
        f'<li><a href="{up}{href}"{current if href == path else ""}>{label}</a></li>'
        for href, label in NAV
    )
    full_title = f"{title} · {site}" if path != "index.html" else f"{site} · zonedata"
    meta = f'<meta name="description" content="{attr(description)}">\n' if description else ""
    built = f"release {attr(data.from_release)}" if data.from_release else "the zonedata package"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{attr(full_title)}</title>\n{meta}"
        f'<link rel="stylesheet" href="{up}site.css">\n'
        f'<script src="{up}site.js" defer></script>\n'
        "</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to content</a>\n'
        f'<header class="site"><a class="brand" href="{up}index.html">zonedata</a>\n'
        f'<nav aria-label="Site"><ul>{nav}</ul></nav></header>\n'
        f'<main id="main">\n{body}\n</main>\n'
        f'<footer class="site"><p>Data: CC BY 4.0 · version {attr(data.package.version)} · '
        f"built from {built} by <code>zonedata site</code>.</p></footer>\n"
        "</body>\n</html>\n"
    )


# --- helpers shared by pages ------------------------------------------------------------


class Context:
    """Lookups over the tables, built once."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.frames = data.frames
        self.sources = self._index("sources", "source_id")
        self.cities = self._index("cities", "city_id")
        self.provinces = self._index("provinces", "province_id")
        self.programmes = self._index("programmes", "programme_id")
        self.zones = self._index("zones", "zone_id")
        self.industries = self._index("industries", "industry_id")

    def _index(self, table: str, key: str) -> dict[str, dict[str, Any]]:
        frame_ = self.frames.get(table)
        if frame_ is None or key not in frame_.columns:
            return {}
        return {plain(r[key]): r for r in records(frame_)}

    def rows(self, table: str, **where: object) -> list[dict[str, Any]]:
        frame_ = self.frames.get(table)
        if frame_ is None:
            return []
        return [
            r
            for r in records(frame_)
            if all(k in r and plain(r[k]) == plain(v) for k, v in where.items())
        ]

    def source(self, source_id: object, up: str, cited: set[str] | None = None) -> str:
        """A source id linked to its row on the sources page, and its original address."""
        sid = plain(source_id)
        if not sid:
            return ""
        if cited is not None:
            cited.add(sid)
        if sid not in self.sources:
            return f"<code>{attr(sid)}</code>"
        own = link(f"{up}tables/sources.html#row-{frag(sid)}", f"<code>{attr(sid)}</code>")
        url = external(self.sources[sid].get("url"))
        return f"{own} ({url})" if url else own

    def zone(self, zone_id: object, up: str) -> str:
        zid = plain(zone_id)
        if not zid:
            return ""
        z = self.zones.get(zid)
        if z is None:
            return f"<code>{attr(zid)}</code>"
        return link(f"{up}zones/{frag(zid)}.html", text(z.get("name_en") or zid))

    def city(self, city_id: object) -> str:
        cid = plain(city_id)
        c = self.cities.get(cid)
        if c is None:
            return attr(cid)
        zh = plain(c.get("name_zh"))
        return text(c.get("name_en") or cid) + (
            f' (<span lang="zh">{attr(zh)}</span>)' if zh else ""
        )

    def province(self, province_id: object) -> str:
        pid = plain(province_id)
        p = self.provinces.get(pid)
        if p is None:
            return attr(pid)
        zh = plain(p.get("name_zh"))
        return text(p.get("name_en") or pid) + (
            f' (<span lang="zh">{attr(zh)}</span>)' if zh else ""
        )

    def sources_list(self, cited: Iterable[str], up: str) -> str:
        items = []
        for sid in sorted(set(cited)):
            s = self.sources.get(sid, {})
            title = text(s.get("title", ""))
            publisher = plain(s.get("publisher"))
            pub = f" · {text(publisher)}" if publisher else ""
            date = plain(s.get("published"))
            when = f" · {attr(date)}" if date else ""
            url = external(s.get("url"), "original")
            items.append(
                f"<li>{link(f'{up}tables/sources.html#row-{frag(sid)}', f'<code>{attr(sid)}</code>')}"
                f": {title}{pub}{when}{f' ({url})' if url else ''}</li>"
            )
        return '<ul class="sources">' + "".join(items) + "</ul>" if items else "<p>None.</p>"


def simple_table(caption: str, headers: list[str], rows: list[list[str]], cls: str = "") -> str:
    """A small table of already-escaped cells."""
    head = "".join(f'<th scope="col">{h}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows)
    c = f' class="{cls}"' if cls else ""
    return (
        f'<div class="table-scroll"><table{c}><caption>{caption}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody></table></div>"
    )


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024 / 1024:.1f} MiB"


# --- pages ------------------------------------------------------------------------------


def render_pages(data: SiteData) -> dict[str, str]:
    """Every page of the site: path relative to the site root -> HTML."""
    ctx = Context(data)
    pages: dict[str, str] = {"index.html": home(ctx), "tables/index.html": tables_index(ctx)}
    for t in data.package.tables:
        pages[f"tables/{t.name}.html"] = table_page(ctx, t)
    pages["zones/index.html"] = zones_index(ctx)
    for zid in sorted(ctx.zones):
        pages[f"zones/{zid}.html"] = zone_page(ctx, zid)
    pages["claims.html"] = claims_page(ctx)
    return pages


def home(ctx: Context) -> str:
    data = ctx.data
    d = data.package.descriptor
    up = ""
    n_rows = sum(len(f) for f in data.frames.values())
    parts = [
        f"<h1>{text(d.get('title') or 'zonedata')}</h1>",
        f'<p class="lead">{text(d.get("description", ""))}</p>',
        f'<p class="facts">Version <strong>{attr(data.package.version)}</strong> · '
        f"{len(data.frames)} tables · {n_rows:,} rows · "
        f"{len(ctx.sources)} source documents"
        + (f" · release <code>{attr(data.from_release)}</code>" if data.from_release else "")
        + "</p>",
        programmes_section(ctx, up),
    ]
    if data.chart_svg is not None:
        parts.append(
            '<section id="gdp"><h2>Host cities’ GDP, 2018</h2>'
            '<figure class="chart"><img src="gdp-chart.svg" width="864" height="787" '
            'alt="Bar chart of the 2018 GDP of the pilot zones’ host cities, one bar per '
            'source; the preferred figure is marked. The figures are in the city_gdp table.">'
            "<figcaption>2018 GDP of the host cities, by source (billion CNY). Every figure is "
            f"in the {link('tables/city_gdp.html', '<code>city_gdp</code>')} table."
            "</figcaption></figure></section>"
        )
    parts.append(
        '<section id="tables"><h2>Tables</h2>'
        + tables_list(ctx, up)
        + "<p>Each table page shows the data dictionary and every row; the rows can be "
        "sorted and filtered in the browser.</p></section>"
    )
    parts.append(downloads_section(ctx))
    parts.append(citation_section(ctx))
    return frame(data, "index.html", "Home", "\n".join(parts), plain(d.get("description", "")))


def programmes_section(ctx: Context, up: str) -> str:
    zones = ctx.frames.get("zones")
    cards = []
    by_programme: dict[str, set[str]] = {}
    for pid in sorted(ctx.programmes):
        p = ctx.programmes[pid]
        zs = sorted(
            (r for r in ctx.zones.values() if plain(r.get("programme_id")) == pid),
            key=lambda r: (plain(r.get("batch")).zfill(3), plain(r.get("name_en"))),
        )
        batches = {plain(r.get("batch")) for r in zs if plain(r.get("batch"))}
        years = sorted(
            plain(r.get("date"))[:4]
            for z in zs
            for r in ctx.rows("zone_dates", zone_id=z["zone_id"])
            if plain(r.get("event")) in ("approved", "announced") and true(r.get("preferred"))
        )
        summary = f"<strong>{len(zs)} zones</strong>"
        if batches:
            summary += f" in {len(batches)} batch{'es' if len(batches) != 1 else ''}"
        if years:
            summary += f", approved or announced {years[0]}–{years[-1]}"
        cities = {
            plain(c.get("city_id"))
            for z in zs
            for c in ctx.rows("zone_cities", zone_id=z["zone_id"])
        }
        by_programme[pid] = cities
        zone_links = ", ".join(ctx.zone(z["zone_id"], up) for z in zs)
        cards.append(
            f'<article class="programme" id="programme-{attr(pid)}">'
            f"<h3>{text(p.get('name_en'))}</h3>"
            f'<p class="zh" lang="zh">{attr(plain(p.get("name_zh")))}</p>'
            f"<p>{summary}</p><p>{text(p.get('ministry_en'))} "
            f'(<span lang="zh">{attr(plain(p.get("ministry_zh")))}</span>)</p>'
            f"<p>{text(p.get('note'))}</p>"
            f'<p class="zones">{zone_links}</p>'
            f'<p class="source">Source: {ctx.source(p.get("source_id"), up)}</p></article>'
        )
    both = ""
    if len(by_programme) == 2:
        a, b = by_programme.values()
        shared = sorted(a & b)
        if shared:
            both = (
                f"<p>A city can host a zone of each programme; {len(shared)} do: "
                + ", ".join(ctx.city(c) for c in shared)
                + ".</p>"
            )
    count = 0 if zones is None else len(zones)
    return (
        '<section id="programmes"><h2>Two programmes, not one</h2>'
        f"<p>China has two national AI pilot-zone programmes, run by two ministries; news "
        f"reports often mix them up. The package tells them apart: each of its {count} zones "
        "belongs to exactly one programme.</p>"
        f'<div class="cards">{"".join(cards)}</div>{both}'
        f"<p>{link('zones/index.html', 'All zones')}, with host cities, dates and focus "
        "industries.</p></section>"
    )


def tables_list(ctx: Context, up: str) -> str:
    rows = []
    for t in ctx.data.package.tables:
        rows.append(
            [
                link(f"{up}tables/{t.name}.html", f"<code>{attr(t.name)}</code>"),
                text(t.title),
                f'<span class="num">{len(ctx.frames[t.name]):,}</span>',
                text(t.description),
            ]
        )
    return simple_table("The package’s tables", ["Table", "Title", "Rows", "What a row is"], rows)


def tables_index(ctx: Context) -> str:
    body = "<h1>Tables</h1>" + tables_list(ctx, "../")
    return frame(ctx.data, "tables/index.html", "Tables", body, "The tables of the package.")


def downloads_section(ctx: Context) -> str:
    data = ctx.data
    if data.from_release:
        kinds = sorted({dl.label.rsplit(".", 1)[-1] for dl in data.downloads if dl.group})
        named = [FORMATS.get(k, k) for k in kinds]
        formats = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)
        databases = [dl.label for dl in data.downloads if dl.label.endswith(".sqlite")]
        database = "".join(
            f" <code>{attr(db)}</code> holds every table in one SQLite database, with its "
            "keys and column types, and the field descriptions in <code>_fields</code>."
            for db in databases
        )
        intro = (
            f"<p>The files of release <code>{attr(data.from_release)}</code>: the zip holds "
            f"them all; each table comes as {attr(formats)}.{database} Check a download with "
            "<code>sha256sum</code> against the SHA-256 below, or the whole release with "
            "<code>zonedata verify</code>.</p>"
        )
    else:
        intro = (
            "<p>The package’s CSV files (UTF-8, LF line endings, header row; an empty cell "
            "is a missing value) and the <code>datapackage.json</code> that describes them. "
            "Check a download with <code>sha256sum</code> against the SHA-256 below. "
            "Releases (typed Parquet, JSON, CSV and one SQLite database) are built with "
            "<code>zonedata release</code>.</p>"
        )
    rows = []
    for dl in data.downloads:
        table = (
            link(f"tables/{dl.group}.html", f"<code>{attr(dl.group)}</code>") if dl.group else "all"
        )
        rows.append(
            [
                f'<a href="{attr(dl.href)}" download>{attr(dl.label)}</a>',
                table,
                f'<span class="num" title="{dl.size:,} bytes">{human_size(dl.size)}</span>',
                f'<code class="hash">{attr(dl.sha256)}</code>',
            ]
        )
    return (
        '<section id="downloads"><h2>Downloads</h2>'
        + intro
        + simple_table(
            "Files, sizes and SHA-256 hashes",
            ["File", "Table", "Size", "SHA-256"],
            rows,
            "downloads",
        )
        + "</section>"
    )


def parse_cff(source: str) -> dict[str, Any]:
    """The few top-level fields of a CITATION.cff the site shows (no YAML library)."""
    out: dict[str, Any] = {"authors": []}
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        m = re.match(r"([a-z-]+):\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if value in (">-", ">", "|", "|-"):
            block = []
            while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
                block.append(lines[i].strip())
                i += 1
            out[key] = " ".join(b for b in block if b)
        elif key == "authors":
            while i < len(lines) and (lines[i].startswith(" ") or not lines[i].strip()):
                a = re.match(r"\s*-?\s*(name|family-names|given-names):\s*(.*)$", lines[i])
                if a and a.group(1) in ("name", "family-names"):
                    out["authors"].append(a.group(2).strip().strip("\"'"))
                i += 1
        elif value:
            out[key] = value.strip("\"'")
    return out


def citation_section(ctx: Context) -> str:
    data = ctx.data
    d = data.package.descriptor
    cff = parse_cff(data.citation) if data.citation else {}
    authors = ", ".join(cff.get("authors") or []) or ", ".join(
        plain(c.get("title")) for c in d.get("contributors", []) if isinstance(c, dict)
    )
    title = cff.get("title") or plain(d.get("title"))
    version = data.package.version or cff.get("version", "")
    licence = cff.get("license") or ", ".join(
        plain(x.get("name")) for x in d.get("licenses", []) if isinstance(x, dict)
    )
    line = f"{authors}. <cite>{text(title)}</cite> (version {attr(version)}) [Data set]."
    if licence:
        line += f" License: {attr(licence)}."
    parts = [
        '<section id="cite"><h2>How to cite</h2>',
        f"<p>{text(cff['message'])}</p>" if cff.get("message") else "",
        f'<p class="citation">{line}</p>',
        "<p>Cite the original documents too: every row names its source, and each source is "
        f"listed with its address on the {link('tables/sources.html', 'sources page')}.</p>",
    ]
    if data.citation:
        parts.append(
            f"<details><summary>CITATION.cff</summary><pre>{text(data.citation)}</pre></details>"
        )
    parts.append("</section>")
    return "".join(parts)


def field_type(f: Any) -> str:
    if f.partial_date:
        return "date (YYYY, YYYY-MM or YYYY-MM-DD)"
    if f.type == "number" and f.decimals is not None:
        return f"number ({int(f.decimals)} decimals)"
    return str(f.type)


def table_page(ctx: Context, t: Table) -> str:
    df = ctx.frames[t.name]
    downloads = [
        f'<a href="../{attr(dl.href)}" download>{attr(dl.label)}</a> '
        f'({human_size(dl.size)}, SHA-256 <code class="hash">{attr(dl.sha256)}</code>)'
        for dl in ctx.data.downloads
        if dl.group == t.name
    ]
    body = (
        f"<h1>{text(t.title or t.name)} <code>{attr(t.name)}</code></h1>"
        f'<p class="lead">{text(t.description)}</p>'
        + (f'<p class="dl">Download: {"; ".join(downloads)}</p>' if downloads else "")
        + _table_dictionary(t)
        + _table_rows(ctx, t, df)
    )
    title = f"{t.title} (table {t.name})" if t.title else f"Table {t.name}"
    return frame(ctx.data, f"tables/{t.name}.html", title, body, t.description)


def _table_dictionary(t: Table) -> str:
    """The section with the table's fields and keys."""
    dictionary_rows = [
        [
            f"<code>{attr(f.name)}</code>",
            attr(field_type(f)) + ("" if f.required else ' <span class="opt">optional</span>'),
            text(f.unit or ""),
            text(f.description),
        ]
        for f in t.fields
    ]
    keys = []
    if t.primary_key:
        keys.append(
            "Primary key: " + ", ".join(f"<code>{attr(k)}</code>" for k in t.primary_key) + "."
        )
    for fk in t.foreign_keys:
        keys.append(
            f"<code>{attr(', '.join(fk.fields))}</code> refers to "
            f"{link(f'{fk.resource}.html', f'<code>{attr(fk.resource)}</code>')}"
            f".<code>{attr(', '.join(fk.reference_fields))}</code>."
        )
    return (
        '<section id="dictionary"><h2>Data dictionary</h2>'
        + simple_table(
            f"Fields of <code>{attr(t.name)}</code>",
            ["Field", "Type", "Unit", "Description"],
            dictionary_rows,
            "dictionary",
        )
        + "".join(f"<p>{k}</p>" for k in keys)
        + "</section>"
    )


def _cell_links(ctx: Context, t: Table) -> dict[str, str]:
    """Columns whose cells link to a row of another table (or to a zone page)."""
    links: dict[str, str] = {}
    for fk in t.foreign_keys:
        if len(fk.fields) == 1 and len(fk.reference_fields) == 1:
            ref = ctx.data.package.table(fk.resource) if fk.resource in ctx.frames else None
            if ref is not None and ref.primary_key == fk.reference_fields:
                links[fk.fields[0]] = fk.resource
    if t.name == "zones" and len(t.primary_key) == 1:
        links[t.primary_key[0]] = "zones"
    return links


def _column_classes(t: Table, df: pd.DataFrame, links: dict[str, str]) -> dict[str, str]:
    """Each column's ``class`` attribute (numbers, keys, long text, dates), or ""."""
    numeric = {f.name for f in t.fields if f.type in ("number", "integer", "year")}
    dates = {f.name for f in t.fields if f.partial_date or f.type == "date"}
    keyed = set(links) | set(t.primary_key) | {f for fk in t.foreign_keys for f in fk.fields}
    long = {c for c in df.columns if max((len(plain(v)) for v in df[c]), default=0) > 40}
    classes: dict[str, str] = {}
    for c in df.columns:
        kinds = (("num", numeric), ("key", keyed), ("long", long), ("date", dates))
        names = [n for n, s in kinds if c in s]
        classes[c] = f' class="{" ".join(names)}"' if names else ""
    return classes


def _table_rows(ctx: Context, t: Table, df: pd.DataFrame) -> str:
    """The section with every row, its cells linked where they name another row."""
    up = "../"
    links = _cell_links(ctx, t)
    keysets = {
        ref: {plain(v) for v in ctx.frames[ref][ctx.data.package.table(ref).primary_key[0]]}
        for ref in set(links.values())
    }
    classes = _column_classes(t, df, links)
    single_pk = t.primary_key[0] if len(t.primary_key) == 1 else None

    def cell(name: str, value: object) -> str:
        s = plain(value)
        cls = classes[name]
        if not s:
            return f"<td{cls}></td>"
        ref = links.get(name)
        if ref is not None and s in keysets[ref]:
            href = f"{up}zones/{frag(s)}.html" if ref == "zones" else f"{ref}.html#row-{frag(s)}"
            return f"<td{cls}>{link(href, text(s))}</td>"
        if is_http(s):
            return f'<td{cls}><a href="{attr(s)}" class="ext" rel="noopener noreferrer">{text(s)}</a></td>'
        return f"<td{cls}>{text(s)}</td>"

    body_rows = []
    for r in records(df):
        rid = f' id="row-{attr(plain(r[single_pk]))}"' if single_pk else ""
        body_rows.append(f"<tr{rid}>" + "".join(cell(c, r[c]) for c in df.columns) + "</tr>")
    # a header may break after an underscore, so that narrow columns stay narrow
    head = "".join(
        f'<th scope="col"{classes[c]}>{attr(c).replace("_", "_<wbr>")}</th>' for c in df.columns
    )
    return (
        f'<section id="rows"><h2>Rows ({len(df):,})</h2>'
        "<p>Empty cells are missing values. Sorting and filtering need JavaScript; the table "
        "reads without it.</p>"
        f'<div class="table-scroll"><table class="data" id="data-{attr(t.name)}">'
        f"<caption>All {len(df):,} rows of <code>{attr(t.name)}</code></caption>\n"
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body_rows)
        + "\n</tbody></table></div></section>"
    )


def zones_index(ctx: Context) -> str:
    up = "../"
    parts = ["<h1>Pilot zones</h1>"]
    for pid in sorted(ctx.programmes):
        p = ctx.programmes[pid]
        rows = []
        zs = sorted(
            (r for r in ctx.zones.values() if plain(r.get("programme_id")) == pid),
            key=lambda r: (plain(r.get("batch")).zfill(3), plain(r.get("name_en"))),
        )
        for z in zs:
            zid = z["zone_id"]
            cities = "; ".join(ctx.city(c["city_id"]) for c in ctx.rows("zone_cities", zone_id=zid))
            dates = [
                r
                for r in ctx.rows("zone_dates", zone_id=zid)
                if true(r.get("preferred")) and plain(r.get("event")) in ("approved", "announced")
            ]
            first = min((plain(r["date"]) for r in dates), default="")
            n_ind = len({plain(r["industry_id"]) for r in ctx.rows("zone_industries", zone_id=zid)})
            rows.append(
                [
                    ctx.zone(zid, up),
                    attr(plain(z.get("batch"))),
                    cities,
                    attr(first),
                    str(n_ind),
                ]
            )
        parts.append(
            f'<section id="programme-{attr(pid)}"><h2>{text(p.get("name_en"))} '
            f'<span lang="zh">{attr(plain(p.get("name_zh")))}</span></h2>'
            f"<p>{text(p.get('ministry_en'))} · {len(zs)} zones. {text(p.get('note'))}</p>"
            + simple_table(
                f"Zones of the {text(p.get('name_en'))} programme",
                ["Zone", "Batch", "Host cities", "Approved or announced", "Focus industries"],
                rows,
            )
            + "</section>"
        )
    return frame(ctx.data, "zones/index.html", "Pilot zones", "".join(parts), "Every pilot zone.")


def zone_page(ctx: Context, zid: str) -> str:
    up = "../"
    z = ctx.zones[zid]
    cited: set[str] = set()
    pid = plain(z.get("programme_id"))
    p = ctx.programmes.get(pid, {})
    zh = "".join(
        n
        for c in ctx.rows("zone_cities", zone_id=zid)
        if (n := plain(ctx.cities.get(plain(c.get("city_id")), {}).get("name_zh")))
    )
    body = [
        f"<h1>{text(z.get('name_en') or zid)}"
        + (f' <span lang="zh">{attr(zh)}</span>' if zh else "")
        + "</h1>",
        f'<p class="lead">A zone of the programme “{text(p.get("name_en") or pid)}”. '
        f"Zone ID <code>{attr(zid)}</code>.</p>",
        f'<dl class="facts">{_zone_facts(ctx, z, p, pid, cited)}</dl>',
        "<h2>Host cities</h2>" + _zone_cities(ctx, zid, cited),
        "<h2>Dates</h2>" + _zone_dates(ctx, zid, cited),
        "<h2>Focus industries</h2>" + _zone_industries(ctx, zid, cited),
        _zone_claims(ctx, zid, cited),
        "<h2>Sources</h2>" + ctx.sources_list(cited, up),
    ]
    return frame(
        ctx.data,
        f"zones/{zid}.html",
        f"{plain(z.get('name_en') or zid)} ({pid.upper()} pilot zone)",
        "\n".join(b for b in body if b),
        f"The {plain(z.get('name_en') or zid)} pilot zone: cities, dates, industries, sources.",
    )


def _zone_facts(
    ctx: Context, z: dict[str, object], p: dict[str, object], pid: str, cited: set[str]
) -> str:
    up = "../"
    facts = [
        (
            "Programme",
            link(f"{up}index.html#programme-{frag(pid)}", text(p.get("name_en") or pid))
            + (f' <span lang="zh">{attr(plain(p.get("name_zh")))}</span>' if p else "")
            + (f" ({text(p.get('ministry_en'))})" if p else ""),
        ),
        ("Batch", attr(plain(z.get("batch"))) or "not recorded"),
        ("Approving document", text(z.get("document")) or "not recorded"),
        ("Source", ctx.source(z.get("source_id"), up, cited)),
    ]
    if plain(z.get("note")):
        facts.append(("Note", text(z.get("note"))))
    return "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)


def _zone_cities(ctx: Context, zid: str, cited: set[str]) -> str:
    rows = []
    for c in ctx.rows("zone_cities", zone_id=zid):
        city = ctx.cities.get(plain(c.get("city_id")), {})
        area = text(c.get("area_en"))
        if plain(c.get("area_zh")):
            area += f' (<span lang="zh">{attr(plain(c.get("area_zh")))}</span>)'
        rows.append(
            [
                ctx.city(c.get("city_id")),
                ctx.province(city.get("province_id")),
                area or "whole city",
                ctx.source(c.get("source_id"), "../", cited),
            ]
        )
    return simple_table(
        "Host cities (with their Chinese names)", ["City", "Province", "Area", "Source"], rows
    )


def _zone_dates(ctx: Context, zid: str, cited: set[str]) -> str:
    rows = [
        [
            attr(plain(r.get("event"))),
            f"<time>{attr(plain(r.get('date')))}</time>",
            attr(precision(r.get("date"))),
            "yes" if true(r.get("preferred")) else "no",
            attr(plain(r.get("confidence"))),
            ctx.source(r.get("source_id"), "../", cited),
            text(r.get("note")),
        ]
        for r in sorted(
            ctx.rows("zone_dates", zone_id=zid),
            key=lambda r: (plain(r.get("date")), plain(r.get("event"))),
        )
    ]
    if not rows:
        return "<p>No dated event is recorded.</p>"
    return simple_table(
        "Dated events, at the precision each source gives",
        ["Event", "Date", "Precision", "Preferred", "Confidence", "Source", "Note"],
        rows,
    )


def _zone_industries(ctx: Context, zid: str, cited: set[str]) -> str:
    rows = [
        [
            text(ctx.industries.get(plain(r.get("industry_id")), {}).get("name_en"))
            or text(r.get("industry_id")),
            f"“{text(r.get('wording'))}”",
            ctx.source(r.get("source_id"), "../", cited),
        ]
        for r in sorted(
            ctx.rows("zone_industries", zone_id=zid),
            key=lambda r: (plain(r.get("industry_id")), plain(r.get("source_id"))),
        )
    ]
    if not rows:
        return "<p>No source names focus industries for this zone.</p>"
    return simple_table(
        "Focus industries, in each source’s own wording",
        ["Industry", "Source’s wording", "Source"],
        rows,
    )


def _zone_claims(ctx: Context, zid: str, cited: set[str]) -> str:
    """The statements about the zone, as a section ("" if there is none)."""
    rows = [
        [
            link(f"../claims.html#claim-{frag(c['claim_id'])}", text(c.get("statement"))),
            assessment_badge(c.get("assessment")),
            ctx.source(c.get("source_id"), "../", cited),
        ]
        for c in ctx.rows("claims", zone_id=zid)
    ]
    if not rows:
        return ""
    return "<h2>Statements about this zone</h2>" + simple_table(
        "Statements and their assessment", ["Statement", "Assessment", "Source"], rows
    )


def assessment_badge(value: object) -> str:
    a = plain(value)
    return f'<span class="badge a-{attr(a)}">{attr(a)}</span>' if a else ""


def claims_page(ctx: Context) -> str:
    claims = ctx.rows("claims")
    numbered = Counter(plain(c.get("source_id")) for c in claims if plain(c.get("statement_no")))
    seed = numbered.most_common(1)[0][0] if numbered else ""
    cited: set[str] = set()
    ordered = sorted(claims, key=_by_statement_no)
    seed_rows = [_claim_row(ctx, c, cited) for c in ordered if plain(c.get("source_id")) == seed]
    other = [c for c in ordered if plain(c.get("source_id")) != seed]
    headers = ["No.", "Statement", "Assessment", "About", "Evidence", "Note"]
    summary = _assessment_summary(claims, seed)
    parts = [
        "<h1>The seed article’s statements</h1>",
        _seed_lead(ctx, seed, cited),
        f'<p class="summary">Assessments: {summary}.</p>' if summary else "",
        simple_table("Statements of the seed article, in order", headers, seed_rows, "claims"),
    ]
    if other:
        parts.append(
            "<h2>Statements of other sources</h2>"
            + simple_table(
                "Statements of other sources",
                ["Source", *headers[1:]],
                [
                    [
                        f'<span id="claim-{attr(plain(c.get("claim_id")))}"></span>'
                        + ctx.source(c.get("source_id"), "", cited),
                        *_claim_row(ctx, c, cited)[1:],
                    ]
                    for c in other
                ],
                "claims",
            )
        )
    parts.append("<h2>Sources</h2>" + ctx.sources_list(cited, ""))
    return frame(
        ctx.data,
        "claims.html",
        "The seed article’s statements",
        "\n".join(p for p in parts if p),
        "Every statement of the seed article with its assessment and sources.",
    )


def _claim_row(ctx: Context, c: dict[str, Any], cited: set[str]) -> list[str]:
    """A statement's cells: number, statement, assessment, what it is about, evidence, note."""
    about = [
        ctx.zone(c.get("zone_id"), "") if plain(c.get("zone_id")) else "",
        ctx.city(c.get("city_id")) if plain(c.get("city_id")) else "",
        ctx.province(c.get("province_id"))
        if plain(c.get("province_id")) and not plain(c.get("city_id"))
        else "",
    ]
    cid = plain(c.get("claim_id"))
    return [
        f'<span id="claim-{attr(cid)}">{attr(plain(c.get("statement_no")) or "–")}</span>',
        text(c.get("statement")),
        assessment_badge(c.get("assessment")),
        "<br>".join(a for a in about if a),
        ctx.source(c.get("evidence_source_id"), "", cited)
        if plain(c.get("evidence_source_id"))
        else "",
        text(c.get("note")),
    ]


def _by_statement_no(c: dict[str, Any]) -> tuple[int, str]:
    no = plain(c.get("statement_no"))
    return (int(no) if no.isdigit() else 10**6, plain(c.get("claim_id")))


def _assessment_summary(claims: list[dict[str, Any]], seed: str) -> str:
    """How many of the seed's statements have each assessment, badges in their order."""
    counts = Counter(
        plain(c.get("assessment")) for c in claims if plain(c.get("source_id")) == seed
    )
    order = [a for a in ASSESSMENT_ORDER if a in counts] + sorted(
        a for a in counts if a not in ASSESSMENT_ORDER
    )
    return ", ".join(f"{assessment_badge(a)} {counts[a]}" for a in order)


def _seed_lead(ctx: Context, seed: str, cited: set[str]) -> str:
    """The paragraph that names the seed article."""
    seed_source = ctx.sources.get(seed, {})
    title = text(seed_source.get("title") or seed)
    return (
        f'<p class="lead">The package began with one article: {title}'
        + (
            f" ({text(seed_source.get('publisher'))}, {attr(plain(seed_source.get('published')))})"
            if seed_source
            else ""
        )
        + (
            f" ({external(seed_source.get('url'), 'original')})"
            if is_http(seed_source.get("url"))
            else ""
        )
        + ". Each of its statements is below with the package’s assessment and the source "
        f"that confirms or corrects it ({ctx.source(seed, '', cited)}).</p>"
    )
