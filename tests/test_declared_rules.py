"""Semantic rules declared in the descriptor (``zonedata:rules``): another domain's package,
switching a rule off, wrong declarations as located errors, the shipped JSON Schema, and
the frame contract built from the same declarations."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO, copy_package
from hostile import run_cli

from zonedata.descriptor import jsontext
from zonedata.descriptor.package import read_package
from zonedata.problems import Problem
from zonedata.validate.declaration_schema import SCHEMA_PATH, schema_text
from zonedata.validate.engine import validate_package

EXAMPLE = REPO / "examples" / "retail-prices"
SEMANTIC = "semantic"


def copy_example(dest: Path) -> Path:
    shutil.copy(EXAMPLE / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(EXAMPLE / "data", dest / "data")
    return dest


def set_cell(base: Path, table: str, line: int, field: str, value: str) -> None:
    """Set one cell of ``data/<table>.csv`` (line 1 is the header)."""
    path = base / "data" / f"{table}.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[line - 1][rows[0].index(field)] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def append_row(base: Path, table: str, row: list[str]) -> None:
    with (base / "data" / f"{table}.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow(row)


def where(problems: list[Problem]) -> list[tuple[str, str | None, int | None, str | None]]:
    return sorted((p.code, p.table, p.line, p.field) for p in problems)


def declarations_of(path: Path) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["zonedata:rules"]
    return rules


# ---------------------------------------------------------------------------------------
# Another domain: retail prices in EUR and USD


def test_the_example_package_is_valid_and_declares_eight_kinds() -> None:
    report = validate_package(EXAMPLE)
    assert report.problems == []
    kinds = {d["kind"] for d in declarations_of(EXAMPLE / "datapackage.json")}
    assert len(kinds) >= 4
    assert {"converted", "range", "one-flagged", "alternatives-agree", "cited"} <= kinds


#: (kind, edit, the one problem it gives: code, table, line, field)
BROKEN = [
    (
        "converted",
        ("prices", 3, "price_usd", "3.50"),
        ("usd-price-mismatch", "prices", 3, "price_usd"),
    ),
    (
        "plausible-for-year",
        ("prices", 7, "price_usd", "1.50"),
        ("usd-price-implausible", "prices", 7, "price_usd"),
    ),
    ("range", ("prices", 5, "price_eur", "-1"), ("price-out-of-range", "prices", 5, "price_eur")),
    (
        "range warning",
        ("prices", 5, "price_eur", "250"),
        ("price-unusual", "prices", 5, "price_eur"),
    ),
    (
        "one-flagged",
        ("prices", 2, "preferred", "true"),
        ("preferred-price-count", "prices", 3, "preferred"),
    ),
    (
        "alternatives-agree",
        ("prices", 2, "price_eur", "3.50"),
        ("price-sources-disagree", "prices", 2, "price_eur"),
    ),
    (
        "not-in-future",
        ("sources", 3, "published", "2999"),
        ("date-in-future", "sources", 3, "published"),
    ),
    (
        "no-formula",
        ("prices", 5, "note", '=HYPERLINK("http://x")'),
        ("formula-cell", "prices", 5, "note"),
    ),
]


@pytest.mark.parametrize(("kind", "edit", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_each_declared_kind_is_caught_on_a_broken_copy(
    tmp_path: Path,
    kind: str,
    edit: tuple[str, int, str, str],
    expected: tuple[str, str, int, str],
) -> None:
    base = copy_example(tmp_path)
    set_cell(base, *edit)
    report = validate_package(base)
    assert where(report.problems) == [expected]
    p = report.problems[0]
    assert p.path == str(base / "data" / f"{expected[1]}.csv") or p.path.endswith(
        f"data/{expected[1]}.csv"
    )
    assert p.column is not None and p.column >= 1


def test_an_uncited_source_is_caught(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    append_row(base, "sources", ["zz-report", "A report nobody cites (synthetic)", "2024"])
    report = validate_package(base)
    assert where(report.problems) == [("source-unused", "sources", 5, "source_id")]
    assert report.problems[0].severity == "warning"  # the kind's default: none declared


def test_a_declared_severity_and_message_are_used(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    set_cell(base, "prices", 3, "price_usd", "3.50")
    (p,) = validate_package(base).problems
    assert p.severity == "error"
    assert p.message.endswith("; check both prices and the rate")
    assert "EUR/USD" in p.message and "rate ecb-2023" in p.message
    set_cell(base, "prices", 3, "price_usd", "3.19")
    set_cell(base, "prices", 2, "price_eur", "3.50")
    (p,) = validate_package(base).problems
    assert p.severity == "warning" and "from stats-survey" in p.message


def test_the_frame_contract_fails_on_the_same_rows_with_the_same_codes(tmp_path: Path) -> None:
    """``zonedata.pandera_schemas`` builds its checks from the same declarations as the CLI."""
    pytest.importorskip("pandera")
    from zonedata.descriptor.arrow import read_csv_text, read_csv_typed
    from zonedata.pandera_schemas import problems, rule_codes, schema

    base = copy_example(tmp_path)
    set_cell(base, "prices", 3, "price_usd", "3.50")
    set_cell(base, "prices", 5, "note", "@SUM(A1)")
    set_cell(base, "prices", 2, "price_eur", "3.50")
    pkg = read_package(base)
    frames = {t.name: read_csv_typed(pkg.file(t), t, pkg).to_pandas() for t in pkg.tables}
    texts = {t.name: read_csv_text(pkg.file(t), t) for t in pkg.tables}
    found = problems(frames["prices"], "prices", references=frames, package=pkg, texts=texts)
    cli = [p for p in validate_package(base).problems if p.table == "prices"]
    assert sorted((p.code, p.line) for p in found) == sorted((p.code, p.line) for p in cli)
    assert {"usd-price-mismatch", "formula-cell", "price-sources-disagree"} <= set(rule_codes(pkg))
    assert rule_codes(pkg)["price-sources-disagree"] == "warning"
    names = [c.name for c in schema("prices", references=frames, package=pkg).checks]
    assert "usd-price-mismatch" in names and "growth-out-of-range" not in names


# ---------------------------------------------------------------------------------------
# The bundled package: a removed declaration switches its rule off


def test_removing_a_declaration_switches_its_rule_off(tmp_path: Path) -> None:
    base = copy_package(tmp_path)
    set_cell(base, "city_growth", 2, "growth_pct", "55")
    set_cell(base, "zones", 3, "name_en", "=1+1")
    before = {p.code for p in validate_package(base).problems}
    assert {"growth-out-of-range", "formula-cell"} <= before
    descriptor = json.loads((base / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["zonedata:rules"] = [
        d for d in descriptor["zonedata:rules"] if d["code"] != "growth-out-of-range"
    ]
    (base / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    after = {p.code for p in validate_package(base).problems}
    assert after == before - {"growth-out-of-range"}


def test_a_package_without_declarations_has_no_semantic_rules(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    set_cell(base, "prices", 5, "note", "=1+1")
    set_cell(base, "prices", 3, "price_usd", "3.50")
    descriptor = json.loads((base / "datapackage.json").read_text(encoding="utf-8"))
    del descriptor["zonedata:rules"]
    (base / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    assert validate_package(base).problems == []


def test_formula_rule_covers_any_fields_and_field_names(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    descriptor = json.loads((base / "datapackage.json").read_text(encoding="utf-8"))
    prices = descriptor["resources"][2]["schema"]["fields"]
    prices[-1]["type"] = "any"  # note
    prices[-1]["name"] = "=cmd|' /C calc'!A0"
    (base / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    path = base / "data" / "prices.csv"
    text = path.read_text(encoding="utf-8").replace("note", "\"=cmd|' /C calc'!A0\"", 1)
    path.write_text(text, encoding="utf-8")
    set_cell(base, "prices", 5, "=cmd|' /C calc'!A0", "+1 more")
    found = where([p for p in validate_package(base).problems if p.code == "formula-cell"])
    assert found == [
        ("formula-cell", "prices", 1, "=cmd|' /C calc'!A0"),
        ("formula-cell", "prices", 5, "=cmd|' /C calc'!A0"),
    ]


# ---------------------------------------------------------------------------------------
# Wrong declarations: located descriptor problems, never internal errors

#: (what is wrong, a change to the first declaration of the example, the property pointed at)
WRONG: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    ("unknown kind", {"kind": "converted-twice"}, ("kind",)),
    ("kind not a string", {"kind": 7}, ("kind",)),
    ("missing parameter", {"rate_value": None}, ()),
    ("wrong type", {"table": ["prices"]}, ("table",)),
    ("unknown table", {"rates": "exchange_rates"}, ("rates",)),
    ("unknown field", {"from": "price_cny"}, ("from",)),
    ("field of another table", {"rate_key": "product_id"}, ("rate_key",)),
    ("field of the wrong kind", {"from": "note"}, ("from",)),
    ("unknown property", {"tolerance": 0.01}, ("tolerance",)),
    ("code not kebab-case", {"code": "Price Mismatch"}, ("code",)),
    ("severity", {"severity": "fatal"}, ("severity",)),
    ("message not a string", {"message": ["x"]}, ("message",)),
]


def _wrong_copy(base: Path, change: dict[str, Any]) -> Path:
    descriptor = json.loads((base / "datapackage.json").read_text(encoding="utf-8"))
    first = descriptor["zonedata:rules"][0]
    for key, value in change.items():
        if value is None:
            del first[key]
        else:
            first[key] = value
    (base / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return base / "datapackage.json"


def _validate_json(path: Path) -> list[dict[str, Any]]:
    out = run_cli("validate", str(path), "--format", "json")
    assert out.code in (0, 1), out.output
    problems: list[dict[str, Any]] = json.loads(out.stdout)["problems"]
    return problems


@pytest.mark.parametrize(("what", "change", "pointer"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_declaration_is_a_located_descriptor_error(
    tmp_path: Path, what: str, change: dict[str, Any], pointer: tuple[str | int, ...]
) -> None:
    path = _wrong_copy(copy_example(tmp_path), change)
    problems = _validate_json(path)
    assert [p["code"] for p in problems] == ["rule-declaration"], problems
    p = problems[0]
    text = path.read_text(encoding="utf-8")
    assert (p["line"], p["column"]) == jsontext.locate(text, ("zonedata:rules", 0, *pointer))
    assert p["path"].endswith("datapackage.json") and p["severity"] == "error"
    assert "rule declaration 1" in p["message"]


@pytest.mark.parametrize(
    ("value", "pointer"),
    [("not a list", ()), ([3], (0,)), ([{"code": "x"}], (0,)), (None, ())],
    ids=["not an array", "not an object", "no kind", "null"],
)
def test_malformed_rules_property_is_located(
    tmp_path: Path, value: object, pointer: tuple[int, ...]
) -> None:
    base = copy_example(tmp_path)
    descriptor = json.loads((base / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["zonedata:rules"] = value
    path = base / "datapackage.json"
    path.write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    problems = _validate_json(path)
    assert [p["code"] for p in problems] == ["rule-declaration"]
    located = jsontext.locate(path.read_text(encoding="utf-8"), ("zonedata:rules", *pointer))
    assert (problems[0]["line"], problems[0]["column"]) == located


def test_null_rules_say_why(tmp_path: Path) -> None:
    path = _with_rules(copy_example(tmp_path), None)
    (problem,) = validate_package(path).problems
    assert problem.code == "rule-declaration"
    assert "zonedata:rules is null, which declares no rule" in problem.message


#: a declaration appended to the example's, and where its code is wrong, or None where
#: it is right (the same rule for another table, say)
SAME_CODE = [
    ("another kind's code", {"kind": "no-formula", "code": "price-out-of-range"}, ("code",)),
    (
        "another severity",
        {"kind": "cited", "code": "source-unused", "table": "sources", "severity": "error"},
        ("code",),
    ),
    ("a band's code", {"kind": "no-formula", "code": "price-unusual"}, ("code",)),
    ("zonedata's own code", {"kind": "no-formula", "code": "type-error"}, ("code",)),
    ("a semantic code of zonedata's", {"kind": "no-formula", "code": "formula-cell"}, None),
    (
        "its own band's code",
        {"kind": "range", "code": "price-range", "table": "prices", "fields": ["price_eur"],
         "min": 0, "max": 10000,
         "warning": {"min": 0.1, "max": 100, "code": "price-range"}},
        ("warning", "code"),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("what", "added", "pointer"), SAME_CODE, ids=[c[0] for c in SAME_CODE])
def test_a_code_is_one_rule(
    tmp_path: Path, what: str, added: dict[str, Any], pointer: tuple[str, ...] | None
) -> None:
    base = copy_example(tmp_path)
    rules = declarations_of(base / "datapackage.json")
    path = _with_rules(base, [*rules, added])
    set_cell(base, "prices", 5, "note", "=1+1")  # (a formula cell, for no-formula)
    report = validate_package(path)
    wrong = [p for p in report.problems if p.code == "rule-declaration"]
    if pointer is None:
        assert wrong == []
        return
    (p,) = wrong
    at = jsontext.locate(path.read_text(encoding="utf-8"), ("zonedata:rules", len(rules), *pointer))
    assert (p.path, (p.line, p.column)) == (str(path), at)
    assert f"rule declaration {len(rules) + 1}:" in p.message
    # the declaration is skipped: a formula cell is not reported under the code it took
    assert [q.code for q in report.problems if q.code == added["code"]] == []


def test_a_wrong_declaration_leaves_the_others_running(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    _wrong_copy(base, {"kind": "nonsense"})
    set_cell(base, "prices", 5, "price_eur", "-1")
    report = validate_package(base)
    assert sorted(p.code for p in report.problems) == ["price-out-of-range", "rule-declaration"]


# ---------------------------------------------------------------------------------------
# The JSON Schema


def test_the_shipped_schema_is_generated_from_the_kinds() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text()


def test_the_schema_accepts_the_declared_rules_and_rejects_wrong_shapes() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for package in (REPO, EXAMPLE):
        validator.validate(declarations_of(package / "datapackage.json"))
    example = declarations_of(EXAMPLE / "datapackage.json")
    for _, change, _ in WRONG:
        first = dict(example[0])
        for key, value in change.items():
            if value is None:
                del first[key]
            else:
                first[key] = value
        shape_only = change.keys() & {"rates", "from", "rate_key"}  # existence: not a shape
        assert validator.is_valid([first]) == bool(shape_only), change


# ---------------------------------------------------------------------------------------
# Hostile declarations: bounded in work and output


def _with_rules(base: Path, rules: object) -> Path:
    path = base / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["zonedata:rules"] = rules
    path.write_text(json.dumps(descriptor, indent=1), encoding="utf-8")
    return path


def test_too_many_declarations_is_one_located_problem_and_no_rule_runs(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    set_cell(base, "prices", 5, "note", "=1+1")
    path = _with_rules(base, [{"kind": "no-formula", "code": "formula-cell"}] * 1001)
    problems = _validate_json(path)
    assert [p["code"] for p in problems] == ["rule-declaration"]
    assert "ZONEDATA_MAX_RULE_DECLARATIONS" in problems[0]["message"]
    located = jsontext.locate(path.read_text(encoding="utf-8"), ("zonedata:rules",))
    assert (problems[0]["line"], problems[0]["column"]) == located


def test_many_wrong_declarations_are_reported_twenty_and_counted(tmp_path: Path) -> None:
    path = _with_rules(copy_example(tmp_path), [{"kind": "nonsense", "code": "x"}] * 900)
    problems = _validate_json(path)
    assert [p["code"] for p in problems] == ["rule-declaration"] * 21
    assert "and 880 more wrong rule declarations" in problems[-1]["message"]
    text = path.read_text(encoding="utf-8")
    assert (problems[-1]["line"], problems[-1]["column"]) == jsontext.locate(
        text, ("zonedata:rules", 20)
    )


def test_extreme_years_and_long_texts(tmp_path: Path) -> None:
    base = copy_example(tmp_path)
    rules = declarations_of(base / "datapackage.json")
    years = rules[1]
    years["ranges"] = [
        {"year": -(10**18), "low": 0.9, "high": 0.95},
        {"year": 10**18, "low": 0.9, "high": 0.95},
        *({"year": y, "low": 0.9, "high": 0.95} for y in range(2000, 2998)),
    ]
    years["spread"] = 1000
    rules.append({"kind": "no-formula", "code": "formula-cell", "message": "x" * 501})
    path = _with_rules(base, rules)
    problems = _validate_json(path)
    assert [(p["code"], p["line"] is not None) for p in problems] == [("rule-declaration", True)]
    assert "'message' must be a string of at most 500 characters" in problems[0]["message"]


def test_every_kinds_example_follows_the_schema_and_is_documented() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from zonedata.validate.kinds import KINDS

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text("utf-8")))
    doc = (REPO / "docs" / "validation.md").read_text(encoding="utf-8")
    for name, spec in KINDS.items():
        assert spec.example["kind"] == name
        validator.validate([dict(spec.example)])
        assert f"### {name}\n" in doc
        assert json.dumps(dict(spec.example), ensure_ascii=False) in doc
