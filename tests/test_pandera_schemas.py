"""The Pandera schemas users import are the contract ``zonedata validate`` enforces.

For every rule code, one broken copy of the package: the command line's report for the
broken table, as (code, line) pairs, equals the failure cases of ``schema(name)`` run on
the table as ``load`` reads it (row i = line i + 2), with the other tables as references.
"""

from __future__ import annotations

import csv
import io
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pandera.errors
import pytest

from tests.conftest import DESCRIPTOR, REPO
from zonedata.descriptor.arrow import read_csv_typed
from zonedata.descriptor.package import read_package
from zonedata.loading.frames import to_pandas
from zonedata.pandera_schemas import rule_codes, schema
from zonedata.validate.engine import validate_package

Rows = list[list[str]]
Edit = Callable[[Rows], Rows]


def cell(match: dict[str, str], column: str, value: str) -> Edit:
    """Set ``column`` of the one row whose cells equal ``match``."""

    def edit(rows: Rows) -> Rows:
        header = rows[0]
        hits = [r for r in rows[1:] if all(r[header.index(k)] == v for k, v in match.items())]
        assert len(hits) == 1, (match, len(hits))
        hits[0][header.index(column)] = value
        return rows

    return edit


def drop(match: dict[str, str]) -> Edit:
    def edit(rows: Rows) -> Rows:
        header = rows[0]
        keep = [r for r in rows[1:] if not all(r[header.index(k)] == v for k, v in match.items())]
        assert len(keep) == len(rows) - 2, match
        return [header, *keep]

    return edit


def append(row: dict[str, str]) -> Edit:
    def edit(rows: Rows) -> Rows:
        return [*rows, [row.get(c, "") for c in rows[0]]]

    return edit


def swap_first_rows(rows: Rows) -> Rows:
    return [rows[0], rows[2], rows[1], *rows[3:]]


def duplicate_first_row(rows: Rows) -> Rows:
    return [rows[0], rows[1], rows[1], *rows[2:]]


BJ = {"city_id": "beijing", "year": "2018", "source_id": "chinadaily-2019-02-12"}

#: rule code -> (table, edit of its CSV rows)
CASES: dict[str, tuple[str, Edit]] = {
    "rows-unsorted": ("city_gdp", swap_first_rows),
    "date-invalid": (
        "zone_dates",
        cell({"zone_id": "miit-shanghai-pudong", "event": "launched"}, "date", "2019-13"),
    ),
    "required-missing": ("city_gdp", cell(BJ, "confidence", "")),
    "constraint-minimum": ("zones", cell({"zone_id": "miit-beijing"}, "batch", "0")),
    "constraint-maximum": ("zones", cell({"zone_id": "miit-beijing"}, "batch", "21")),
    "constraint-enum": ("city_gdp", cell(BJ, "confidence", "Z")),
    "constraint-pattern": ("sources", cell({"source_id": "ecb-eurofxref-hist"}, "url", "ftp://x")),
    "primary-key-duplicate": ("city_gdp", duplicate_first_row),
    "foreign-key-dangling": ("city_gdp", cell(BJ, "city_id", "atlantis")),
    "usd-cny-mismatch": (
        "city_gdp",
        cell({"city_id": "qingdao", "source_id": "equalocean-2019-10-19"}, "gdp_usd_bn", "171.17"),
    ),
    "usd-cny-implausible": ("city_gdp", cell(BJ, "gdp_usd_bn", "386")),
    "ecb-cross-rate-mismatch": (
        "exchange_rates",
        cell({"rate_id": "ecb-cross-2019-10-15"}, "usd_per_eur", "1.1017"),
    ),
    "growth-out-of-range": ("city_growth", cell(BJ, "growth_pct", "55")),
    "growth-unexpected": ("city_growth", cell(BJ, "growth_pct", "18")),
    "rank-contradicts-values": ("city_gdp_ranks", cell({"city_id": "jinan"}, "rank_max", "1")),
    "rank-interval": ("city_gdp_ranks", cell({"city_id": "jinan"}, "rank_min", "3")),
    "date-in-future": (
        "zone_dates",
        cell({"zone_id": "miit-shanghai-pudong", "event": "launched"}, "date", "2099-03"),
    ),
    "date-order": (
        "zone_dates",
        cell({"zone_id": "miit-jinan-qingdao", "event": "inaugurated"}, "date", "2019-10-13"),
    ),
    "batch-order": (
        "zone_dates",
        cell({"zone_id": "miit-beijing", "event": "announced"}, "date", "2019-09"),
    ),
    "zone-without-city": ("zone_cities", drop({"zone_id": "miit-changsha"})),
    "source-unused": (
        "sources",
        append({"source_id": "zz-unused", "title": "Unused", "language": "en"}),
    ),
    "preferred-count": (
        "city_gdp",
        cell({"city_id": "shenzhen", "source_id": "equalocean-2019-10-19"}, "preferred", "true"),
    ),
    "source-disagreement": ("city_growth", cell(BJ, "growth_pct", "6.9")),
    "formula-cell": ("city_gdp", cell(BJ, "note", "=1+1")),
}

