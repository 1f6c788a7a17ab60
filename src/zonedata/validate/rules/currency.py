"""Currency rules: USD figures against their CNY figures and reference rates."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from zonedata.model.descriptor import Table
from zonedata.validate.problems import Problem
from zonedata.validate.rules._base import (
    Context,
    cell_text,
    failing_lines,
    fmt_num,
    half_unit,
    known,
    line_frame,
    lookup,
    passes,
    problem,
    records,
    rule,
)

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


def _implied_interval(frame: pd.DataFrame, cny: str, usd: str) -> pd.DataFrame:
    """Add the rate implied by the printed figures and the interval their rounding allows.

    A figure printed with d decimals stands for any value within h = 0.5 x 10^-d of it, so
    the rate lies in [(cny - h_cny) / (usd + h_usd), (cny + h_cny) / (usd - h_usd)].
    """
    c = frame[cny].astype("Float64")
    u = frame[usd].astype("Float64")
    hc = half_unit(frame[f"{cny}__dec"])
    hu = half_unit(frame[f"{usd}__dec"])
    frame["_implied"] = c / u
    frame["_lo"] = (c - hc) / (u + hu)
    denom = u - hu
    frame["_hi"] = ((c + hc) / denom).where(known(denom > 0), np.inf)
    return frame


def _fmt_bound(x: float, decimals: int) -> str:
    return fmt_num(x, decimals) if math.isfinite(x) else "no upper limit"


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
            if conv.rate_id is None or conv.rate_table is None or conv.rate_key is None:
                continue
            if ctx.table(td.name, conv.cny, conv.usd, conv.rate_id) is None:
                continue
            rates_td = ctx.data.get(conv.rate_table)
            rate_value = _rate_field(rates_td.table, UNIT_CNY_PER_USD) if rates_td else None
            if rates_td is None or rate_value is None:
                continue
            if ctx.table(rates_td.name, conv.rate_key, rate_value) is None:
                continue
            cols = [conv.cny, conv.usd, conv.rate_id]
            frame = line_frame(td, cols, decimals=[conv.cny, conv.usd], complete=cols)
            rates = pd.DataFrame(
                {
                    "_rate_id": rates_td.typed[conv.rate_key],
                    "_rate": rates_td.typed[rate_value].astype("Float64"),
                    "_rate_text": rates_td.text[rate_value],
                    "_rate_dec": rates_td.decimals(rate_value),
                    "_rate_line": rates_td.typed.index.astype("int64"),
                }
            ).dropna(subset=["_rate_id", "_rate"])
            rates = rates.drop_duplicates("_rate_id")
            at = lookup(frame[conv.rate_id], rates["_rate_id"])
            frame = frame[at >= 0]
            at = at[at >= 0]
            for c in rates.columns:
                frame[c] = rates[c].array.take(at)
            frame = _implied_interval(frame, conv.cny, conv.usd)
            frame["_hr"] = half_unit(frame["_rate_dec"])

            def agrees(d: pd.DataFrame) -> pd.Series:
                tol = d["_rate"].abs() * _FLOAT_TOL
                ok = (d["_rate"] >= d["_lo"] - d["_hr"] - tol) & (
                    d["_rate"] <= d["_hi"] + d["_hr"] + tol
                )
                return passes(ok)

            bad = failing_lines(frame, {"usd-cny-mismatch": agrees})["usd-cny-mismatch"]
            for line, r in records(frame, bad):
                dr = max(int(r["_rate_dec"]), 4)
                du = int(r[f"{conv.usd}__dec"])
                expected = float(r[conv.cny]) / float(r["_rate"])
                problems.append(
                    problem(
                        "usd-cny-mismatch",
                        f"{conv.usd} {cell_text(td, line, conv.usd)} with {conv.cny} "
                        f"{cell_text(td, line, conv.cny)} implies {fmt_num(r['_implied'], dr)} CNY/USD "
                        f"({_fmt_bound(r['_lo'], dr)}–{_fmt_bound(r['_hi'], dr)} given the "
                        f"printed digits), but rate {r['_rate_id']} "
                        f"({rates_td.display_path} line {int(r['_rate_line'])}) is "
                        f"{r['_rate_text']}, at which {conv.usd} would be "
                        f"{fmt_num(expected, du)}; check both figures and the rate",
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
    bands = {
        y: plausible_band(y)
        for y in range(min(USD_CNY_ANNUAL_RANGE), max(USD_CNY_ANNUAL_RANGE) + 1)
    }
    fallback = plausible_band(None)
    for td in ctx.data.values():
        for conv in conversions(td.table, tables):
            if ctx.table(td.name, conv.cny, conv.usd) is None:
                continue
            cols = [conv.cny, conv.usd]
            has_rate = conv.rate_id is not None and conv.rate_id in td.typed.columns
            has_year = conv.year is not None and conv.year in td.typed.columns
            cols += [c for c, ok in ((conv.rate_id, has_rate), (conv.year, has_year)) if ok and c]
            frame = line_frame(
                td,
                cols,
                decimals=[conv.cny, conv.usd],
                complete=[conv.cny, conv.usd],
            )
            if has_rate and conv.rate_id:
                frame = frame[frame[conv.rate_id].isna().to_numpy(dtype=bool)]
            year = (
                frame[conv.year].astype("Int64")
                if has_year and conv.year
                else pd.Series(pd.NA, index=frame.index, dtype="Int64")
            )
            frame["_year"] = year
            frame["_band_lo"] = year.map({y: b[0] for y, b in bands.items()}).astype("Float64")
            frame["_band_hi"] = year.map({y: b[1] for y, b in bands.items()}).astype("Float64")
            frame["_band_lo"] = frame["_band_lo"].fillna(fallback[0])
            frame["_band_hi"] = frame["_band_hi"].fillna(fallback[1])
            frame = _implied_interval(frame, conv.cny, conv.usd)

            def plausible(d: pd.DataFrame) -> pd.Series:
                ok = (d["_hi"] >= d["_band_lo"]) & (d["_lo"] <= d["_band_hi"])
                return passes(ok)

            bad = failing_lines(frame, {"usd-cny-implausible": plausible})["usd-cny-implausible"]
            for line, r in records(frame, bad):
                y = None if pd.isna(r["_year"]) else int(r["_year"])
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
                        f"{cell_text(td, line, conv.cny)} implies {fmt_num(r['_implied'], 4)} CNY/USD, "
                        f"outside the plausible band {fmt_num(lo, 2)}–{fmt_num(hi, 2)} {where} "
                        f"({note}); {hint}",
                        td,
                        line,
                        conv.usd,
                    )
                )
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
            dx = int(r[f"{x}__dec"])
            problems.append(
                problem(
                    "ecb-cross-rate-mismatch",
                    f"{x} {cell_text(td, line, x)} but {c} {cell_text(td, line, c)} / {u} {cell_text(td, line, u)} "
                    f"= {fmt_num(r['_ratio'], dx + 2)}, which printed to {dx} decimals is "
                    f"{fmt_num(r['_ratio'], dx)}",
                    td,
                    line,
                    x,
                )
            )
    return problems
