"""CSV injection: text cells that a spreadsheet would run as a formula."""

from __future__ import annotations

import string

import pandas as pd

from zonedata.problems import Problem
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
#: First characters that OWASP's CSV injection guidance also escapes: a tab or a carriage
#: return, which some spreadsheets skip before looking for a formula.
CONTROL_START = ("\t", "\r")
#: First characters that make a cell plainly safe: printable ASCII other than the above
#: and the space. Only the other cells (leading whitespace, control or non-ASCII
#: characters) are looked at further.
_PLAIN_START = "".join(
    c for c in string.ascii_letters + string.digits + string.punctuation if c not in FORMULA_START
)


def _not_formula(s: pd.Series) -> pd.Series:
    bad = starts_with_any(s, "".join(FORMULA_START + CONTROL_START))
    other = ~starts_with_any(s, _PLAIN_START) & s.notna().to_numpy(dtype=bool) & ~bad
    if other.any():  # leading (Unicode) whitespace, then a formula character
        stripped = s[other].astype("string").str.lstrip()
        bad[other] = starts_with_any(stripped, "".join(FORMULA_START)).to_numpy()
    return ~bad


def _shown_start(text: str) -> str:
    """The cell's start up to its first character that is not whitespace."""
    rest = text.lstrip()
    return text[: len(text) - len(rest) + 1] if rest else text[:1]


@rule("formula-cell")
def formula_cell(ctx: Context) -> list[Problem]:
    """No plain text cell may start with =, +, - or @, or with a tab or CR, or with
    whitespace followed by one of =, +, - or @.

    Spreadsheets (Excel, LibreOffice, Google Sheets) evaluate such a cell as a formula
    when the CSV is opened, which can run commands or leak data (CSV injection). The rule
    checks every field of kind ``string`` (partial dates excluded), on the text as the
    file gives it. A leading tab or carriage return is refused as OWASP's CSV injection
    guidance advises (some spreadsheets skip it and run what follows), and so is other
    leading whitespace (spaces, no-break or ideographic spaces) before a formula character.
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
                shown = _shown_start(text)
                if shown[-1:] in FORMULA_START:
                    why = "a spreadsheet opening the CSV would run it as a formula"
                else:
                    why = (
                        "a leading tab or carriage return is treated as the start of a "
                        "formula by OWASP's guidance, as some spreadsheets skip it"
                    )
                problems.append(
                    problem(
                        "formula-cell",
                        f"{field} starts with {shown!r}: {why} (CSV injection); reword it so "
                        "that it starts with another character",
                        td,
                        line,
                        field,
                    )
                )
    return problems
