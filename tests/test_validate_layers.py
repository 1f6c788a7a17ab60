"""Integration tests: `zonedata validate` on the real package and on broken copies of it.

Each broken copy asserts the exact rule code, file, line and column of the problem.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import Editor, line_of, replace_once
from zonedata.problems import RULES, Problem
from zonedata.validate import validate_package
from zonedata.validate.engine import display_path


def problems(pkg: Path, code: str | None = None) -> list[Problem]:
    report = validate_package(pkg)
    return [p for p in report.problems if code is None or p.code == code]


def only(pkg: Path, code: str) -> Problem:
    found = problems(pkg, code)
    assert len(found) == 1, f"expected one {code}, got {found}"
    return found[0]


def col_of(path: Path, line: int, value: str) -> int:
    text = path.read_bytes().decode("utf-8", errors="replace").split("\n")[line - 1]
    return text.index(value) + 1


def test_canonical_data_has_no_errors(repo: Path) -> None:
    report = validate_package(repo)
    assert report.errors == [], "\n".join(p.message for p in report.errors)
    assert report.tables == 25
    assert report.rows > 300
    assert report.exit_code() == 0


def test_every_problem_code_is_declared(package_copy: Path) -> None:
    for p in validate_package(package_copy).problems:
        assert p.code in RULES


# --- layer 2: files ---------------------------------------------------------------


def test_latin1_file(package_copy: Path) -> None:
    p = package_copy / "data/companies.csv"
    p.write_bytes("company_id,name_en,name_zh\ndji,DJI,D\u00e0jiang\n".encode("latin-1"))
    prob = only(package_copy, "encoding-error")
    assert (prob.path, prob.line, prob.column) == (display_path(p), 2, 10)
    assert prob.severity == "error"


def test_gbk_file(package_copy: Path) -> None:
    p = package_copy / "data/cities.csv"
    p.write_bytes(p.read_text(encoding="utf-8").encode("gbk"))
    prob = only(package_copy, "encoding-error")
    assert prob.line == 2 and prob.table == "cities"


def test_bom(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", lambda t: "\ufeff" + t)
    prob = only(package_copy, "bom")
    assert (prob.table, prob.line, prob.column) == ("cities", 1, 1)
    assert prob.severity == "warning"  # frictionless reads it: a convention, not an error


def test_crlf_is_a_warning(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", lambda t: t.replace("\n", "\r\n"))
    prob = only(package_copy, "crlf-line-endings")
    assert (prob.severity, prob.table, prob.line) == ("warning", "cities", 1)
    report = validate_package(package_copy)
    assert not [e for e in report.errors if e.table == "cities"]
    assert report.exit_code(strict=True) == 1


def test_nul_byte(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", replace_once("hefei,Hefei", "hefei,He\x00fei"))
    prob = only(package_copy, "nul-byte")
    assert prob.line == line_of(package_copy / "data/cities.csv", "hefei,")


def test_empty_file(package_copy: Path) -> None:
    (package_copy / "data/industries.csv").write_bytes(b"")
    prob = only(package_copy, "file-empty")
    assert prob.table == "industries"


def test_missing_file(package_copy: Path) -> None:
    (package_copy / "data/industries.csv").unlink()
    assert only(package_copy, "file-missing").table == "industries"


def test_ragged_row(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥,anhui,extra")
    )
    prob = only(package_copy, "row-length")
    assert prob.line == line_of(p, "hefei,")
    assert "6 cells; the header has 5" in prob.message


def test_renamed_header(edit: Editor, package_copy: Path) -> None:
    edit(
        "data/cities.csv",
        replace_once("city_id,name_en,name_zh,province_id", "city_id,name,name_zh,province_id"),
    )
    prob = only(package_copy, "header-mismatch")
    assert (prob.line, prob.field, prob.field_number, prob.value, prob.column) == (
        1,
        "name_en",
        2,
        "name",
        9,
    )


def test_missing_column(edit: Editor, package_copy: Path) -> None:
    def drop_name_zh(text: str) -> str:
        rows = list(csv.reader(io.StringIO(text)))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([r[:2] + r[3:] for r in rows])
        return out.getvalue()

    edit("data/cities.csv", drop_name_zh)
    prob = only(package_copy, "missing-column")
    assert (prob.table, prob.line, prob.field, prob.field_number) == ("cities", 1, "name_zh", 3)


def test_unclosed_quote(edit: Editor, package_copy: Path) -> None:
    p = edit("data/cities.csv", replace_once("hefei,Hefei,", 'hefei,"Hefei,'))
    prob = only(package_copy, "quote-unclosed")
    assert prob.line == line_of(p, "hefei,")


def test_quoted_newlines_keep_line_numbers(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/city_gdp.csv",
        replace_once("Printed as 3.03 trillion yuan", '"Printed\nas 3.03 trillion yuan"'),
    )
    edit(
        "data/city_gdp.csv",
        replace_once(
            "tianjin,2018,chinadaily-2019-02-12,1880", "tianjin,2018,chinadaily-2019-02-12,18x80"
        ),
    )
    prob = only(package_copy, "type-error")
    assert prob.line == line_of(p, "tianjin,")


# --- layer 3: schema ---------------------------------------------------------------


def test_non_numeric_number(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/city_gdp.csv",
        replace_once(
            "tianjin,2018,chinadaily-2019-02-12,1880", "tianjin,2018,chinadaily-2019-02-12,1.88 tn"
        ),
    )
    prob = only(package_copy, "type-error")
    line = line_of(p, "tianjin,")
    assert (prob.path, prob.line, prob.field, prob.column, prob.value) == (
        display_path(p),
        line,
        "gdp_cny_bn",
        col_of(p, line, "1.88 tn"),
        "1.88 tn",
    )


def test_integer_with_plus_sign_is_valid_and_typed(edit: Editor, package_copy: Path) -> None:
    """``+2018`` is an integer for Table Schema (and frictionless): no problem, no crash."""
    from zonedata.descriptor.arrow import read_csv_typed
    from zonedata.descriptor.package import read_package

    edit(
        "data/city_gdp.csv",
        replace_once("wuhan,2018,chinadaily-2019-02-12,", "wuhan,+2018,chinadaily-2019-02-12,"),
    )
    report = validate_package(package_copy)
    assert report.errors == [] and not report.unreadable
    assert report.data["city_gdp"].typed["year"].eq(2018).all()
    # releases and loading read the CSV the same way
    pkg = read_package(package_copy)
    typed = read_csv_typed(package_copy / "data/city_gdp.csv", pkg.table("city_gdp"), pkg)
    assert set(typed.column("year").to_pylist()) == {2018}


def test_blank_required_cell(edit: Editor, package_copy: Path) -> None:
    p = edit("data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,,anhui"))
    prob = only(package_copy, "required-missing")
    line = line_of(p, "hefei,")
    assert (prob.table, prob.line, prob.field, prob.column) == ("cities", line, "name_zh", 13)


def test_duplicate_primary_key(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/cities.csv",
        replace_once(
            "hefei,Hefei,合肥,anhui,340100\n",
            "hefei,Hefei,合肥,anhui,340100\nhefei,Hefei,合肥,anhui,340100\n",
        ),
    )
    prob = only(package_copy, "primary-key-duplicate")
    first = line_of(p, "hefei,")
    assert (prob.line, prob.field, prob.column) == (first + 1, "city_id", 1)
    assert f"line {first}" in prob.message


def test_dangling_foreign_key(edit: Editor, package_copy: Path) -> None:
    p = edit("data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥,anwei"))
    prob = only(package_copy, "foreign-key-dangling")
    line = line_of(p, "hefei,")
    assert (prob.line, prob.field, prob.column, prob.value) == (
        line,
        "province_id",
        col_of(p, line, "anwei"),
        "anwei",
    )


def test_enum_and_pattern(edit: Editor, package_copy: Path) -> None:
    p = edit("data/zone_dates.csv", replace_once("most-deqing,approved,", "most-deqing,approve,"))
    edit("data/cities.csv", replace_once("hefei,Hefei", "He_fei,Hefei"))
    prob = only(package_copy, "constraint-enum")
    assert (prob.table, prob.line, prob.field) == ("zone_dates", line_of(p, "most-deqing"), "event")
    prob = only(package_copy, "constraint-pattern")
    assert (prob.table, prob.field, prob.value) == ("cities", "city_id", "He_fei")


def test_invalid_partial_dates(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/zone_dates.csv",
        replace_once(
            "most-deqing,approved,most-letter-2019-194,2019-11-02",
            "most-deqing,approved,most-letter-2019-194,2019-02-30",
        ),
    )
    prob = only(package_copy, "date-invalid")
    assert (prob.line, prob.field, prob.value) == (line_of(p, "most-deqing"), "date", "2019-02-30")


def test_decimals_exceeded(edit: Editor, package_copy: Path) -> None:
    edit("data/exchange_rates.csv", replace_once("6.8365", "6.83651"))
    prob = only(package_copy, "decimals-exceeded")
    assert (prob.table, prob.line, prob.field) == ("exchange_rates", 2, "cny_per_usd")


_NUMBER_CELLS = [
    *("", "0", "7", "-3", "+12", "1.5", "-0.25", "+.5", ".5", "5.", ".", "+", "-", "+-1"),
    *("--1", "1+", "1-1", "1.2.3", "..1", "1e5", "1.5e3", "-2.5E-3", "e5", "1e", "NaN", "inf"),
    *("-INF", "+inf", "Infinity", " 1", "1 ", "1\n", "\n1", "1,5", "\u0661\u0662", "1.\u0661"),
    *("12345678901234567890.123", "0001.000", None),
]


@pytest.mark.parametrize("large", [True, False])
def test_number_byte_test_agrees_with_regex(large: bool) -> None:
    """The vectorized test of plain numbers gives what the regular expressions give."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from zonedata.validate import numbers as sc
    from zonedata.validate.arrowbytes import bool_numpy

    cells = _NUMBER_CELLS * 3
    arr = pa.array(cells, type=pa.large_string() if large else pa.string())
    chunked = pa.chunked_array([arr.slice(0, 5), arr.slice(5, 40), arr.slice(45)])
    for col in (arr, chunked, arr.slice(3, 50)):
        for integer in (False, True):
            got = sc.numbers(col, integer=integer)
            regex = sc.INTEGER_RE if integer else sc.NUMBER_RE
            ok = bool_numpy(pc.match_substring_regex(col, regex))
            assert got.ok.tolist() == ok.tolist(), (col, integer)
            if not integer:
                clean = pc.if_else(pa.array(ok), col, pa.scalar(None, col.type))
                assert got.decimals.tolist() == sc._decimals(clean).tolist()


