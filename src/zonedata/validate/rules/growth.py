"""Growth rates: hard and expected ranges."""

from __future__ import annotations

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.rules._base import (
    Context,
    cell_text,
    failing_cells,
    passes,
    problem,
    rule,
    source_fields,
)

#: Unit of the fields this rule checks (with "growth" in their name).
UNIT_PERCENT = "percent"
#: Outside this range (percent, inclusive bounds) a growth rate is an error.
GROWTH_HARD_RANGE = (-20.0, 30.0)
#: Outside this range (percent, inclusive bounds) a growth rate is a warning.
GROWTH_EXPECTED_RANGE = (0.0, 15.0)


def _within(s: pd.Series, bounds: tuple[float, float]) -> pd.Series:
    return s.astype("Float64").between(*bounds)


def _hard(s: pd.Series) -> pd.Series:
    return passes(_within(s, GROWTH_HARD_RANGE))


def _expected(s: pd.Series) -> pd.Series:
    # A value outside the hard range is already an error: do not warn about it too.
    ok = _within(s, GROWTH_EXPECTED_RANGE) | ~_within(s, GROWTH_HARD_RANGE)
    return passes(ok)


@rule("growth-range", "growth-out-of-range", "growth-unexpected")
def growth_range(ctx: Context) -> list[Problem]:
    """Growth rates (``percent`` number fields named ``*growth*``) must be plausible.

    Outside -20 to +30 percent (inclusive) is an error (``growth-out-of-range``): almost
    certainly a typo, or a rate typed as a fraction or with a misplaced decimal point.
    Outside 0 to 15 percent but within the hard range is a warning (``growth-unexpected``):
    possible, but unusual for Chinese cities in the years covered.
    """
    problems: list[Problem] = []
    for td in ctx.data.values():
        fields = [
            f.name
            for f in td.table.fields
            if f.kind == "number" and f.unit == UNIT_PERCENT and "growth" in f.name
        ]
        fields = [f for f in fields if f in td.typed.columns and f in td.text.columns]
        if not fields:
            continue
        checks = {f: {"growth-out-of-range": _hard, "growth-unexpected": _expected} for f in fields}
        failures = failing_cells(td.typed[fields], checks)
        src = next((s for s in source_fields(td.table) if s in td.text.columns), None)
        for code, (lo, hi), what in (
            (
                "growth-out-of-range",
                GROWTH_HARD_RANGE,
                "the hard range for GDP growth: a "
                "typo, or a rate typed as a fraction or with a misplaced decimal point?",
            ),
            (
                "growth-unexpected",
                GROWTH_EXPECTED_RANGE,
                "the range expected for the years covered; check it against the source",
            ),
        ):
            for field, lines in failures.get(code, []):
                for line in lines:
                    source = f" (source {cell_text(td, line, src)})" if src else ""
                    problems.append(
                        problem(
                            code,
                            f"{field} {cell_text(td, line, field)}{source} is outside "
                            f"{lo:g} to {hi:g} percent, {what}",
                            td,
                            line,
                            field,
                        )
                    )
    return problems
