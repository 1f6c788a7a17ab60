"""The overview tables: derived by ``release`` from the canonical tables, never edited.

``zone_overview``
    One row per zone: programme, batch, host cities and provinces, the preferred
    approval date with its precision, the focus industries, and the source behind each
    column.
``city_indicators``
    One row per city and year: the preferred GDP and growth with their sources, and the
    GDP in US dollars at the year's National Bureau of Statistics annual average rate.

This module is the one place that defines them: each :class:`Derivation` holds the
table's descriptor (fields, descriptions, keys), its rules in words (which the data
dictionary prints, :func:`zonedata.docs.dictionary`), the canonical tables and fields it
reads, and the function that computes its rows. The rows are computed as text, exactly
as a hand-written CSV would hold them (figures keep the canonical cell's digits), and
then go through the schema layer like every canonical table
(:func:`zonedata.validate.schema_checks.check_records`, then the foreign keys): a
derived row that breaks its schema stops the release with a located
:class:`zonedata.errors.DerivedTableError`.

A package that lacks a table or field a derivation reads (a package other than
zonedata's own) gets no such overview table; the build says so in its notes.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from zonedata.errors import DerivedTableError
from zonedata.model.descriptor import Table

if TYPE_CHECKING:
    import pyarrow as pa

    from zonedata.problems import Problem
    from zonedata.validate.tabledata import TableData

#: Separator of the values of a list column (``beijing; tianjin``).
LIST_SEPARATOR = "; "
#: Kind of the exchange rate used for each year's USD figure (exchange_rates.kind).
USD_RATE_KIND = "annual-average"
#: Decimals of the derived USD figure: those of the sources' own USD figures
#: (city_gdp.gdp_usd_bn); rounded half up.
USD_DECIMALS = 2
#: Date precision by the length of an ISO 8601 partial date.
PRECISION = {4: "year", 7: "month", 10: "day"}
_ID_PATTERN = "[a-z0-9]+(-[a-z0-9]+)*"

Row = dict[str, str | None]
#: A canonical table's rows as text (``None`` where missing), keyed by table name.
Texts = dict[str, list[Row]]


# --- descriptors ----------------------------------------------------------------------


def _field(
    name: str,
    kind: str,
    title: str,
    description: str,
    *,
    required: bool = False,
    decimals: int | None = None,
    unit: str | None = None,
    pattern: str | None = None,
    enum: list[str] | None = None,
) -> dict[str, Any]:
    f: dict[str, Any] = {"name": name, "type": kind, "title": title, "description": description}
    if unit:
        f["unit"] = unit
    if decimals is not None:
        f["decimals"] = decimals
    if kind == "boolean":
        f["trueValues"], f["falseValues"] = ["true"], ["false"]
    constraints: dict[str, Any] = {"required": required}
    if pattern:
        constraints["pattern"] = pattern
    if enum:
        constraints["enum"] = enum
    f["constraints"] = constraints
    return f


def _id(name: str, title: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return _field(name, "string", title, description, required=required, pattern=_ID_PATTERN)


def _list(name: str, title: str, description: str) -> dict[str, Any]:
    return _field(name, "string", title, f"{description} Separated by '{LIST_SEPARATOR}'.")


def _fk(field: str, resource: str, ref: str) -> dict[str, Any]:
    return {"fields": [field], "reference": {"resource": resource, "fields": [ref]}}


@dataclass(frozen=True)
class Derivation:
    """One overview table: its descriptor, its rules and how its rows are computed."""

    name: str
    title: str
    description: str
    rules: tuple[str, ...]
    fields: tuple[dict[str, Any], ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[dict[str, Any], ...]
    #: canonical table -> the fields the derivation reads
    reads: dict[str, tuple[str, ...]]
    rows: Callable[[Texts], list[Row]]

    def descriptor(self) -> dict[str, Any]:
        """The table's resource descriptor (without path and format)."""
        return {
            "name": self.name,
            "type": "table",
            "title": self.title,
            "description": self.description,
            "zonedata:derived": {"from": sorted(self.reads), "rules": list(self.rules)},
            "schema": {
                "fields": [dict(f) for f in self.fields],
                "missingValues": [""],
                "primaryKey": list(self.primary_key),
                "foreignKeys": [dict(fk) for fk in self.foreign_keys],
            },
        }

    def table(self) -> Table:
        return Table.from_descriptor({**self.descriptor(), "path": f"{self.name}.csv"})

    def missing_inputs(self, tables: dict[str, Table]) -> list[str]:
        """The ``table.field`` inputs the package lacks (empty: it can be derived)."""
        out = []
        for name, fields in self.reads.items():
            if name not in tables:
                out.append(name)
                continue
            have = set(tables[name].field_names)
            out += [f"{name}.{f}" for f in fields if f not in have]
        return out


