"""CSV injection: text cells that a spreadsheet would run as a formula."""

from __future__ import annotations

import pandas as pd

from zonedata.validate.problems import Problem
from zonedata.validate.rules._base import (
    Context,
    cell_text,
    failing_cells,
    problem,
    rule,
    starts_with_any,
)

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@")


def _not_formula(s: pd.Series) -> pd.Series:
    return ~starts_with_any(s, "".join(FORMULA_START))


@rule("formula-cell")
def formula_cell(ctx: Context) -> list[Problem]:
    """No plain text cell may start with =, +, - or @.

    Spreadsheets (Excel, LibreOffice, Google Sheets) evaluate such a cell as a formula
    when the CSV is opened, which can run commands or leak data (CSV injection). The rule
    checks every field of kind ``string`` (partial dates excluded), on the text as the
    file gives it.
    """
    problems: list[Problem] = []
    for td in ctx.data.values():
        fields = [f.name for f in td.table.fields if f.kind == "string" and f.name in td.text]
        if not fields:
            continue
        failures = failing_cells(
            td.text[fields], {f: {"formula-cell": _not_formula} for f in fields}
        )
        for field, lines in failures.get("formula-cell", []):
            for line in lines:
                text = cell_text(td, line, field) or ""
                problems.append(
                    problem(
                        "formula-cell",
                        f"{field} starts with {text[:1]!r}: a spreadsheet opening the CSV would "
                        "run it as a formula (CSV injection); reword it so that it starts with "
                        "another character",
                        td,
                        line,
                        field,
                    )
                )
    return problems
