"""Test fixtures: read the package's CSV files into :class:`TableData` without the CLI.

This is a small stand-in for the schema layer's reader: it produces the same shape
(``text`` and ``typed`` frames indexed by the 1-based physical line, header = line 1)
so the semantic rules can be tested on real and deliberately broken data. It assumes no
cell spans several lines (true of the package's files).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from zonedata.descriptor.package import Field, Package, Table, read_package
from zonedata.validate.engine import Report, validate_package
from zonedata.validate.tabledata import TableData

REPO = Path(__file__).resolve().parent.parent


def type_column(field: Field, text: pd.Series) -> pd.Series:
    """Parse one column of text cells into the field's typed dtype (unparsable -> <NA>)."""
    kind = field.kind
    if kind in ("integer", "year"):
        num = pd.to_numeric(text, errors="coerce")
        whole = text.str.fullmatch(r"[+-]?\d+").fillna(False).astype(bool)
        return num.where(whole).astype("Float64").astype("Int64")
    if kind == "number":
        num = pd.to_numeric(text, errors="coerce")
        return num.astype("Float64")
    if kind == "boolean":
        out = pd.Series(pd.NA, index=text.index, dtype="boolean")
        out[text.isin(field.true_values).fillna(False).astype(bool)] = True
        out[text.isin(field.false_values).fillna(False).astype(bool)] = False
        return out
    if kind == "date":
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        return parsed.astype("datetime64[s]")
    if kind == "partial-date":
        ok = text.str.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
        return text.where(ok.fillna(False).astype(bool)).astype("string")
    return text.astype("string")


def frame_to_tabledata(table: Table, text: pd.DataFrame, path: Path) -> TableData:
    """Build a TableData from a frame of text cells (missing cells as <NA>)."""
    text = text.astype("string")
    text.index = pd.RangeIndex(2, len(text) + 2, name="line")
    typed = pd.DataFrame(
        {f.name: type_column(f, text[f.name]) for f in table.fields if f.name in text.columns},
        index=text.index,
    )
    return TableData(table=table, path=path, display_path=table.path, text=text, typed=typed)


def read_tabledata(table: Table, base: Path) -> TableData:
    """Read one table's CSV as strings, "" -> <NA>, indexed by line = position + 2."""
    path = base / table.path
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    text = raw.astype("string").replace("", pd.NA)
    return frame_to_tabledata(table, text, path)


def load_package(base: Path = REPO) -> tuple[Package, dict[str, TableData]]:
    """Read every table of the package at ``base`` into TableData."""
    pkg = read_package(base)
    return pkg, {t.name: read_tabledata(t, base) for t in pkg.tables}


def copy_package(dest: Path) -> Path:
    """Copy the canonical package (descriptor and data) to ``dest`` for breaking."""
    shutil.copy(REPO / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copytree(REPO / "derived", dest / "derived")
    shutil.copytree(REPO / "site", dest / "site")
    shutil.copytree(REPO / "docs" / "templates", dest / "docs" / "templates")
    return dest


def with_cells(
    data: dict[str, TableData], table: str, changes: dict[tuple[int, str], str | None]
) -> dict[str, TableData]:
    """A copy of ``data`` where ``table``'s cells at (line, field) hold new text (None = empty)."""
    td = data[table]
    text = td.text.copy()
    for (line, field), value in changes.items():
        assert line in text.index, f"{table} has no line {line}"
        text.loc[line, field] = pd.NA if value is None else value
    out = dict(data)
    out[table] = frame_to_tabledata(td.table, text, td.path)
    return out


def with_rows(
    data: dict[str, TableData], table: str, rows: list[dict[str, str]]
) -> dict[str, TableData]:
    """A copy of ``data`` with ``rows`` appended to ``table`` (missing cells empty)."""
    td = data[table]
    extra = pd.DataFrame(rows, columns=td.text.columns, dtype="string")
    text = pd.concat([td.text, extra], ignore_index=True)
    out = dict(data)
    out[table] = frame_to_tabledata(td.table, text, td.path)
    return out


def without_rows(data: dict[str, TableData], table: str, lines: list[int]) -> dict[str, TableData]:
    """A copy of ``data`` with the rows at ``lines`` deleted (later rows move up)."""
    td = data[table]
    out = dict(data)
    out[table] = frame_to_tabledata(td.table, td.text.drop(index=lines), td.path)
    return out


def line_of(td: TableData, **match: str) -> int:
    """The line of the only row whose text cells equal ``match``."""
    mask = pd.Series(True, index=td.text.index)
    for field, value in match.items():
        mask &= (td.text[field] == value).fillna(False).astype(bool)
    lines = list(td.text.index[mask])
    assert len(lines) == 1, f"{td.name}: {match} matches lines {lines}"
    return int(lines[0])


def unchecked(path: Path) -> Report:
    """Validation's reading of the package with its problems dropped: builds a release of a
    package that breaks the rules, to test what verify and diff see in it."""
    report = validate_package(path, semantic=False)
    report.problems = []
    return report