# --- computing rows -------------------------------------------------------------------


def _joined(values: Iterable[str | None]) -> str | None:
    """Distinct non-missing values in order of first appearance, joined; ``None`` if none."""
    seen: dict[str, None] = {}
    for v in values:
        if v is not None:
            seen.setdefault(v, None)
    return LIST_SEPARATOR.join(seen) if seen else None


def _by(rows: list[Row], *keys: str) -> dict[tuple[str | None, ...], list[Row]]:
    out: dict[tuple[str | None, ...], list[Row]] = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def _preferred(rows: list[Row], what: str) -> Row | None:
    """The one row marked preferred among ``rows`` (``None`` if none is)."""
    chosen = [r for r in rows if r.get("preferred") == "true"]
    if len(chosen) > 1:
        table = what.split()[0]
        raise DerivedTableError(
            table, [_problem(table, f"{what}: {len(chosen)} rows are preferred")]
        )
    return chosen[0] if chosen else None


def _problem(table: str, message: str) -> Problem:
    """A ``preferred-count`` problem: the row a derived value comes from is ambiguous."""
    from zonedata.problems import make

    return make("preferred-count", message, table=table)


def zone_overview_rows(texts: Texts) -> list[Row]:
    cities = {r["city_id"]: r for r in texts["cities"]}
    industries = {r["industry_id"]: r for r in texts["industries"]}
    zone_cities = _by(texts["zone_cities"], "zone_id")
    zone_industries = _by(texts["zone_industries"], "zone_id")
    dates = _by(texts["zone_dates"], "zone_id", "event")
    out = []
    for z in texts["zones"]:
        zid = z["zone_id"]
        hosts = zone_cities.get((zid,), [])
        focus = sorted(zone_industries.get((zid,), []), key=lambda r: str(r["industry_id"]))
        date: Row | None = None
        for event in ("approved", "announced"):
            date = _preferred(dates.get((zid, event), []), f"zone_dates {zid} {event}")
            if date is not None:
                break
        text = date["date"] if date else None
        out.append(
            {
                "zone_id": zid,
                "programme_id": z["programme_id"],
                "name_en": z["name_en"],
                "batch": z["batch"],
                "zone_source_id": z["source_id"],
                "city_ids": _joined([h["city_id"] for h in hosts]),
                "city_names": _joined([cities.get(h["city_id"], {}).get("name_en") for h in hosts]),
                "province_ids": _joined(
                    [cities.get(h["city_id"], {}).get("province_id") for h in hosts]
                ),
                "city_source_ids": _joined(sorted(str(h["source_id"]) for h in hosts)),
                "approval_date": text,
                "approval_precision": PRECISION.get(len(text)) if text else None,
                "approval_event": date["event"] if date else None,
                "approval_source_id": date["source_id"] if date else None,
                "industry_ids": _joined([r["industry_id"] for r in focus]),
                "industry_names": _joined(
                    [industries.get(r["industry_id"], {}).get("name_en") for r in focus]
                ),
                "industry_source_ids": _joined(sorted(str(r["source_id"]) for r in focus)),
            }
        )
    return out


def usd_billions(cny_bn: str, cny_per_usd: str) -> str:
    """``cny_bn / cny_per_usd`` rounded half up (away from zero) to :data:`USD_DECIMALS`
    decimals, computed exactly (as fractions: no intermediate rounding)."""
    q = Fraction(Decimal(cny_bn)) / Fraction(Decimal(cny_per_usd)) * 10**USD_DECIMALS
    n = math.floor(abs(q) + Fraction(1, 2))
    return str(Decimal(-n if q < 0 else n).scaleb(-USD_DECIMALS))


def annual_rates(rates: list[Row]) -> dict[int, Row]:
    """Each year's NBS annual average rate (``kind`` annual-average, ``date`` the year)."""
    out: dict[int, Row] = {}
    for r in rates:
        date = r["date"]
        if r["kind"] != USD_RATE_KIND or date is None or len(date) != 4:
            continue
        if int(date) in out:
            raise DerivedTableError(
                "city_indicators",
                [_problem("exchange_rates", f"two {USD_RATE_KIND} rates for {date}")],
            )
        out[int(date)] = r
    return out


