"""One reading of the data: what ``validate`` accepts, ``release`` publishes and ``load`` returns.

A value the release type cannot hold is a located schema error; a package that validates
always releases, and the release holds the values validation read.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.conftest import DESCRIPTOR, REPO
from tests.hostile import run_python
from zonedata.descriptor.arrow import cast_column, read_csv_typed
from zonedata.descriptor.package import Field, read_package
from zonedata.release.build import build_release
from zonedata.validate.engine import validate_package


def report_of(path: Path) -> list[tuple[object, ...]]:
    report = validate_package(path)
    return [(p.code, p.table, p.line, p.field, p.column) for p in report.problems]


#: the canonical package's own report: warnings only (sources that disagree, kept by design)
WARNINGS = report_of(DESCRIPTOR)


def with_problem(problem: tuple[object, ...]) -> list[tuple[object, ...]]:
    """The canonical report with ``problem`` where the report orders it (by file, line)."""
    key = (problem[1], problem[2])
    before = [w for w in WARNINGS if (w[1], w[2]) < key]  # type: ignore[operator]
    return [*before, problem, *WARNINGS[len(before) :]]


def with_cell(package: Path, rel: str, line: int, column: str, value: str) -> None:
    """Set one cell (the file has no quoted cells on that line)."""
    p = package / rel
    lines = p.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    p.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("NaN", "number-not-finite"),
        ("nan", "number-not-finite"),
        ("inf", "number-not-finite"),
        ("-inf", "number-not-finite"),
        ("1e309", "value-out-of-range"),
        ("1e20", "value-out-of-range"),
        ("1000000000000000", "value-out-of-range"),
    ],
)
def test_a_figure_its_release_type_cannot_hold_is_a_located_error(
    package_copy: Path, value: str, code: str
) -> None:
    with_cell(package_copy, "data/city_gdp.csv", 2, "gdp_cny_bn", value)
    assert report_of(package_copy) == with_problem((code, "city_gdp", 2, "gdp_cny_bn", 36))


@pytest.mark.parametrize("value", ["0.000015", "1.5e-5", "15e-6", "0.0015e-2"])
def test_one_figure_in_any_notation_has_the_same_decimals(package_copy: Path, value: str) -> None:
    """Printed decimals are the digits after the point less the exponent (numbers.py):
    every spelling of 0.000015 has 6, more than the field keeps (3) and than its release
    type holds."""
    with_cell(package_copy, "data/city_gdp.csv", 2, "gdp_cny_bn", value)
    at = ("city_gdp", 2, "gdp_cny_bn", 36)
    expected = with_problem(("decimals-exceeded", *at))
    expected.insert(expected.index(("decimals-exceeded", *at)) + 1, ("value-out-of-range", *at))
    assert report_of(package_copy) == expected


def test_the_largest_figure_the_type_holds_is_valid(package_copy: Path) -> None:
    with_cell(package_copy, "data/city_gdp.csv", 2, "gdp_cny_bn", "999999999999999.999")
    # the figure itself is accepted; only the rules that compare it with others speak
    assert ("value-out-of-range", "city_gdp", 2, "gdp_cny_bn", 36) not in report_of(package_copy)


def test_an_integer_beyond_int64_is_a_located_error(package_copy: Path) -> None:
    with_cell(package_copy, "data/city_gdp.csv", 2, "year", "99999999999999999999")
    assert report_of(package_copy) == with_problem(("value-out-of-range", "city_gdp", 2, "year", 9))


KINDS = {
    "name": "kinds",
    "version": "1.0.0",
    "resources": [
        {
            "name": "kinds",
            "path": "kinds.csv",
            "schema": {
                "fields": [
                    {"name": "id", "type": "string", "constraints": {"required": True}},
                    {"name": "d", "type": "date"},
                    {"name": "f", "type": "number"},
                    {"name": "n", "type": "integer"},
                ],
                "primaryKey": ["id"],
            },
        }
    ],
}


def kinds_package(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "datapackage.json").write_text(json.dumps(KINDS), encoding="utf-8")
    (tmp_path / "kinds.csv").write_text("id,d,f,n\n" + "".join(r + "\n" for r in rows))
    return tmp_path


def test_dates_python_cannot_hold_and_non_finite_floats_are_errors(tmp_path: Path) -> None:
    pkg = kinds_package(
        tmp_path,
        ["a,0000-01-01,1.5,1", "b,2019-10-14,NaN,2", "c,0001-01-01,-INF,-9223372036854775809"],
    )
    assert report_of(pkg) == [
        ("value-out-of-range", "kinds", 2, "d", 3),
        ("number-not-finite", "kinds", 3, "f", 14),
        ("number-not-finite", "kinds", 4, "f", 14),
        ("value-out-of-range", "kinds", 4, "n", 19),
    ]


def test_the_release_holds_the_values_validation_read(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(REPO / "data", package / "data")
    shutil.copytree(REPO / "derived", package / "derived")
    shutil.copytree(REPO / "site", package / "site")
    shutil.copytree(REPO / "docs" / "templates", package / "docs" / "templates")
    shutil.copy(DESCRIPTOR, package / "datapackage.json")
    result = build_release(package, out=tmp_path / "dist")
    report = validate_package(package)
    pkg_model = read_package(package)
    for t in pkg_model.tables:
        released = pq.read_table(result.folder / f"{t.name}.parquet")
        loaded = read_csv_typed(pkg_model.file(t), t, pkg_model)
        validated = report.data[t.name].arrow
        assert validated is not None
        assert released.equals(loaded), t.name
        assert released.to_pylist() == validated.to_pylist(), t.name


def test_cast_column_flags_exactly_the_cells_it_cannot_hold() -> None:
    import pyarrow as pa

    f = Field(name="x", type="number", decimals=2)
    cast = cast_column(f, pa.array(["785.66", None, "NaN", "1e30", "0.125", "-0.50"]))
    assert cast.values.to_pylist() == [Decimal("785.66"), None, None, None, None, Decimal("-0.50")]
    assert cast.rejected["number-not-finite"].tolist() == [False, False, True, False, False, False]
    assert cast.rejected["value-out-of-range"].tolist() == [False, False, False, True, True, False]


def test_validate_release_and_load_agree_on_random_mutations() -> None:
    """Property test (hypothesis, derandomized): see tests/mutations.py. Runs in a child
    bounded in time and memory, as every hostile-input test does."""
    out = run_python(
        "import sys; from tests.mutations import main; main(40)",
        cwd=REPO,
        timeout=600,
        memory=2 << 30,
    )
    assert out.code == 0, out.output
    assert "40 mutations: validate, release and load agree" in out.stdout


def test_the_rules_read_a_figure_the_same_in_any_notation(tmp_path: Path, repo: Path) -> None:
    """The rules' rounding tolerances come from the same decimals: a USD figure off its
    rate by more than its printed digits allow is reported whether it is written 111.25
    or 1.1125e2 (and the rate 6.8365 or 0.68365e1)."""
    import shutil

    reports = []
    lines = (repo / "data" / "city_gdp.csv").read_text(encoding="utf-8").split("\n")
    jinan = next(i for i, x in enumerate(lines, 1) if x.startswith("jinan,2018,equalocean"))
    for cny_per_usd, gdp_usd_bn in (("6.8365", "111.25"), ("0.68365e1", "1.1125e2")):
        pkg = tmp_path / gdp_usd_bn
        pkg.mkdir()
        shutil.copy2(repo / "datapackage.json", pkg / "datapackage.json")
        shutil.copytree(repo / "data", pkg / "data")
        shutil.copytree(repo / "derived", pkg / "derived")
        shutil.copytree(repo / "site", pkg / "site")
        shutil.copytree(repo / "docs" / "templates", pkg / "docs" / "templates")
        with_cell(pkg, "data/exchange_rates.csv", 2, "cny_per_usd", cny_per_usd)
        with_cell(pkg, "data/city_gdp.csv", jinan, "gdp_usd_bn", gdp_usd_bn)
        reports.append([problem[:4] for problem in report_of(pkg)])
    assert reports[0] == reports[1]
    assert ("usd-cny-mismatch", "city_gdp", jinan, "gdp_usd_bn") in reports[0]
