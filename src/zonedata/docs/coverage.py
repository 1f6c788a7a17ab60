"""``docs/coverage.md``: which cities, zones and years have which facts, and the known gaps.

Generated from ``data/*.csv``: per host city, the years with a GDP or growth figure and the
sources behind them (the preferred one in bold); per zone, its host cities, dated events
(with their precision) and focus industries; the reported zone counts. "Known gaps" lists
what the data lacks (computed from the tables) and the documented research gaps: facts
that were searched for and not found, kept in the package's own ``research_gaps`` table with
what was searched. A documented gap names the row that would fill it, so that the tests notice when
a gap is filled and its entry must go. Only the standard library is used.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

from zonedata.descriptor.package import Package
from zonedata.docs import GENERATED_NOTE, md_code, md_escape

#: the tables read, all optional (a missing table counts as empty)
TABLES = (
    "cities",
    "city_gdp",
    "city_growth",
    "claims",
    "programmes",
    "sources",
    "zone_cities",
    "zone_counts",
    "zone_dates",
    "zone_industries",
    "zones",
)
#: precision of a partial date, by its length
PRECISION = {4: "year", 7: "month", 10: "day"}


@dataclass(frozen=True)
class ResearchGap:
    """A fact searched for and not found."""

    table: str
    subject: str
    missing: str
    searched: str
    #: field values of a row that would fill the gap (a row of ``table`` matching all)
    fills: tuple[tuple[str, str], ...]
    #: sources already found and judged not to fill it (their rows do not count)
    not_from: tuple[str, ...] = ()


#: The table where a package keeps the facts it searched for and did not find.
GAPS_TABLE = "research_gaps"


def research_gaps(package: Package) -> list[ResearchGap]:
    """The package's documented research gaps (its ``research_gaps`` table), if it has one."""
    return [
        ResearchGap(
            r["table"],
            r["subject"],
            r["missing"],
            r["searched"],
            tuple(_pair(x) for x in r["fills"].split(";") if x),
            tuple(x for x in r["not_from"].split(";") if x),
        )
        for r in _read(package, GAPS_TABLE)
    ]