def city_indicators_rows(texts: Texts) -> list[Row]:
    gdp = _by(texts["city_gdp"], "city_id", "year")
    growth = _by(texts["city_growth"], "city_id", "year")
    rates = annual_rates(texts["exchange_rates"])
    keys = sorted(set(gdp) | set(growth), key=lambda k: (str(k[0]), int(str(k[1]))))
    out = []
    for city, year in keys:
        g = _preferred(gdp.get((city, year), []), f"city_gdp {city} {year}")
        r = _preferred(growth.get((city, year), []), f"city_growth {city} {year}")
        rate = rates.get(int(str(year)))
        cny = g["gdp_cny_bn"] if g else None
        per_usd = rate["cny_per_usd"] if rate else None
        out.append(
            {
                "city_id": city,
                "year": year,
                "gdp_cny_bn": cny,
                "gdp_approximate": g["approximate"] if g else None,
                "gdp_source_id": g["source_id"] if g else None,
                "growth_pct": r["growth_pct"] if r else None,
                "growth_approximate": r["approximate"] if r else None,
                "growth_source_id": r["source_id"] if r else None,
                "usd_rate_id": rate["rate_id"] if rate and cny else None,
                "cny_per_usd": per_usd if cny else None,
                "gdp_usd_bn": usd_billions(cny, per_usd) if cny and per_usd else None,
            }
        )
    return out


_SOURCE = "(sources.source_id)"

ZONE_OVERVIEW = Derivation(
    name="zone_overview",
    title="Zone overview",
    description=(
        "One row per zone: programme, batch, host cities and provinces, the preferred "
        "approval date, the focus industries, and the source behind each column. Derived "
        "by zonedata release from zones, zone_cities, cities, zone_dates, zone_industries "
        "and industries; never edited by hand."
    ),
    rules=(
        "One row per row of zones, in the same order (by zone_id); zone_id, programme_id, "
        "name_en and batch are copied, and zone_source_id is zones.source_id.",
        "city_ids lists the zone's rows of zone_cities (by city_id); city_names and "
        "province_ids are those cities' cities.name_en and cities.province_id (a province "
        "once); city_source_ids lists their zone_cities.source_id, sorted, each once.",
        "The approval date is the preferred zone_dates row of event approved; a zone with "
        "no approved row takes its preferred announced row instead, and approval_event says "
        "which. approval_precision is year, month or day by the date's length; no day or "
        "month is ever invented.",
        "industry_ids lists the zone's zone_industries.industry_id, sorted, each once, "
        "whichever source names it; industry_names are their industries.name_en. Each "
        "source's own wording stays in zone_industries.wording. industry_source_ids lists "
        "the sources, sorted, each once.",
        f"List columns separate their values with '{LIST_SEPARATOR}'; an empty list is a "
        "missing value.",
    ),
    fields=(
        _id("zone_id", "Zone", "The zone (zones.zone_id).", required=True),
        _id(
            "programme_id", "Programme", "The zone's programme (zones.programme_id).", required=True
        ),
        _field("name_en", "string", "Name (English)", "zones.name_en.", required=True),
        _field("batch", "integer", "Batch", "zones.batch: MIIT batch; empty for MOST zones."),
        _id("zone_source_id", "Zone source", f"zones.source_id {_SOURCE}.", required=True),
        _list("city_ids", "Host cities", "The zone's host cities (zone_cities.city_id)."),
        _list("city_names", "Host city names", "The host cities' cities.name_en."),
        _list("province_ids", "Provinces", "The host cities' provinces (cities.province_id)."),
        _list("city_source_ids", "Host city sources", f"zone_cities.source_id {_SOURCE}."),
        _field(
            "approval_date",
            "string",
            "Approval date",
            "The preferred date of the approval (else of its announcement: see approval_event), "
            "ISO 8601 at the source's precision: YYYY, YYYY-MM or YYYY-MM-DD.",
            pattern=r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?",
        )
        | {"partialDate": True},
        _field(
            "approval_precision",
            "string",
            "Approval date precision",
            "year, month or day: how much of approval_date the source gives.",
            enum=["year", "month", "day"],
        ),
        _field(
            "approval_event",
            "string",
            "Approval event",
            "approved: approval_date dates the approval itself; announced: no approval date "
            "was found and approval_date is the date the approval was made public.",
            enum=["approved", "announced"],
        ),
        _id("approval_source_id", "Approval date source", f"zone_dates.source_id {_SOURCE}."),
        _list("industry_ids", "Focus industries", "zone_industries.industry_id."),
        _list("industry_names", "Focus industry names", "The industries' industries.name_en."),
        _list(
            "industry_source_ids", "Focus industry sources", f"zone_industries.source_id {_SOURCE}."
        ),
    ),
    primary_key=("zone_id",),
    foreign_keys=(
        _fk("zone_id", "zones", "zone_id"),
        _fk("programme_id", "programmes", "programme_id"),
        _fk("zone_source_id", "sources", "source_id"),
        _fk("approval_source_id", "sources", "source_id"),
    ),
    reads={
        "zones": ("zone_id", "programme_id", "name_en", "batch", "source_id"),
        "zone_cities": ("zone_id", "city_id", "source_id"),
        "cities": ("city_id", "name_en", "province_id"),
        "zone_dates": ("zone_id", "event", "source_id", "date", "preferred"),
        "zone_industries": ("zone_id", "industry_id", "source_id"),
        "industries": ("industry_id", "name_en"),
    },
    rows=zone_overview_rows,
)

