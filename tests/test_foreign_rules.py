"""The declared rules apply to every table, the ones frictionless reads too (issue 23,
sweep 13).

A table of another shape (JSON, another dialect, encoding or field type) is validated by
frictionless; once it is valid it is read, once, into the cells the rules check and the
release writes (:mod:`zonedata.validate.foreign_read`). Whatever validate accepts, the
release writes and verify reads back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.smallpkg import package
from zonedata.cli import cli
from zonedata.errors import TableReadError, ValidationFailedError
from zonedata.release.build import build_release
from zonedata.validate import foreign_read
from zonedata.validate.engine import validate_package

RULES = {"zonedata:rules": [{"kind": "no-formula", "code": "formula-cell"}]}
FIELDS = [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]


def json_table(root: Path, rows: list[dict[str, Any]], name: str = "t") -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.json").write_text(json.dumps(rows), "utf-8")
    return {"name": name, "path": f"{name}.json", "format": "json", "schema": {"fields": FIELDS}}


def semicolon_table(root: Path, text: str, name: str = "s") -> dict[str, Any]:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.csv").write_text(text, "utf-8")
    return {
        "name": name,
        "path": f"{name}.csv",
        "dialect": {"delimiter": ";", "quoteChar": "'"},
        "schema": {"fields": FIELDS},
    }


def found(root: Path) -> list[tuple[str, str | None, int | None, int | None, str | None]]:
    report = validate_package(root)
    return [(p.code, p.table, p.line, p.row, p.value) for p in report.problems]


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_formula_in_a_json_table_is_reported_at_its_row(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    table = json_table(root, [{"id": 1, "v": "=1+1"}, {"id": 2, "v": "x"}])
    package(root, [table], **RULES)
    assert found(root) == [("formula-cell", "t", None, 2, "=1+1")]
    with pytest.raises(ValidationFailedError):
        build_release(root, out=tmp_path / "dist")
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_a_formula_in_a_csv_of_another_dialect_is_reported_at_its_line(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    package(root, [semicolon_table(root, "id;v\n1;'-2+3'\n2;ok\n")], **RULES)
    assert found(root) == [("formula-cell", "s", 2, 2, "-2+3")]
    code, out = run("release", root, "--out", tmp_path / "dist")
    assert code == 1, out
    assert "validation error" in out
    assert not list((tmp_path / "dist").glob("*/s.csv"))


def test_both_repro_tables_at_once_and_the_command_line_says_so(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    tables = [
        json_table(root, [{"id": 1, "v": "=1+1"}]),
        semicolon_table(root, "id;v\n1;'-2+3'\n"),
    ]
    package(root, tables, **RULES)
    code, out = run("validate", root, "--format", "json")
    assert code == 1
    problems = json.loads(out)["problems"]
    assert [(p["code"], p["table"], p["line"], p["row"], p["field"]) for p in problems] == [
        ("formula-cell", "t", None, 2, "v"),
        ("formula-cell", "s", 2, 2, "v"),
    ]
    assert problems[0]["path"].endswith("t.json") and problems[1]["path"].endswith("s.csv")


def test_a_foreign_table_whose_rules_pass_releases_and_verifies(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    tables = [
        json_table(root, [{"id": 1, "v": "1+1"}, {"id": 2, "v": None}]),
        semicolon_table(root, "id;v\n1;'a;b'\n2;'two\nlines'\n3;c\n"),
    ]
    package(root, tables, **RULES)
    assert found(root) == []
    folder = build_release(root, out=tmp_path / "dist").folder
    assert (folder / "t.csv").read_text("utf-8") == "id,v\n1,1+1\n2,\n"
    assert (folder / "s.csv").read_text("utf-8") == 'id,v\n1,a;b\n2,"two\nlines"\n3,c\n'
    code, out = run("verify", folder)
    assert code == 0, out


def test_a_row_after_a_cell_of_two_lines_is_known_by_its_row(tmp_path: Path) -> None:
    """frictionless numbers rows, not lines: the row is exact, the line is that number."""
    root = tmp_path / "pkg"
    package(root, [semicolon_table(root, "id;v\n1;'two\nlines'\n2;'@x'\n")], **RULES)
    assert found(root) == [("formula-cell", "s", 3, 3, "@x")]


def test_the_release_writes_the_cells_validation_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One reading: the release does not ask frictionless for the rows again."""
    root = tmp_path / "pkg"
    package(root, [json_table(root, [{"id": 1, "v": "a"}])], **RULES)
    reads = []
    rows = foreign_read._rows

    def counted(*args: Any) -> Any:
        reads.append(args[2].name)
        return rows(*args)

    monkeypatch.setattr(foreign_read, "_rows", counted)
    folder = build_release(root, out=tmp_path / "dist").folder
    assert reads == ["t"]
    assert (folder / "t.csv").read_text("utf-8") == "id,v\n1,a\n"


def test_a_value_the_release_cannot_hold_is_reported_by_validate(tmp_path: Path) -> None:
    """It stopped the release with a ReleaseError; validate reports it where it is."""
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "n.csv").write_text('n\n"1,5"\nNaN\n', "utf-8")
    resources = [
        json_table(root, [{"id": 99999999999999999999, "v": "a"}]),
        {
            "name": "n",
            "path": "data/n.csv",
            "schema": {"fields": [{"name": "n", "type": "number", "decimalChar": ","}]},
        },
    ]
    package(root, resources)
    assert found(root) == [
        ("value-out-of-range", "t", None, 2, "99999999999999999999"),
        ("number-not-finite", "n", 3, 3, "NaN"),
    ]


def test_the_reading_is_bounded_by_the_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "pkg"
    package(root, [json_table(root, [{"id": i, "v": "a"} for i in range(3)])], **RULES)
    monkeypatch.setenv("ZONEDATA_MAX_ROWS", "2")
    problems = validate_package(root).problems
    assert [(p.code, p.table) for p in problems] == [("file-too-large", "t")]
    assert "more than 2 rows" in problems[0].message
    assert "ZONEDATA_MAX_ROWS" in problems[0].message


def test_the_reading_is_bounded_by_the_byte_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The canonical text may be longer than the source's: 1E+3000 is written in full."""
    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "n.csv").write_text("n\n1E+3000\n", "utf-8")
    fields = [{"name": "n", "type": "number", "decimalChar": ","}]
    package(root, [{"name": "n", "path": "data/n.csv", "schema": {"fields": fields}}])
    first = validate_package(root).problems
    assert [(p.code, p.line, len(p.value or "")) for p in first] == [("number-not-finite", 2, 203)]
    assert len(first[0].message) < 400
    monkeypatch.setenv("ZONEDATA_MAX_FILE_BYTES", "2000")
    problems = validate_package(root).problems
    assert [(p.code, p.table) for p in problems] == [("file-too-large", "n")]
    assert "ZONEDATA_MAX_FILE_BYTES" in problems[0].message


def test_read_table_raises_an_error_of_the_one_tree(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    package(root, [json_table(root, [{"id": 99999999999999999999, "v": "a"}])])
    descriptor = json.loads((root / "datapackage.json").read_text("utf-8"))
    from zonedata.descriptor.package import Package

    pkg = Package.from_descriptor(descriptor, root)
    with pytest.raises(TableReadError) as e:
        foreign_read.read_table(descriptor, root, pkg.tables[0])
    assert e.value.code == "value-out-of-range"
    assert str(e.value).startswith("t.json: cannot be released: row 2")