def _pair(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key, value


def render(package: Package) -> bytes:
    return render_text(package).encode("utf-8")


def render_text(package: Package) -> str:
    t = {name: _read(package, name) for name in TABLES}
    out = ["# Coverage", ""]
    out += [GENERATED_NOTE.format(inputs="data/*.csv"), ""]
    out += [
        "Which host cities, zones and years have which facts, from which sources, and "
        "what is known to be missing. Preferred figures and dates are in **bold**; "
        "source IDs are listed in the [data dictionary](data-dictionary.md#source-list).",
        "",
    ]
    hosts = _hosts(t)
    years = sorted({r["year"] for r in t["city_gdp"] + t["city_growth"]})
    out += _summary(t, hosts, years)
    out += _cities(t, hosts)
    out += _zones(t)
    out += _counts(t)
    out += _gaps(t, hosts, years, research_gaps(package))
    return "\n".join(out).rstrip("\n") + "\n"


# -- reading ---------------------------------------------------------------------------


def _read(package: Package, table: str) -> list[dict[str, str]]:
    if table not in package.table_names:
        return []
    text = package.file(table).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _hosts(t: dict[str, list[dict[str, str]]]) -> dict[str, list[str]]:
    """Host city -> its zones, for every city of ``cities`` (cities without a zone too)."""
    hosts: dict[str, list[str]] = {r["city_id"]: [] for r in t["cities"]}
    for r in t["zone_cities"]:
        hosts.setdefault(r["city_id"], []).append(r["zone_id"])
    return {c: sorted(z) for c, z in sorted(hosts.items())}


def _precision(date: str) -> str:
    return PRECISION.get(len(date), "?")


def _figures(rows: list[dict[str, str]], value: str) -> str:
    """``2018: **785.656** `src`; 785.66 `src``` per year, preferred first."""
    by_year: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_year[r["year"]].append(r)
    parts = []
    for year in sorted(by_year):
        cells = []
        for r in sorted(by_year[year], key=lambda r: (r["preferred"] != "true", r["source_id"])):
            v = md_escape(r[value])
            v = f"**{v}**" if r["preferred"] == "true" else v
            cells.append(f"{v} {md_code(r['source_id'])}")
        parts.append(f"{year}: " + "; ".join(cells))
    return "<br>".join(parts) if parts else "none"


# -- sections --------------------------------------------------------------------------


def _summary(
    t: dict[str, list[dict[str, str]]], hosts: dict[str, list[str]], years: list[str]
) -> list[str]:
    out = ["## Summary", ""]
    hosting = [c for c, z in hosts.items() if z]
    for year in years:
        gdp = {r["city_id"] for r in t["city_gdp"] if r["year"] == year}
        growth = {r["city_id"] for r in t["city_growth"] if r["year"] == year}
        out.append(
            f"- {year}: GDP for {len(gdp & set(hosting))} of {len(hosting)} host cities, "
            f"growth for {len(growth & set(hosting))}."
        )
    zones = [r["zone_id"] for r in t["zones"]]
    with_ind = {r["zone_id"] for r in t["zone_industries"]}
    with_day = {
        r["zone_id"] for r in t["zone_dates"] if r["preferred"] == "true" and len(r["date"]) == 10
    }
    out.append(
        f"- {len(zones)} zones: {len(with_ind & set(zones))} with focus industries, "
        f"{len(with_day & set(zones))} with a day-precise preferred date."
    )
    no_url = [r for r in t["sources"] if not r["url"]]
    out.append(f"- {len(t['sources'])} sources, {len(no_url)} without an address.")
    return [*out, ""]


def _cities(t: dict[str, list[dict[str, str]]], hosts: dict[str, list[str]]) -> list[str]:
    names = {r["city_id"]: r["name_en"] for r in t["cities"]}
    gdp: dict[str, list[dict[str, str]]] = defaultdict(list)
    growth: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in t["city_gdp"]:
        gdp[r["city_id"]].append(r)
    for r in t["city_growth"]:
        growth[r["city_id"]].append(r)
    out = ["## Cities", ""]
    out += [
        "GDP in billion CNY, growth in percent, by year and source.",
        "",
        "| City | Zones | GDP | Growth |",
        "| --- | --- | --- | --- |",
    ]
    for city, zones in hosts.items():
        label = f"{md_escape(names.get(city, city))} ({md_code(city)})"
        zl = ", ".join(md_code(z) for z in zones) or "none"
        out.append(
            f"| {label} | {zl} | {_figures(gdp[city], 'gdp_cny_bn')} "
            f"| {_figures(growth[city], 'growth_pct')} |"
        )
    return [*out, ""]


def _zones(t: dict[str, list[dict[str, str]]]) -> list[str]:
    cities: dict[str, list[str]] = defaultdict(list)
    for r in t["zone_cities"]:
        area = f" ({md_escape(r['area_en'])})" if r["area_en"] else ""
        cities[r["zone_id"]].append(md_code(r["city_id"]) + area)
    dates: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in t["zone_dates"]:
        dates[r["zone_id"]].append(r)
    industries: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in t["zone_industries"]:
        industries[r["zone_id"]][r["source_id"]].add(r["industry_id"])
    out = ["## Zones", ""]
    out += ["| Zone | Host cities | Dates | Industries |", "| --- | --- | --- | --- |"]
    for z in sorted(t["zones"], key=lambda r: r["zone_id"]):
        zid = z["zone_id"]
        ds = []
        for r in sorted(dates[zid], key=lambda r: (r["date"], r["event"], r["source_id"])):
            d = f"**{r['date']}**" if r["preferred"] == "true" else r["date"]
            ds.append(f"{r['event']} {d} ({_precision(r['date'])}, {md_code(r['source_id'])})")
        ind = []
        for source, ids in sorted(industries[zid].items()):
            ind.append(f"{md_code(source)}: {', '.join(sorted(ids))}")
        out.append(
            f"| {md_code(zid)} | {', '.join(sorted(cities[zid])) or 'none'} "
            f"| {'<br>'.join(ds) or 'none'} | {'<br>'.join(ind) or 'none'} |"
        )
    return [*out, ""]


def _counts(t: dict[str, list[dict[str, str]]]) -> list[str]:
    out = ["## Zone counts", ""]
    out += ["| Programme | As of | Count | Kind | Source |", "| --- | --- | --- | --- | --- |"]
    for r in sorted(
        t["zone_counts"], key=lambda r: (r["programme_id"], r["as_of"], r["source_id"])
    ):
        count = f"about {r['zone_count']}" if r["approximate"] == "true" else r["zone_count"]
        out.append(
            f"| {md_code(r['programme_id'])} | {r['as_of']} ({_precision(r['as_of'])}) "
            f"| {count} | {r['kind']} | {md_code(r['source_id'])} |"
        )
    return [*out, ""]


def _gaps(
    t: dict[str, list[dict[str, str]]],
    hosts: dict[str, list[str]],
    years: list[str],
    documented: list[ResearchGap],
) -> list[str]:
    out = ["## Known gaps", "", "### From the data", ""]
    hosting = [c for c, z in hosts.items() if z]

    def listed(items: list[str]) -> str:
        return ", ".join(md_code(i) for i in items) if items else "none"

    for year in years:
        for table, what in (("city_gdp", "GDP"), ("city_growth", "growth")):
            have = {r["city_id"] for r in t[table] if r["year"] == year}
            missing = [c for c in hosting if c not in have]
            out.append(f"- Host cities without a {year} {what} figure: {listed(missing)}.")
    weak = [
        f"{r['city_id']} {r['year']} {what} ({'approximate' if r['approximate'] == 'true' else 'confidence ' + r['confidence']})"
        for table, what in (("city_gdp", "GDP"), ("city_growth", "growth"))
        for r in t[table]
        if r["preferred"] == "true" and (r["approximate"] == "true" or r["confidence"] == "C")
    ]
    out.append(
        "- Preferred figures that are approximate or inferred (confidence C): "
        + (", ".join(md_escape(w) for w in sorted(weak)) if weak else "none")
        + "."
    )
    zones = sorted(r["zone_id"] for r in t["zones"])
    with_ind = {r["zone_id"] for r in t["zone_industries"]}
    out.append(
        f"- Zones without focus industries: {listed([z for z in zones if z not in with_ind])}."
    )
    dated = {r["zone_id"] for r in t["zone_dates"]}
    out.append(f"- Zones without a dated event: {listed([z for z in zones if z not in dated])}.")
    day = {
        r["zone_id"] for r in t["zone_dates"] if r["preferred"] == "true" and len(r["date"]) == 10
    }
    out.append(
        f"- Zones whose preferred dates are all month or year only: "
        f"{listed([z for z in zones if z in dated and z not in day])}."
    )
    out.append(
        f"- Sources without an address: {listed(sorted(r['source_id'] for r in t['sources'] if not r['url']))}."
    )
    unchecked = sorted(r["claim_id"] for r in t["claims"] if r["assessment"] == "unchecked")
    out.append(f"- Claims not checked against another source: {listed(unchecked)}.")
    out += ["", "### Documented research gaps", ""]
    out += [
        f"Facts searched for and not found (kept in the table {md_code(GAPS_TABLE)}; a row "
        "goes when its fact is added).",
        "",
        "| Table | Subject | Missing | What was searched |",
        "| --- | --- | --- | --- |",
    ]
    for g in documented:
        out.append(
            f"| {md_code(g.table)} | {md_escape(g.subject)} | {md_escape(g.missing)} "
            f"| {md_escape(g.searched)} |"
        )
    return [*out, ""]


def filled_gaps(package: Package) -> list[ResearchGap]:
    """The documented gaps that a row of the data now fills (their entries must go)."""
    filled = []
    for g in research_gaps(package):
        rows = _read(package, g.table)
        if g.fills and any(
            all(r.get(k) == v for k, v in g.fills) and r.get("source_id") not in g.not_from
            for r in rows
        ):
            filled.append(g)
    return filled
