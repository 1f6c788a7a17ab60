"""Differential tests against frictionless.

On structural and schema breakages of zonedata's own package, every error frictionless
reports (row and field) is also reported by zonedata. On a corpus of small foreign
packages (tests/corpus.py: one per feature, valid and broken), both give the same
verdict and the same errors, frictionless' mapped to zonedata's codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Editor, replace_once
from tests.corpus import CASES as CORPUS
from zonedata.validate import validate_package

frictionless = pytest.importorskip("frictionless")

CASES: dict[str, tuple[str, Callable[[str], str]]] = {
    "ragged-row": (
        "data/cities.csv",
        replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥,anhui,x"),
    ),
    "short-row": ("data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥")),
    "renamed-header": ("data/cities.csv", replace_once("city_id,name_en,", "city_id,name,")),
    "non-numeric": (
        "data/city_gdp.csv",
        replace_once(
            "wuhan,2018,chinadaily-2019-02-12,1480", "wuhan,2018,chinadaily-2019-02-12,abc"
        ),
    ),
    "bad-integer": ("data/city_gdp.csv", replace_once("tianjin,2018,", "tianjin,20x8,")),
    "bad-boolean": ("data/city_gdp.csv", replace_once("1880,,,false,true", "1880,,,no,true")),
    "blank-required": (
        "data/cities.csv",
        replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,,anhui"),
    ),
    "duplicate-pk": (
        "data/cities.csv",
        replace_once(
            "hefei,Hefei,合肥,anhui,340100\n",
            "hefei,Hefei,合肥,anhui,340100\nhefei,Hefei,合肥,anhui,340100\n",
        ),
    ),
    "dangling-fk": (
        "data/cities.csv",
        replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥,anwei"),
    ),
    "enum": ("data/zone_dates.csv", replace_once("most-deqing,approved,", "most-deqing,approve,")),
    "pattern": ("data/cities.csv", replace_once("hefei,Hefei", "He fei,Hefei")),
    "minimum": (
        "data/zone_counts.csv",
        replace_once("cabos-2021-02-20,8,", "cabos-2021-02-20,-8,"),
    ),
    "maximum": (
        "data/city_gdp_ranks.csv",
        replace_once(
            "jinan,shandong,2018,equalocean-2019-10-19,1,2",
            "jinan,shandong,2018,equalocean-2019-10-19,1,2000",
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_zonedata_reports_everything_frictionless_reports(
    case: str, edit: Editor, package_copy: Path
) -> None:
    rel, fn = CASES[case]
    edit(rel, fn)
    theirs = frictionless.validate(str(package_copy / "datapackage.json"))
    their_errors = [
        (
            task.name,
            e.get("rowNumber") if hasattr(e, "get") else getattr(e, "row_number", None),
            getattr(e, "field_name", None),
            e.type,
        )
        for task in theirs.tasks
        for e in task.errors
    ]
    assert their_errors, f"frictionless found nothing for {case}"
    ours = validate_package(package_copy, semantic=False)
    assert ours.errors, f"zonedata found nothing for {case}"
    by_table_line = {(p.table, p.line) for p in ours.errors}
    by_table_line_field = {(p.table, p.line, p.field) for p in ours.errors}
    tables = {p.table for p in ours.errors}
    for table, row, field, kind in their_errors:
        if row is None:
            assert table in tables, f"{kind} in {table}: not reported by zonedata"
        elif field is None:
            assert (table, row) in by_table_line, (
                f"{kind} at {table} row {row}: not reported by zonedata"
            )
        else:
            assert (table, row, field) in by_table_line_field or (table, row) in by_table_line, (
                f"{kind} at {table} row {row} field {field}: not reported by zonedata"
            )


# --- any data package: a corpus of small packages, one per feature (tests/corpus.py) --------

#: Cases where zonedata's verdict or errors differ from frictionless' on purpose, and why.
DIVERGENT: dict[str, str] = {
    # frictionless takes a file of an unknown format for a plain file and checks nothing;
    # a resource with a schema is a table, and a table that cannot be read is an error
    "unknown-format-broken": "verdict",
    # an XLSX declared as CSV: frictionless fails to decode it (encoding-error); zonedata
    # recognises the zip archive (unsupported-format). Both find it invalid.
    "binary-as-csv-broken": "code",
    # frictionless stops at the byte count; zonedata checks the hash too
    "bytes-hash-broken": "more",
}


def _theirs(report: object) -> set[tuple[str, str, int | None, str | None]]:
    from zonedata.validate.foreign import code_for

    return {
        (
            task.name,
            code_for(e.type, getattr(e, "note", "") or ""),
            getattr(e, "row_number", None),
            getattr(e, "field_name", None),
        )
        for task in report.tasks  # type: ignore[attr-defined]
        for e in task.errors
    }


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_agrees_with_frictionless(name: str, tmp_path: Path) -> None:
    """Same verdict, and the same errors: code (mapped), table, row or line, field."""
    descriptor = CORPUS[name](tmp_path / name)
    theirs = frictionless.validate(str(descriptor))
    ours = validate_package(descriptor, semantic=False)
    assert name.endswith("-valid") == (not ours.errors), [p.message for p in ours.errors]
    how = DIVERGENT.get(name)
    if how == "verdict":
        assert theirs.valid and ours.errors
        return
    assert theirs.valid == (not ours.errors)
    if how == "code":
        return
    their_errors = _theirs(theirs)
    our_errors = {(p.table, p.code, p.row or p.line, p.field) for p in ours.errors}
    for table, code, row, field in their_errors:  # every error of theirs is ours
        assert any(
            (t, c, r) == (table, code, row) and (field is None or f == field)
            for t, c, r, f in our_errors
        ), f"{code} at {table} row {row} field {field}: not reported by zonedata"
    if how == "more":
        return
    for table, code, row, _ in our_errors:  # and every error of ours is theirs
        assert any((t, c, r) == (table, code, row) for t, c, r, _ in their_errors), (
            f"{code} at {table} row {row}: not reported by frictionless"
        )