def test_minimum(edit: Editor, package_copy: Path) -> None:
    edit(
        "data/zone_counts.csv",
        replace_once("miit,2021-02-19,cabos-2021-02-20,8,", "miit,2021-02-19,cabos-2021-02-20,-8,"),
    )
    prob = only(package_copy, "constraint-minimum")
    assert (prob.table, prob.line, prob.field) == ("zone_counts", 2, "zone_count")


def test_unsorted_rows_warn(edit: Editor, package_copy: Path) -> None:
    edit("data/industries.csv", replace_once("agriculture,Agriculture\n", "").__call__)
    edit("data/industries.csv", lambda t: t + "agriculture,Agriculture\n")
    prob = only(package_copy, "rows-unsorted")
    assert prob.severity == "warning" and prob.table == "industries"


# --- layer 1: descriptor ------------------------------------------------------------


def _descriptor(pkg: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))


def _write_descriptor(pkg: Path, d: dict) -> None:  # type: ignore[type-arg]
    (pkg / "datapackage.json").write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")


def test_malformed_descriptor(package_copy: Path) -> None:
    (package_copy / "datapackage.json").write_text(
        '{"name": "x",\n  "resources": [}', encoding="utf-8"
    )
    report = validate_package(package_copy)
    prob = only(package_copy, "descriptor-json")
    assert prob.line == 2
    assert report.exit_code() == 2


