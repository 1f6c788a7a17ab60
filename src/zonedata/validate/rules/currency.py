"""Conversions: a figure against the figure it was converted from and the rate used
(``converted``, ``plausible-for-year``), and a rate against two others (``quotient``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.typing import NAType

from zonedata.problems import Problem
from zonedata.validate.declarations import Declaration
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
    implements,
    in_chunks,
    line_frame,
    lookup,
    na_float,
    passes,
    positions_of,
    precision,
    problem,
    records,
)
from zonedata.validate.tabledata import TableData

#: Relative tolerance for float noise when comparing a rate with an interval bound.
_FLOAT_TOL = 1e-9


@dataclass(frozen=True)
class Bands:
    """The plausible ranges of a rate by year (``plausible-for-year``'s parameters)."""

    ranges: dict[int, tuple[float, float]]
    fallback: tuple[float, float]
    margin: float
    spread: int
    label: str

    @classmethod
    def of(cls, decl: Declaration) -> Bands:
        low, high = decl.get("fallback")
        return cls(
            ranges={
                int(r["year"]): (float(r["low"]), float(r["high"])) for r in decl.get("ranges")
            },
            fallback=(float(low), float(high)),
            margin=float(decl.get("margin", 0.0)),
            spread=int(decl.get("spread", 0)),
            label=str(decl.get("label", "")),
        )

    def band(self, year: int | None) -> tuple[float, float, str]:
        """The plausible band for a figure of ``year`` and a note saying where it is from.

        Conversions are often published after the year they describe, so the band of a
        year covers that year and the ``spread`` next ones (those the table has); outside
        the table (or with no year) the fallback range applies. The band is widened by
        ``margin``.
        """
        label = f"the {self.label} range" if self.label else "the range"
        if year is not None and year in self.ranges:
            years = [y for y in sorted(self.ranges) if year <= y <= year + self.spread]
            low = min(self.ranges[y][0] for y in years)
            high = max(self.ranges[y][1] for y in years)
            span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(year)
            note = f"{label} of {span} widened by {self.margin:.0%}"
        else:
            low, high = self.fallback
            long_run = f"the long-run {self.label} range" if self.label else "the fallback range"
            note = f"{long_run} widened by {self.margin:.0%}"
        return low * (1 - self.margin), high * (1 + self.margin), note


@dataclass(frozen=True)
class Conversion:
    """A pair of fields holding the same figure before and after conversion."""

    base: str
    converted: str
    #: Field naming the rate used, if declared.
    rate_id: str | None
    rate_table: str | None
    rate_key: str | None
    rate_value: str | None
    #: The year the figure is about, if declared.
    year: str | None

    @classmethod
    def of(cls, decl: Declaration) -> Conversion:
        return cls(
            base=decl.get("from"),
            converted=decl.get("to"),
            rate_id=decl.get("rate"),
            rate_table=decl.get("rates"),
            rate_key=decl.get("rate_key"),
            rate_value=decl.get("rate_value"),
            year=decl.get("year"),
        )


def _unit(decl: Declaration, td: TableData | None, field: str | None) -> str:
    """The rate's unit for messages: declared, else the rate field's own."""
    unit = decl.get("unit")
    if unit is None and td is not None and field in td.table.field_names:
        unit = td.table.field(field).unit
    return str(unit or "")


@dataclass(frozen=True)
class Interval:
    """The rate implied by a printed figure and its conversion, and the interval their rounding
    allows, for some rows (plain float64, NaN where undecidable).

    A figure printed with d decimals stands for any value within h = 0.5 x 10^-d of it, so
    the rate lies in [(b - h_b) / (c + h_c), (b + h_b) / (c - h_c)] for a base figure b
    and its conversion c (no upper limit when c - h_c <= 0).
    """

    base: np.ndarray
    implied: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    converted_decimals: np.ndarray

    @classmethod
    def of(cls, td: TableData, conv: Conversion, pos: np.ndarray) -> Interval:
        """The interval of ``td``'s rows at positions ``pos`` (figures present)."""
        c = floats_at(td.typed[conv.base], pos)
        u = floats_at(td.typed[conv.converted], pos)
        hc = half_units(td.decimals_at(conv.base, pos))
        du = td.decimals_at(conv.converted, pos)
        hu = half_units(du)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            implied = c / u
            lo = (c - hc) / (u + hu)
            denom = u - hu
            hi = np.where(denom > 0, (c + hc) / denom, np.inf)
        return cls(base=c, implied=implied, lo=lo, hi=hi, converted_decimals=du)


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
    if ctx.table(td.name, conv.base, conv.converted, conv.rate_id) is None:
        return None
    rates_td = ctx.data.get(conv.rate_table)
    rate_value = conv.rate_value
    if rates_td is None or rate_value is None:
        return None
    if ctx.table(rates_td.name, conv.rate_key, rate_value) is None:
        return None
    return Rates.of(rates_td, conv.rate_key, rate_value)


def _mismatches(decl: Declaration, td: TableData, conv: Conversion, rates: Rates) -> list[Problem]:
    """``converted`` for one declaration.

    Only the rows with both figures and a rate that is found are looked at; the
    arithmetic runs in float64 over those rows alone (see :func:`floats_at`).
    """
    assert conv.rate_id is not None
    pos = complete_rows(td, [conv.base, conv.converted, conv.rate_id])
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

    found, where = _failing(td, pos, decl.code, disagrees)
    unit = _unit(decl, rates.td, conv.rate_value)
    problems: list[Problem] = []
    iv = Interval.of(td, conv, pos[where])  # the failing rows' figures, for the messages
    rate = rates.rate[at[where]]
    for j, (line, i) in enumerate(zip(found, where, strict=True)):
        k = int(at[i])
        dr = max(int(rates.decimals[k]), 4)
        du = int(iv.converted_decimals[j])
        expected = float(iv.base[j]) / float(rate[j])
        problems.append(
            problem(
                decl.code,
                f"{conv.converted} {cell_text(td, line, conv.converted)} with {conv.base} "
                f"{cell_text(td, line, conv.base)} implies {fmt_num(na_float(iv.implied[j]), dr)} {unit} "
                f"({_fmt_bound(na_float(iv.lo[j]), dr)}–{_fmt_bound(na_float(iv.hi[j]), dr)} given the "
                f"printed digits), but rate {rates.ids.iat[k]} "
                f"({rates.td.display_path} line {int(rates.line[k])}) is "
                f"{rates.text.iat[k]}, at which {conv.converted} would be "
                f"{fmt_num(expected, du)}; {decl.message}",
                td,
                line,
                conv.converted,
                severity=decl.severity,
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


@implements("converted")
def converted(ctx: Context, decl: Declaration) -> list[Problem]:
    """A figure given before and after conversion with a reference rate must agree with
    that rate, within the rounding of the printed figures (see :class:`Interval`)."""
    conv = Conversion.of(decl)
    td = ctx.data.get(decl.get("table"))
    rates = _rates_of(ctx, td, conv) if td is not None else None
    return _mismatches(decl, td, conv, rates) if td is not None and rates is not None else []


def _implausible(
    decl: Declaration, td: TableData, conv: Conversion, has_rate: bool, has_year: bool
) -> list[Problem]:
    """``plausible-for-year`` for one declaration: the rows with both figures and no rate."""
    plausible = Bands.of(decl)
    bands = {y: plausible.band(y) for y in plausible.ranges}  # other years: the fallback
    fallback = plausible.band(None)
    band_years = pd.Index(np.fromiter(bands, dtype=np.int64, count=len(bands)))
    band_lows = np.array([b[0] for b in bands.values()] + [fallback[0]])
    band_highs = np.array([b[1] for b in bands.values()] + [fallback[1]])
    pos = complete_rows(td, [conv.base, conv.converted])
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
        at = np.asarray(band_years.get_indexer(pd.Index(year)), dtype=np.int64)
        at[~known_year | (at < 0)] = len(bands)  # the fallback's place
        band_lo, band_hi = band_lows[at], band_highs[at]
        iv = Interval.of(td, conv, pos[rows])
        # plausible unless the interval certainly misses the band
        return np.asarray((iv.hi < band_lo) | (iv.lo > band_hi))

    found, where_at = _failing(td, pos, decl.code, implausible)
    unit = _unit(decl, None, None)
    problems: list[Problem] = []
    iv = Interval.of(td, conv, pos[where_at])  # the failing rows' figures, for the messages
    year, known_year = year_at(pos[where_at])
    for j, line in enumerate(found):
        y = int(year[j]) if known_year[j] else None
        lo, hi, note = bands.get(y, fallback) if y is not None else fallback
        where = f"for {y}" if y is not None else "(no year)"
        hint = (
            f"name the rate it was converted at in {conv.rate_id}, or {decl.message}"
            if has_rate
            else decl.message
        )
        problems.append(
            problem(
                decl.code,
                f"{conv.converted} {cell_text(td, line, conv.converted)} with {conv.base} "
                f"{cell_text(td, line, conv.base)} implies {fmt_num(na_float(iv.implied[j]), 4)} {unit}, "
                f"outside the plausible band {fmt_num(lo, 2)}–{fmt_num(hi, 2)} {where} "
                f"({note}); {hint}",
                td,
                line,
                conv.converted,
                severity=decl.severity,
            )
        )
    return problems


@implements("plausible-for-year")
def plausible_for_year(ctx: Context, decl: Declaration) -> list[Problem]:
    """A figure converted at an unnamed rate must imply a plausible rate for its year:
    the interval of rates the printed figures allow (see :class:`Interval`) must meet the
    band of the row's year (:meth:`Bands.band`)."""
    conv = Conversion.of(decl)
    td = ctx.table(decl.get("table"), conv.base, conv.converted)
    if td is None:
        return []
    has_rate = conv.rate_id is not None and conv.rate_id in td.typed.columns
    has_year = conv.year is not None and conv.year in td.typed.columns
    return _implausible(decl, td, conv, has_rate, has_year)


@implements("quotient")
def quotient(ctx: Context, decl: Declaration) -> list[Problem]:
    """A figure must equal the quotient of two others, to its printed digits:
    |x - c / u| <= h, half a unit in the last printed digit of x (the two others are
    taken as exact)."""
    problems: list[Problem] = []
    x, c, u = decl.get("field"), decl.get("numerator"), decl.get("denominator")
    td = ctx.table(decl.get("table"), x, c, u)
    if td is not None:
        frame = line_frame(td, [x, c, u], decimals=[x], complete=[x, c, u])
        frame["_ratio"] = frame[c].astype("Float64") / frame[u].astype("Float64")
        frame["_hx"] = half_unit(frame[f"{x}__dec"])

        def matches(d: pd.DataFrame, x: str = x) -> pd.Series:
            diff = (d[x] - d["_ratio"]).abs()
            ok = diff <= d["_hx"] + d[x].abs() * _FLOAT_TOL
            return passes(ok)

        bad = failing_lines(frame, {decl.code: matches})[decl.code]
        for line, r in records(frame, bad):
            dx = r.integer(f"{x}__dec")
            problems.append(
                problem(
                    decl.code,
                    f"{x} {cell_text(td, line, x)} but {c} {cell_text(td, line, c)} / {u} {cell_text(td, line, u)} "
                    f"= {fmt_num(r.number('_ratio'), dx + 2)}, which printed to {precision(dx)} is "
                    f"{fmt_num(r.number('_ratio'), dx)}"
                    + (f"; {decl.message}" if decl.message else ""),
                    td,
                    line,
                    x,
                    severity=decl.severity,
                )
            )
    return problems
