"""CSV injection: text cells and field names a spreadsheet would run as a formula
(``no-formula``)."""

from __future__ import annotations

import string

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.declarations import Declaration
from zonedata.validate.rules._base import (
    Context,
    cell_text,
    failing_cells,
    implements,
    problem,
    starts_with_any,
    tables_of,
)
from zonedata.validate.tabledata import TableData

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


def _explain(shown: str) -> str:
    if shown[-1:] in FORMULA_START:
        return "a spreadsheet opening the CSV would run it as a formula"
    return (
        "a leading tab or carriage return is treated as the start of a formula by OWASP's "
        "guidance, as some spreadsheets skip it"
    )


def _text_fields(td: TableData) -> list[str]:
    """The text-like fields of ``td`` (strings other than partial dates, and ``any``)."""
    return [f.name for f in td.table.fields if f.kind in ("string", "any") and f.name in td.text]


def _formula_names(decl: Declaration, td: TableData) -> list[Problem]:
    """The fields whose names a spreadsheet would run as formulas (on the header, line 1)."""
    names = pd.Series(td.table.field_names, dtype="string")
    bad = ~_not_formula(names) if len(names) else names.astype(bool)
    return [
        _problem(decl, td, 1, name, name, "the field name")
        for name, is_bad in zip(td.table.field_names, bad, strict=True)
        if is_bad
    ]


def _problem(
    decl: Declaration, td: TableData, line: int, field: str, text: str, what: str
) -> Problem:
    shown = _shown_start(text)
    advice = f"; {decl.message}" if decl.message else ""
    return problem(
        decl.code,
        f"{what} starts with {shown!r}: {_explain(shown)} (CSV injection){advice}",
        td,
        line,
        field,
        value=text,
        severity=decl.severity,
    )


@implements("no-formula")
def no_formula(ctx: Context, decl: Declaration) -> list[Problem]:
    """No text cell may start with =, +, - or @, or with a tab or CR, or with whitespace
    followed by one of =, +, - or @; nor may a field's name.

    Spreadsheets (Excel, LibreOffice, Google Sheets) evaluate such a cell as a formula
    when the CSV is opened, which can run commands or leak data (CSV injection). The rule
    checks every field of kind ``string`` (partial dates excluded) or ``any``, on the text
    as the file gives it, and every field name. A leading tab or carriage return is
    refused as OWASP's CSV injection guidance advises (some spreadsheets skip it and run
    what follows), and so is other leading whitespace (spaces, no-break or ideographic
    spaces) before a formula character.
    """
    problems: list[Problem] = []
    for td in tables_of(ctx, decl):
        problems.extend(_formula_names(decl, td))
        fields = _text_fields(td)
        if not fields:
            continue
        failures = failing_cells(td.text[fields], {f: {decl.code: _not_formula} for f in fields})
        for field, lines in failures.get(decl.code, []):
            for line in lines:
                text = cell_text(td, line, field) or ""
                problems.append(_problem(decl, td, line, field, text, field))
    return problems