def test_missing_descriptor(tmp_path: Path) -> None:
    report = validate_package(tmp_path)
    assert [p.code for p in report.problems] == ["descriptor-missing"]
    assert report.exit_code() == 2


@pytest.mark.parametrize("bad_path", ["../data/cities.csv", "data/../../cities.csv"])
def test_dotdot_path(package_copy: Path, bad_path: str) -> None:
    d = _descriptor(package_copy)
    d["resources"][2]["path"] = bad_path
    _write_descriptor(package_copy, d)
    report = validate_package(package_copy)
    probs = [p for p in report.problems if p.code == "path-unsafe"]
    assert len(probs) == 1 and probs[0].table == "cities" and probs[0].value == bad_path
    assert report.exit_code() == 1


def test_absolute_path(package_copy: Path) -> None:
    d = _descriptor(package_copy)
    d["resources"][2]["path"] = str(package_copy / "data/cities.csv")
    _write_descriptor(package_copy, d)
    assert only(package_copy, "path-unsafe").table == "cities"


def test_symlink_out_of_package(package_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_bytes((package_copy / "data/cities.csv").read_bytes())
    (package_copy / "data/cities.csv").unlink()
    (package_copy / "data/cities.csv").symlink_to(outside)
    assert only(package_copy, "path-unsafe").table == "cities"


def test_remote_path_refused(package_copy: Path) -> None:
    d = _descriptor(package_copy)
    d["resources"][2]["path"] = "https://example.org/cities.csv"
    _write_descriptor(package_copy, d)
    assert only(package_copy, "path-remote").table == "cities"


def test_profile_violation(package_copy: Path) -> None:
    d = _descriptor(package_copy)
    d["resources"][2]["schema"]["fields"][0]["type"] = "strng"
    _write_descriptor(package_copy, d)
    report = validate_package(package_copy)
    assert any(p.code == "descriptor-profile" for p in report.problems)
    assert report.exit_code() == 1


def test_validation_never_writes(package_copy: Path, edit: Editor) -> None:
    edit("data/cities.csv", replace_once("hefei,Hefei", "hefei,=Hefei"))
    before = sorted(
        (p.relative_to(package_copy), p.stat().st_mtime_ns) for p in package_copy.rglob("*")
    )
    validate_package(package_copy)
    after = sorted(
        (p.relative_to(package_copy), p.stat().st_mtime_ns) for p in package_copy.rglob("*")
    )
    assert before == after


# --- layer 4: semantic rules, through the whole engine on broken CSV copies -----------


def test_usd_figure_changed_by_one_percent(edit: Editor, package_copy: Path) -> None:
    p = edit("data/city_gdp.csv", replace_once("1200.15,169.48,", "1200.15,171.17,"))
    prob = only(package_copy, "usd-cny-mismatch")
    line = line_of(p, "171.17")
    assert (prob.path, prob.line, prob.field, prob.column) == (
        display_path(p),
        line,
        "gdp_usd_bn",
        col_of(p, line, "171.17"),
    )
    assert "ecb-cross-2019-10-15" in prob.message


def test_growth_of_55_percent(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/city_growth.csv",
        replace_once(
            "tianjin,2018,chinadaily-2019-02-12,3.6,", "tianjin,2018,chinadaily-2019-02-12,55,"
        ),
    )
    prob = only(package_copy, "growth-out-of-range")
    line = line_of(p, "tianjin,")
    assert (prob.line, prob.field, prob.column, prob.severity) == (
        line,
        "growth_pct",
        col_of(p, line, "55"),
        "error",
    )


def test_date_in_the_future(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/zone_dates.csv",
        replace_once(
            "most-deqing,approved,most-letter-2019-194,2019-11-02",
            "most-deqing,approved,most-letter-2019-194,2099-11-02",
        ),
    )
    prob = only(package_copy, "date-in-future")
    line = line_of(p, "most-deqing")
    assert (prob.table, prob.line, prob.field, prob.column) == (
        "zone_dates",
        line,
        "date",
        col_of(p, line, "2099-11-02"),
    )


def test_formula_cell(edit: Editor, package_copy: Path) -> None:
    p = edit("data/industries.csv", replace_once("drones,Drones", "drones,=HYPERLINK(1)"))
    prob = only(package_copy, "formula-cell")
    line = line_of(p, "drones,")
    assert (prob.table, prob.line, prob.field, prob.column) == ("industries", line, "name_en", 8)


def test_two_preferred_rows(edit: Editor, package_copy: Path) -> None:
    p = edit(
        "data/city_gdp.csv",
        replace_once(
            "785.66,110.95,ecb-cross-2019-10-15,false,false",
            "785.66,110.95,ecb-cross-2019-10-15,false,true",
        ),
    )
    probs = problems(package_copy, "preferred-count")
    assert [(q.table, q.field) for q in probs] == [("city_gdp", "preferred")]
    assert probs[0].line in (
        line_of(p, "jinan,2018,equalocean"),
        line_of(p, "jinan,2018,jinan-daily"),
    )


def _batch_constraints(package_copy: Path, **constraints: object) -> None:
    path = package_copy / "datapackage.json"
    d = json.loads(path.read_text(encoding="utf-8"))
    zones = next(r for r in d["resources"] if r["name"] == "zones")
    batch = next(f for f in zones["schema"]["fields"] if f["name"] == "batch")
    batch["constraints"].update(constraints)
    path.write_text(json.dumps(d, ensure_ascii=False, indent=2), encoding="utf-8")


def test_a_bound_written_as_a_string_is_read_as_its_number(package_copy: Path) -> None:
    # Table Schema v1 descriptors may write "minimum": "2"; it bounds like 2 does
    _batch_constraints(package_copy, minimum="2", maximum="20")
    report = validate_package(package_copy)
    codes = {(p.code, p.field) for p in report.errors}
    assert codes == {("constraint-minimum", "batch")}


def test_a_bound_that_is_not_a_number_is_a_descriptor_error(package_copy: Path) -> None:
    _batch_constraints(package_copy, maximum="x")
    report = validate_package(package_copy)
    assert [(p.code, p.message) for p in report.problems] == [
        (
            "descriptor-profile",
            "Descriptor cannot be used: field 'batch': constraint maximum 'x' is not an integer.",
        )
    ]


def test_a_row_without_a_primary_key_is_an_error(tmp_path: Path) -> None:
    """All key cells empty: frictionless reports a primary-key error, and so does zonedata
    (a release's database, diff and joins could not find such a row)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("id,v\n,x\na,y\n,z\n", encoding="utf-8")
    descriptor = {
        "name": "p",
        "resources": [
            {
                "name": "t",
                "path": "data/t.csv",
                "schema": {"fields": [{"name": "id"}, {"name": "v"}], "primaryKey": ["id"]},
            }
        ],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    report = validate_package(tmp_path)
    assert [(p.code, p.line, p.field) for p in report.errors] == [
        ("primary-key-missing", 2, "id"),
        ("primary-key-missing", 4, "id"),
    ]