CITY_INDICATORS = Derivation(
    name="city_indicators",
    title="City indicators",
    description=(
        "One row per city and year: the preferred GDP and growth with their sources, and "
        "the GDP in US dollars at the year's NBS annual average rate. Derived by zonedata "
        "release from city_gdp, city_growth and exchange_rates; never edited by hand."
    ),
    rules=(
        "One row per city and year that city_gdp or city_growth has, sorted by city_id and year.",
        "gdp_cny_bn, gdp_approximate and gdp_source_id come from the city's preferred "
        "city_gdp row for the year, exactly as written there; growth_pct, "
        "growth_approximate and growth_source_id from its preferred city_growth row. "
        "Where there is no row, they are empty.",
        f"The USD rate of a year is the exchange_rates row of kind {USD_RATE_KIND} whose "
        "date is that year (the National Bureau of Statistics annual average; "
        "nbs-2018-annual, 6.6174 CNY per USD, for 2018). Where there is none, usd_rate_id, "
        "cny_per_usd and gdp_usd_bn are empty: a rate is never estimated. They are empty "
        "too where the year has no GDP figure.",
        f"gdp_usd_bn is gdp_cny_bn / cny_per_usd, computed exactly and rounded half up to "
        f"{USD_DECIMALS} decimals. It is the package's own conversion, at one rate per "
        "year, and differs from a source's own conversion (city_gdp.gdp_usd_bn), which "
        "used the rate of its day.",
    ),
    fields=(
        _id("city_id", "City", "The city (cities.city_id).", required=True),
        _field("year", "integer", "Year", "Calendar year the figures refer to.", required=True),
        _field(
            "gdp_cny_bn",
            "number",
            "GDP (billion CNY)",
            "Nominal GDP in billion yuan: the preferred city_gdp.gdp_cny_bn.",
            decimals=3,
            unit="billion CNY",
        ),
        _field(
            "gdp_approximate",
            "boolean",
            "GDP approximate",
            "city_gdp.approximate of the preferred row: true where its source calls the "
            "figure approximate.",
        ),
        _id("gdp_source_id", "GDP source", f"city_gdp.source_id of the preferred row {_SOURCE}."),
        _field(
            "growth_pct",
            "number",
            "Growth (%)",
            "GDP growth over the previous year in percent: the preferred city_growth.growth_pct.",
            decimals=1,
            unit="percent",
        ),
        _field(
            "growth_approximate",
            "boolean",
            "Growth approximate",
            "city_growth.approximate of the preferred row.",
        ),
        _id(
            "growth_source_id",
            "Growth source",
            f"city_growth.source_id of the preferred row {_SOURCE}.",
        ),
        _id(
            "usd_rate_id",
            "USD rate",
            f"The year's {USD_RATE_KIND} rate (exchange_rates.rate_id); empty where there is none.",
        ),
        _field(
            "cny_per_usd",
            "number",
            "CNY per USD",
            "exchange_rates.cny_per_usd of usd_rate_id.",
            decimals=4,
            unit="CNY/USD",
        ),
        _field(
            "gdp_usd_bn",
            "number",
            "GDP (billion USD)",
            f"gdp_cny_bn / cny_per_usd, rounded half up to {USD_DECIMALS} decimals; empty "
            "where the year has no rate.",
            decimals=USD_DECIMALS,
            unit="billion USD",
        ),
    ),
    primary_key=("city_id", "year"),
    foreign_keys=(
        _fk("city_id", "cities", "city_id"),
        _fk("gdp_source_id", "sources", "source_id"),
        _fk("growth_source_id", "sources", "source_id"),
        _fk("usd_rate_id", "exchange_rates", "rate_id"),
    ),
    reads={
        "city_gdp": (
            "city_id",
            "year",
            "source_id",
            "gdp_cny_bn",
            "approximate",
            "preferred",
        ),
        "city_growth": ("city_id", "year", "source_id", "growth_pct", "approximate", "preferred"),
        "exchange_rates": ("rate_id", "date", "kind", "cny_per_usd"),
    },
    rows=city_indicators_rows,
)

