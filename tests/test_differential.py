"""Differential test: on structural and schema breakages, every error frictionless
reports (row and field) is also reported by zonedata."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Editor, replace_once
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
            "hefei,Hefei,合肥,anhui\n", "hefei,Hefei,合肥,anhui\nhefei,Hefei,合肥,anhui\n"
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
