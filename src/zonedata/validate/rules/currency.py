"""Currency rules: USD figures against their CNY figures and reference rates."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.typing import NAType

from zonedata.model.descriptor import Table
from zonedata.problems import Problem
from zonedata.validate.rules._base import (
    CHUNK_ROWS,
    Context,
    cell_text,
    complete_rows,
    failing_lines,
    flag_frame,
    flagged,
    floats_at,
    fmt_num,
    half_unit,
    half_units,
    in_chunks,
    line_frame,
    lookup,
    na_float,
    passes,
    positions_of,
    precision,
    problem,
    records,
    rule,
)
from zonedata.validate.tabledata import TableData

#: Field units (the descriptor's custom ``unit`` property) the currency rules look for.
UNIT_CNY_BN = "billion CNY"
UNIT_USD_BN = "billion USD"
UNIT_CNY_PER_USD = "CNY/USD"
UNIT_CNY_PER_EUR = "CNY/EUR"
UNIT_USD_PER_EUR = "USD/EUR"

#: Approximate annual range (low, high) of the USD/CNY rate in CNY per USD, from the
#: PBOC central parity and onshore market rates of each year, rounded outwards to 0.01.
USD_CNY_ANNUAL_RANGE: dict[int, tuple[float, float]] = {
    2015: (6.18, 6.50),
    2016: (6.44, 6.97),
    2017: (6.45, 6.96),
    2018: (6.24, 6.98),
    2019: (6.67, 7.19),
    2020: (6.50, 7.18),
    2021: (6.34, 6.59),
    2022: (6.30, 7.33),
    2023: (6.70, 7.35),
    2024: (7.00, 7.33),
    2025: (6.98, 7.35),
}
#: Range used for years outside the table (or rows with no year): the rate's extremes
#: since the 1994 unification (6.04 in 2014, 8.70 in 1994), rounded outwards.
USD_CNY_FALLBACK_RANGE: tuple[float, float] = (6.00, 8.70)
#: Relative margin by which every range is widened on both sides (3%).
USD_CNY_MARGIN = 0.03

#: Relative tolerance for float noise when comparing a rate with an interval bound.
_FLOAT_TOL = 1e-9


def plausible_band(year: int | None) -> tuple[float, float, str]:
    """The plausible USD/CNY band for a figure of ``year`` and a note saying where it is from.

    Conversions are usually published after the year they describe, so the band of a year
    covers that year and the next one (whichever of the two the table has); outside the
    table (or with no year) the fallback range applies. The band is widened by :data:`USD_CNY_MARGIN`.
    """
    if year is not None and year in USD_CNY_ANNUAL_RANGE:
        years = [y for y in (year, year + 1) if y in USD_CNY_ANNUAL_RANGE]
        low = min(USD_CNY_ANNUAL_RANGE[y][0] for y in years)
        high = max(USD_CNY_ANNUAL_RANGE[y][1] for y in years)
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(year)
        note = f"the USD/CNY range of {span} widened by {USD_CNY_MARGIN:.0%}"
    else:
        low, high = USD_CNY_FALLBACK_RANGE
        note = f"the long-run USD/CNY range widened by {USD_CNY_MARGIN:.0%}"
    return low * (1 - USD_CNY_MARGIN), high * (1 + USD_CNY_MARGIN), note


@dataclass(frozen=True)
class Conversion:
    """A pair of fields holding the same figure in CNY and USD (and how it was converted)."""

    cny: str
    usd: str
    #: Field naming the rate used (a foreign key to the rates table), if the table has one.
    rate_id: str | None
    rate_table: str | None
    rate_key: str | None
    #: The year the figure is about (``year`` or ``*_year``), if the table has one.
    year: str | None


def conversions(table: Table, tables: dict[str, Table]) -> list[Conversion]:
    """Find the CNY/USD pairs of ``table`` from the fields' units and foreign keys.

    Each ``billion USD`` number field is paired with the ``billion CNY`` field of the same
    name with ``usd`` replaced by ``cny`` (or the table's only ``billion CNY`` field). The
    rate field is a foreign key to a table with a ``CNY/USD`` number field.
    """
    numbers = [f for f in table.fields if f.kind == "number"]
    cny_fields = [f.name for f in numbers if f.unit == UNIT_CNY_BN]
    rate_fk = None
    for fk in table.foreign_keys:
        ref = tables.get(fk.resource)
        if (
            ref is not None
            and len(fk.fields) == 1
            and any(f.unit == UNIT_CNY_PER_USD and f.kind == "number" for f in ref.fields)
        ):
            rate_fk = fk
            break
    year = next(
        (
            f.name
            for f in table.fields
            if f.kind in ("integer", "year") and (f.name == "year" or f.name.endswith("_year"))
        ),
        None,
    )
    out = []
    for f in numbers:
        if f.unit != UNIT_USD_BN:
            continue
        twin = f.name.replace("usd", "cny")
        cny = twin if twin in cny_fields else (cny_fields[0] if len(cny_fields) == 1 else None)
        if cny is None:
            continue
        out.append(
            Conversion(
                cny=cny,
                usd=f.name,
                rate_id=rate_fk.fields[0] if rate_fk else None,
                rate_table=rate_fk.resource if rate_fk else None,
                rate_key=rate_fk.reference_fields[0] if rate_fk else None,
                year=year,
            )
        )
    return out


def _rate_field(table: Table, unit: str) -> str | None:
    return next((f.name for f in table.fields if f.kind == "number" and f.unit == unit), None)


@dataclass(frozen=True)
class Interval:
    """The rate implied by printed CNY and USD figures, and the interval their rounding
    allows, for some rows (plain float64, NaN where undecidable).

    A figure printed with d decimals stands for any value within h = 0.5 x 10^-d of it, so
    the rate lies in [(cny - h_cny) / (usd + h_usd), (cny + h_cny) / (usd - h_usd)] (no
    upper limit when usd - h_usd <= 0).
    """

    cny: np.ndarray
    implied: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    usd_decimals: np.ndarray

    @classmethod
    def of(cls, td: TableData, conv: Conversion, pos: np.ndarray) -> Interval:
        """The interval of ``td``'s rows at positions ``pos`` (figures present)."""
        c = floats_at(td.typed[conv.cny], pos)
        u = floats_at(td.typed[conv.usd], pos)
        hc = half_units(td.decimals_at(conv.cny, pos))
        du = td.decimals_at(conv.usd, pos)
        hu = half_units(du)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            implied = c / u
            lo = (c - hc) / (u + hu)
            denom = u - hu
            hi = np.where(denom > 0, (c + hc) / denom, np.inf)
        return cls(cny=c, implied=implied, lo=lo, hi=hi, usd_decimals=du)


def _fmt_bound(x: float | NAType, decimals: int) -> str:
    # (<NA> raises a TypeError here, as it did when the bounds were nullable floats)
    return fmt_num(x, decimals) if math.isfinite(x) else "no upper limit"  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rates:
    """The reference rates a conversion names: one row per distinct rate id (the first)."""

    td: TableData
    #: the rate ids, and per id its rate (float64), printed decimals, text and line
    ids: pd.Series
    rate: np.ndarray
    decimals: np.ndarray
    text: pd.Series
    line: np.ndarray

    @classmethod
    def of(cls, td: TableData, key: str, value: str) -> Rates:
        frame = pd.DataFrame(
            {
                "_rate_id": td.typed[key],
                "_rate": td.typed[value].astype("Float64"),
                "_rate_text": td.text[value],
                "_rate_dec": td.decimals(value),
                "_rate_line": td.typed.index.astype("int64"),
            }
        ).dropna(subset=["_rate_id", "_rate"])
        frame = frame.drop_duplicates("_rate_id")
        every = np.arange(len(frame), dtype=np.int64)
        return cls(
            td=td,
            ids=frame["_rate_id"],
            rate=floats_at(frame["_rate"], every),
            decimals=floats_at(frame["_rate_dec"], every),
            text=frame["_rate_text"],
            line=frame["_rate_line"].to_numpy(dtype=np.int64),
        )


def _rates_of(ctx: Context, td: TableData, conv: Conversion) -> Rates | None:
    """The rates table of a conversion with a rate field, or ``None`` (the rule skips)."""
    if conv.rate_id is None or conv.rate_table is None or conv.rate_key is None:
        return None
    if ctx.table(td.name, conv.cny, conv.usd, conv.rate_id) is None:
        return None
    rates_td = ctx.data.get(conv.rate_table)
    rate_value = _rate_field(rates_td.table, UNIT_CNY_PER_USD) if rates_td else None
    if rates_td is None or rate_value is None:
        return None
    if ctx.table(rates_td.name, conv.rate_key, rate_value) is None:
        return None
    return Rates.of(rates_td, conv.rate_key, rate_value)


def _mismatches(td: TableData, conv: Conversion, rates: Rates) -> list[Problem]:
    """``usd-cny-mismatch`` for one conversion of one table.

    Only the rows with both figures and a rate that is found are looked at; the
    arithmetic runs in float64 over those rows alone (see :func:`floats_at`).
    """
    assert conv.rate_id is not None
    pos = complete_rows(td, [conv.cny, conv.usd, conv.rate_id])
    ids = td.typed[conv.rate_id]
    at = np.concatenate(
        [np.zeros(0, dtype=np.int64)]
        + [
            lookup(ids.iloc[pos[start : start + CHUNK_ROWS]], rates.ids)
            for start in range(0, len(pos), CHUNK_ROWS)
        ]
    )
    pos, at = pos[at >= 0], at[at >= 0]

    def disagrees(rows: slice) -> np.ndarray:
        iv = Interval.of(td, conv, pos[rows])
        rate = rates.rate[at[rows]]
        hr = half_units(rates.decimals[at[rows]])
        with np.errstate(invalid="ignore", over="ignore"):
            tol = np.abs(rate) * _FLOAT_TOL
            # the rate agrees unless it is certainly outside the widened interval
            return np.asarray((rate < iv.lo - hr - tol) | (rate > iv.hi + hr + tol))

    found, where = _failing(td, pos, "usd-cny-mismatch", disagrees)
    problems: list[Problem] = []
    iv = Interval.of(td, conv, pos[where])  # the failing rows' figures, for the messages
    rate = rates.rate[at[where]]
    for j, (line, i) in enumerate(zip(found, where, strict=True)):
        k = int(at[i])
        dr = max(int(rates.decimals[k]), 4)
        du = int(iv.usd_decimals[j])
        expected = float(iv.cny[j]) / float(rate[j])
        problems.append(
            problem(
                "usd-cny-mismatch",
                f"{conv.usd} {cell_text(td, line, conv.usd)} with {conv.cny} "
                f"{cell_text(td, line, conv.cny)} implies {fmt_num(na_float(iv.implied[j]), dr)} CNY/USD "
                f"({_fmt_bound(na_float(iv.lo[j]), dr)}–{_fmt_bound(na_float(iv.hi[j]), dr)} given the "
                f"printed digits), but rate {rates.ids.iat[k]} "
                f"({rates.td.display_path} line {int(rates.line[k])}) is "
                f"{rates.text.iat[k]}, at which {conv.usd} would be "
                f"{fmt_num(expected, du)}; check both figures and the rate",
                td,
                line,
                conv.usd,
            )
        )
    return problems


def _failing(
    td: TableData, pos: np.ndarray, code: str, verdict: Callable[[slice], np.ndarray]
) -> tuple[pd.Index, np.ndarray]:
    """The lines where ``verdict`` (computed in chunks over the rows at ``pos``) flags the
    rule ``code`` as Pandera reports them, and their positions in ``pos``."""
    lines = td.typed.index.to_numpy(dtype=np.int64)[pos]
    frame = flag_frame(lines, {code: in_chunks(len(pos), verdict)})
    found = failing_lines(frame, {code: flagged(code)})[code]
    return found, positions_of(lines, found)


@rule("usd-cny-mismatch")
def usd_cny_mismatch(ctx: Context) -> list[Problem]:
    """A figure given in CNY and USD with a reference rate must agree with that rate.

    For every table with a ``billion CNY`` and a ``billion USD`` field and a foreign key
    to a ``CNY/USD`` rate (``usd_rate_id``), the rate must lie in the interval the printed
    figures allow, [(cny - h_cny) / (usd + h_usd), (cny + h_cny) / (usd - h_usd)], widened
    by the rate's own half-unit h_rate; h = 0.5 x 10^-d where d is the number of decimals
    printed in the cell. Rows with a missing figure or rate are skipped.
    """
    tables = {name: td.table for name, td in ctx.data.items()}
    problems: list[Problem] = []
    for td in ctx.data.values():
        for conv in conversions(td.table, tables):
            rates = _rates_of(ctx, td, conv)
            if rates is not None:
                problems.extend(_mismatches(td, conv, rates))
    return problems


def _implausible(td: TableData, conv: Conversion, has_rate: bool, has_year: bool) -> list[Problem]:
    """``usd-cny-implausible`` for one conversion of one table: its rows with both figures
    and no rate."""
    bands = {
        y: plausible_band(y)
        for y in range(min(USD_CNY_ANNUAL_RANGE), max(USD_CNY_ANNUAL_RANGE) + 1)
    }
    fallback = plausible_band(None)
    pos = complete_rows(td, [conv.cny, conv.usd])
    if has_rate and conv.rate_id:
        pos = pos[td.typed[conv.rate_id].isna().to_numpy(dtype=bool)[pos]]
    years = td.typed[conv.year].astype("Int64") if has_year and conv.year else None

    def year_at(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The year of the rows at positions ``rows`` (0 where unknown), and where known."""
        if years is None:
            return np.zeros(len(rows), dtype=np.int64), np.zeros(len(rows), dtype=bool)
        taken = years.array.take(rows)
        known_year = ~np.asarray(taken.isna(), dtype=bool)
        return np.asarray(taken.to_numpy(dtype=np.int64, na_value=0), dtype=np.int64), known_year

    def implausible(rows: slice) -> np.ndarray:
        year, known_year = year_at(pos[rows])
        band_lo = np.full(len(year), fallback[0])
        band_hi = np.full(len(year), fallback[1])
        for y_band, (lo_band, hi_band, _) in bands.items():
            at_y = known_year & (year == y_band)
            band_lo[at_y] = lo_band
            band_hi[at_y] = hi_band
        iv = Interval.of(td, conv, pos[rows])
        # plausible unless the interval certainly misses the band
        return np.asarray((iv.hi < band_lo) | (iv.lo > band_hi))

    found, where_at = _failing(td, pos, "usd-cny-implausible", implausible)
    problems: list[Problem] = []
    iv = Interval.of(td, conv, pos[where_at])  # the failing rows' figures, for the messages
    year, known_year = year_at(pos[where_at])
    for j, line in enumerate(found):
        y = int(year[j]) if known_year[j] else None
        lo, hi, note = bands.get(y, fallback) if y is not None else fallback
        where = f"for {y}" if y is not None else "(no year)"
        hint = (
            f"name the rate it was converted at in {conv.rate_id}, or correct the figure"
            if has_rate
            else "correct the figure"
        )
        problems.append(
            problem(
                "usd-cny-implausible",
                f"{conv.usd} {cell_text(td, line, conv.usd)} with {conv.cny} "
                f"{cell_text(td, line, conv.cny)} implies {fmt_num(na_float(iv.implied[j]), 4)} CNY/USD, "
                f"outside the plausible band {fmt_num(lo, 2)}–{fmt_num(hi, 2)} {where} "
                f"({note}); {hint}",
                td,
                line,
                conv.usd,
            )
        )
    return problems


@rule("usd-cny-implausible")
def usd_cny_implausible(ctx: Context) -> list[Problem]:
    """A USD figure converted at an unnamed rate must imply a plausible USD/CNY rate.

    For rows with a ``billion CNY`` and a ``billion USD`` figure but no reference rate,
    the interval of rates the printed figures allow (as for ``usd-cny-mismatch``) must
    meet the plausible band of the row's year (``year`` or ``target_year``): the lowest
    and highest USD/CNY rate of that year and the next (conversions are published after
    the year) from :data:`USD_CNY_ANNUAL_RANGE` (2015–2025), widened by 3% either side;
    for other years the long-run range 6.00–8.70 widened by 3%.
    """
    tables = {name: td.table for name, td in ctx.data.items()}
    problems: list[Problem] = []
    for td in ctx.data.values():
        for conv in conversions(td.table, tables):
            if ctx.table(td.name, conv.cny, conv.usd) is None:
                continue
            has_rate = conv.rate_id is not None and conv.rate_id in td.typed.columns
            has_year = conv.year is not None and conv.year in td.typed.columns
            problems.extend(_implausible(td, conv, has_rate, has_year))
    return problems


@rule("ecb-cross-rate-mismatch")
def ecb_cross_rate_mismatch(ctx: Context) -> list[Problem]:
    """A USD/CNY cross rate must equal CNY per EUR divided by USD per EUR, to its digits.

    In every table with ``CNY/USD``, ``CNY/EUR`` and ``USD/EUR`` number fields, rows giving
    all three must satisfy |cny_per_usd - cny_per_eur / usd_per_eur| <= h, half a unit in
    the last printed digit of cny_per_usd. The two EUR rates are the ECB's published
    reference rates, which are exact at their four decimals; only the quotient is rounded.
    """
    problems: list[Problem] = []
    for td in ctx.data.values():
        x = _rate_field(td.table, UNIT_CNY_PER_USD)
        c = _rate_field(td.table, UNIT_CNY_PER_EUR)
        u = _rate_field(td.table, UNIT_USD_PER_EUR)
        if x is None or c is None or u is None or ctx.table(td.name, x, c, u) is None:
            continue
        frame = line_frame(td, [x, c, u], decimals=[x], complete=[x, c, u])
        frame["_ratio"] = frame[c].astype("Float64") / frame[u].astype("Float64")
        frame["_hx"] = half_unit(frame[f"{x}__dec"])

        def matches(d: pd.DataFrame, x: str = x) -> pd.Series:
            diff = (d[x] - d["_ratio"]).abs()
            ok = diff <= d["_hx"] + d[x].abs() * _FLOAT_TOL
            return passes(ok)

        bad = failing_lines(frame, {"ecb-cross-rate-mismatch": matches})["ecb-cross-rate-mismatch"]
        for line, r in records(frame, bad):
            dx = r.integer(f"{x}__dec")
            problems.append(
                problem(
                    "ecb-cross-rate-mismatch",
                    f"{x} {cell_text(td, line, x)} but {c} {cell_text(td, line, c)} / {u} {cell_text(td, line, u)} "
                    f"= {fmt_num(r.number('_ratio'), dx + 2)}, which printed to {precision(dx)} is "
                    f"{fmt_num(r.number('_ratio'), dx)}",
                    td,
                    line,
                    x,
                )
            )
    return problems