#: Every overview table, in the order a release lists them (after the canonical tables).
DERIVATIONS: tuple[Derivation, ...] = (ZONE_OVERVIEW, CITY_INDICATORS)


# --- deriving and checking --------------------------------------------------------------


@dataclass
class Derived:
    """A derived table: its schema, its text and typed Arrow tables, its CSV bytes."""

    table: Table
    raw: pa.Table
    typed: pa.Table
    csv: bytes


def _texts(data: dict[str, TableData], d: Derivation) -> Texts:
    """The text of the tables ``d`` reads (booleans as their canonical true/false)."""
    out: Texts = {}
    for name, fields in d.reads.items():
        td = data[name]
        raw = td.raw
        if raw is None:
            raise DerivedTableError(d.name, [_problem(d.name, f"{name} was not read as text")])
        columns = {f: raw.column(f).to_pylist() for f in fields}
        for f in fields:
            spec = td.table.field(f)
            if spec.kind == "boolean":
                true = set(spec.true_values)
                columns[f] = [None if v is None else str(v in true).lower() for v in columns[f]]
        out[name] = [
            dict(zip(fields, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
    return out


def csv_bytes(table: Table, rows: list[Row]) -> bytes:
    """The rows as CSV: UTF-8, LF, header row, minimal quoting, missing as empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.field_names)
    for r in rows:
        writer.writerow(["" if r[n] is None else r[n] for n in table.field_names])
    return buf.getvalue().encode("utf-8")


def derive(d: Derivation, data: dict[str, TableData]) -> Derived:
    """Compute ``d``'s rows from the validated tables and check them as validation does.

    Raises :class:`DerivedTableError` with the located problems if a row breaks the
    table's schema (types, constraints, primary key, order, foreign keys).
    """
    import numpy as np
    import pyarrow as pa

    from zonedata.validate.schema_checks import check_foreign_keys, check_records

    table = d.table()
    rows = d.rows(_texts(data, d))
    raw = pa.table({n: pa.array([r[n] for r in rows], type=pa.string()) for n in table.field_names})
    lines = np.arange(2, len(rows) + 2, dtype=np.int64)
    shown = f"{d.name}.csv"
    td, problems = check_records(raw, lines, table, shown, shown)
    parents = {
        fk.resource: replace(
            data[fk.resource], table=replace(data[fk.resource].table, foreign_keys=())
        )
        for fk in table.foreign_keys
        if fk.resource in data
    }
    problems += check_foreign_keys({**parents, d.name: td})
    errors = [p for p in problems if p.severity == "error" or p.code == "rows-unsorted"]
    if errors or td.arrow is None:
        raise DerivedTableError(d.name, errors)
    return Derived(table=table, raw=raw, typed=td.arrow, csv=csv_bytes(table, rows))


def derive_all(data: dict[str, TableData]) -> tuple[list[Derived], list[str]]:
    """Every overview table the validated ``data`` allows, and notes on those it does not."""
    tables = {name: td.table for name, td in data.items()}
    derived, notes = [], []
    for d in DERIVATIONS:
        missing = d.missing_inputs(tables)
        if missing:
            notes.append(f"no {d.name}: the package has no {', '.join(missing)}")
            continue
        derived.append(derive(d, data))
    return derived, notes