#: codes a typed frame cannot break: ``load`` never returns a value of the wrong type, a
#: float field's NaN, or a value its Arrow type cannot hold; the dtype checks stand for them
NOT_IN_A_FRAME = {
    "type-error": "a cell that is not of its type cannot be in a typed column",
    "number-not-finite": "the package has no float field (figures are exact decimals)",
    "value-out-of-range": "a typed column holds only what its type can hold",
    "decimals-exceeded": "a decimal column holds exactly its scale's decimals",
    "constraint-length": "no field of the package has a length constraint",
    "constraint-unique": "no field of the package has a unique constraint",
    "primary-key-missing": "every primary key field of the package is required (an empty one "
    "is required-missing)",
}


def test_every_rule_code_has_a_case() -> None:
    assert sorted(CASES) + sorted(NOT_IN_A_FRAME) == sorted(CASES) + sorted(
        c for c in rule_codes() if c not in CASES
    )
    assert set(CASES) | set(NOT_IN_A_FRAME) == set(rule_codes())


def broken_copy(tmp_path: Path, table: str, edit: Edit) -> Path:
    pkg = tmp_path / "pkg"
    shutil.copytree(REPO / "data", pkg / "data")
    shutil.copytree(REPO / "derived", pkg / "derived")
    shutil.copytree(REPO / "site", pkg / "site")
    shutil.copytree(REPO / "docs" / "templates", pkg / "docs" / "templates")
    shutil.copy(DESCRIPTOR, pkg / "datapackage.json")
    path = pkg / read_package(pkg).table(table).path
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(edit(rows))
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    return pkg


def cli_route(pkg: Path, table: str) -> set[tuple[str, int | None]]:
    report = validate_package(pkg)
    return {(p.code, p.line) for p in report.problems if p.table == table}


def schema_route(pkg: Path, table: str) -> set[tuple[str, int | None]]:
    package = read_package(pkg)
    frames = {
        t.name: to_pandas(read_csv_typed(package.file(t), t, package)) for t in package.tables
    }
    s = schema(table, references=frames, package=package, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            s.validate(frames[table], lazy=True)
        except pandera.errors.SchemaErrors as e:
            fc = e.failure_cases
            return {(str(c), int(i) + 2) for c, i in zip(fc["check"], fc["index"], strict=True)}
    return set()


#: codes reported on another table than the one broken: the schema of that table sees the
#: broken one as a reference
REPORTED_ON = {"zone-without-city": "zones"}


@pytest.mark.parametrize("code", sorted(CASES))
def test_cli_and_schema_agree(tmp_path: Path, code: str) -> None:
    broken, edit = CASES[code]
    pkg = broken_copy(tmp_path, broken, edit)
    table = REPORTED_ON.get(code, broken)
    cli = cli_route(pkg, table)
    assert code in {c for c, _ in cli}, cli
    assert schema_route(pkg, table) == cli


def test_the_canonical_tables_pass_their_schemas() -> None:
    import zonedata

    for name in zonedata.tables():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the known source-disagreement warnings
            schema(name).validate(zonedata.load(name), lazy=True)


def test_a_frame_of_the_wrong_dtype_fails_the_dtype_check() -> None:
    import zonedata

    frame = zonedata.load("zones")
    frame["batch"] = frame["batch"].astype("string")
    with pytest.raises(pandera.errors.SchemaErrors) as e:
        schema("zones").validate(frame, lazy=True)
    assert "dtype" in set(e.value.failure_cases["check"].astype(str).str.slice(0, 5))
    assert isinstance(frame, pd.DataFrame)
