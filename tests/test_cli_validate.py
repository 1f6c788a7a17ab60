"""CLI tests for `zonedata validate` with Click's CliRunner: exit codes and output formats."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib.resources import files
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from tests.conftest import Editor, replace_once
from zonedata.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_valid_package_exits_0(repo: Path) -> None:
    code, out, _ = run("validate", str(repo))
    assert code == 0, out
    assert "valid: 0 errors" in out


def test_default_path_is_the_package_itself() -> None:
    code, out, _ = run("validate")
    assert code == 0, out


def test_invalid_data_exits_1_with_location(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥,anwei"))
    code, out, _ = run("validate", str(package_copy))
    assert code == 1
    assert "cities.csv" in out and "foreign-key-dangling" in out and "1 error" in out


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text("{not json", encoding="utf-8")
    code, out, _ = run("validate", str(tmp_path))
    assert code == 2 and "descriptor-json" in out
    code, out, _ = run("validate", str(tmp_path / "nowhere"))
    assert code == 2 and "descriptor-missing" in out


def test_usage_error_exits_2() -> None:
    code, _, err = run("validate", "--format", "xml")
    assert code == 2 and "Invalid value" in err


def test_json_format_matches_shipped_schema(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,,anhui"))
    code, out, _ = run("validate", str(package_copy), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    schema = json.loads(
        files("zonedata.validate").joinpath("report.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.validate(doc, schema)
    assert doc["valid"] is False
    [p] = [p for p in doc["problems"] if p["code"] == "required-missing"]
    assert (p["table"], p["field"], p["column"]) == ("cities", "name_zh", 13)


def test_github_format(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", replace_once("hefei,Hefei,合肥,anhui", "hefei,Hefei,合肥,anwei"))
    code, out, _ = run("validate", str(package_copy), "--format", "github")
    assert code == 1
    [line] = [x for x in out.splitlines() if x.startswith("::error ")]
    assert "file=" in line and "cities.csv" in line and ",line=" in line and ",col=" in line
    assert "title=foreign-key-dangling::" in line


def test_max_errors_caps_output_not_exit_code(edit: Editor, package_copy: Path) -> None:
    edit(
        "data/cities.csv",
        lambda t: t.replace(",anhui", ",x1").replace(",hubei", ",x2").replace(",hunan", ",x3"),
    )
    code, out, _ = run("validate", str(package_copy), "--max-errors", "1", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and len(doc["problems"]) == 1 and doc["summary"]["errors"] == 3


def test_strict_fails_on_warnings(edit: Editor, package_copy: Path) -> None:
    edit("data/cities.csv", lambda t: t.replace("\n", "\r\n"))
    code, _, _ = run("validate", str(package_copy), "--no-semantic")
    assert code == 0
    code, _, _ = run("validate", str(package_copy), "--no-semantic", "--strict")
    assert code == 1


def test_broken_inputs_never_traceback(tmp_path: Path) -> None:
    cases = {
        "list.json": "[]",
        "noresources.json": '{"name": "x"}',
        "badresource.json": '{"name": "x", "resources": [{"name": "t"}]}',
        "badfields.json": '{"name": "x", "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": "x"}}]}',
        "binary.json": "\x00\x01",
    }
    for name, text in cases.items():
        d = tmp_path / name.removesuffix(".json")
        d.mkdir()
        (d / "datapackage.json").write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["validate", str(d)])
        assert result.exit_code in (1, 2), (name, result.output)
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), name
        assert "Traceback" not in result.output


def test_help_is_fast_and_light() -> None:
    code = (
        "import sys, time; t=time.perf_counter(); from zonedata.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit: pass\n"
        "heavy=[m for m in ('pandas','pyarrow','pandera','frictionless') if m in sys.modules]\n"
        "print(heavy)"
    )
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    elapsed = time.perf_counter() - t0
    assert out.strip().splitlines()[-1] == "[]"
    assert elapsed < 2.0  # generous for CI; benchmarks/ measures the real figure
