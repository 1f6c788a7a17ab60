"""Value ranges: an error band and a narrower warning band (``range``)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.declarations import Declaration
from zonedata.validate.rules._base import (
    Context,
    cell_text,
    failing_cells,
    implements,
    passes,
    problem,
)
from zonedata.validate.tabledata import TableData

Bounds = tuple[float, float]


def _within(s: pd.Series, bounds: Bounds) -> pd.Series:
    return s.astype("Float64").between(*bounds)


def _hard(bounds: Bounds) -> Callable[[pd.Series], pd.Series]:
    def check(s: pd.Series) -> pd.Series:
        return passes(_within(s, bounds))

    return check


def _expected(bounds: Bounds, hard: Bounds) -> Callable[[pd.Series], pd.Series]:
    def check(s: pd.Series) -> pd.Series:
        # A value outside the hard range is already an error: do not warn about it too.
        return passes(_within(s, bounds) | ~_within(s, hard))

    return check


def _unit(decl: Declaration, td: TableData, field: str) -> str:
    unit = decl.get("unit")
    if unit is None:
        unit = td.table.field(field).unit
    return f" {unit}" if unit else ""


def _context(decl: Declaration, td: TableData, line: int) -> str:
    field = decl.get("context")
    if field is None or field not in td.text.columns:
        return ""
    return f" ({decl.get('context_label', field)} {cell_text(td, line, field)})"


@implements("range")
def value_range(ctx: Context, decl: Declaration) -> list[Problem]:
    """Values must lie within [min, max] (the declared code) and, if a ``warning`` band
    is declared, within it too (the band's code; values outside [min, max] are not
    warned about as well)."""
    td = ctx.data.get(decl.get("table"))
    if td is None:
        return []
    named = dict.fromkeys(decl.get("fields"))  # (each once, in order)
    fields = [f for f in named if f in td.typed.columns and f in td.text.columns]
    if not fields:
        return []
    hard: Bounds = (float(decl.get("min")), float(decl.get("max")))
    bands = [(decl.code, decl.severity, decl.message, hard)]
    checks = {decl.code: _hard(hard)}
    warning = decl.output("warning")
    if warning is not None:
        band = decl.get("warning")
        soft: Bounds = (float(band["min"]), float(band["max"]))
        bands.append((*warning, soft))
        checks[warning[0]] = _expected(soft, hard)
    failures = failing_cells(td.typed[fields], {f: dict(checks) for f in fields})
    problems: list[Problem] = []
    for code, severity, what, (lo, hi) in bands:
        for field, lines in failures.get(code, []):
            unit = _unit(decl, td, field)
            for line in lines:
                problems.append(
                    problem(
                        code,
                        f"{field} {cell_text(td, line, field)}{_context(decl, td, line)} is "
                        f"outside {lo:g} to {hi:g}{unit}" + (f", {what}" if what else ""),
                        td,
                        line,
                        field,
                        severity=severity,
                    )
                )
    return problems
