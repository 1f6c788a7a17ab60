"""``zonedata diff``: schema changes, rows added, removed and changed, matched on the key."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.helpers import unchecked
from zonedata.cli import cli
from zonedata.descriptor import Table, bundled_package_path, read_package
from zonedata.release import build
from zonedata.release.build import build_release
from zonedata.release.diff import canonical, diff_releases, diff_table
from zonedata.release.formats import NumberToken

PACKAGE = bundled_package_path()
V1 = read_package(PACKAGE).version


def copy_package(dest: Path) -> Path:
    shutil.copytree(PACKAGE.parent / "data", dest / "data")
    shutil.copytree(PACKAGE.parent / "derived", dest / "derived")
    shutil.copytree(PACKAGE.parent / "site", dest / "site")
    shutil.copytree(PACKAGE.parent / "docs" / "templates", dest / "docs" / "templates")
    shutil.copy(PACKAGE, dest / "datapackage.json")
    return dest


def edit_csv(path: Path, change: Callable[[list[list[str]]], list[list[str]]]) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(change(rows))
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def set_cell(rows: list[list[str]], key: list[str], field: str, value: str) -> list[list[str]]:
    header = rows[0]
    hits = [r for r in rows[1:] if r[: len(key)] == key]
    assert len(hits) == 1, key
    hits[0][header.index(field)] = value
    return rows


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """v1: the package; v2: one figure changed, one zone added, one row removed;
    v3: v1 with schema changes (built without validation: the test is about the diff)."""
    tmp = tmp_path_factory.mktemp("diff")
    out = tmp / "dist"
    with pytest.MonkeyPatch.context() as mp:
        build_release(PACKAGE, out=out)

        v2 = copy_package(tmp / "v2")
        edit_csv(
            v2 / "data" / "city_gdp.csv",
            lambda rows: set_cell(
                rows, ["beijing", "2018", "chinadaily-2019-02-12"], "gdp_cny_bn", "3031.5"
            ),
        )
        edit_csv(
            v2 / "data" / "zones.csv",
            lambda rows: [
                *rows,
                ["most-zz", "most", "ZZ Test", "", "测试文件", "crntt-2021-12-08", "新增"],
            ],
        )
        edit_csv(
            v2 / "data" / "zone_cities.csv",
            lambda rows: [*rows, ["most-zz", "beijing", "", "", "", "crntt-2021-12-08"]],
        )
        edit_csv(v2 / "data" / "zone_industries.csv", lambda rows: [rows[0], *rows[2:]])
        build_release(v2, version="0.2.0", out=out)

        mp.setattr(build, "run_validation", unchecked)
        v3 = copy_package(tmp / "v3")
        d = json.loads((v3 / "datapackage.json").read_text(encoding="utf-8"))
        res = {r["name"]: r for r in d["resources"]}
        growth = next(
            f for f in res["city_growth"]["schema"]["fields"] if f["name"] == "growth_pct"
        )
        growth["decimals"] = 2
        res["companies"]["schema"]["fields"].append({"name": "website", "type": "string"})
        res["zones"]["schema"]["fields"] = [
            f for f in res["zones"]["schema"]["fields"] if f["name"] != "note"
        ]
        (v3 / "datapackage.json").write_text(
            json.dumps(d, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        edit_csv(
            v3 / "data" / "companies.csv",
            lambda rows: [[*r, "website" if i == 0 else ""] for i, r in enumerate(rows)],
        )
        edit_csv(v3 / "data" / "zones.csv", lambda rows: [r[:-1] for r in rows])
        build_release(v3, version="0.3.0", out=out)
    yield {
        "v1": out / f"zonedata-{V1}",
        "v1zip": out / f"zonedata-{V1}.zip",
        "v2": out / "zonedata-0.2.0",
        "v2zip": out / "zonedata-0.2.0.zip",
        "v3": out / "zonedata-0.3.0",
    }


def run_diff(*args: Any) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["diff", *[str(a) for a in args]])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_no_differences(releases: dict[str, Path]) -> None:
    code, out = run_diff(releases["v1"], releases["v1zip"])
    assert code == 0
    assert out == f"No differences between zonedata {V1} and zonedata {V1}.\n"


def test_changed_added_removed_text(releases: dict[str, Path]) -> None:
    code, out = run_diff(releases["v1zip"], releases["v2"])
    assert code == 1
    assert out.startswith(
        f"### Data changes\n\nFrom zonedata {V1} to zonedata 0.2.0: 7 tables changed; "
        "3 rows added, 1 removed, 4 changed.\n"
    )
    assert "#### `city_gdp`\n\n1 row changed (1 cell)." in out
    assert "| city_id | year | source_id | field | old | new |" in out
    assert "| beijing | 2018 | chinadaily-2019-02-12 | gdp_cny_bn | 3030 | 3031.5 |" in out
    assert "#### `zones`\n\n1 row added." in out
    assert "| most-zz |" in out
    assert "#### `zone_cities`" in out and "| most-zz | beijing |" in out
    assert "#### `zone_industries`\n\n1 row removed." in out
    assert "| miit-beijing | core-algorithms | chinabankingnews-2021-02-22 |" in out
    assert "`cities`" not in out  # unchanged tables are not listed
    # the overview tables follow the tables they are derived from
    assert "#### `city_indicators`\n\n1 row changed (2 cells)." in out
    assert "| beijing | 2018 | gdp_cny_bn | 3030 | 3031.5 |" in out
    assert "| beijing | 2018 | gdp_usd_bn | 457.88 | 458.11 |" in out  # 3031.5 / 6.6174
    assert "#### `zone_overview`\n\n1 row added, 1 row changed (2 cells)." in out
    # Beijing's MOST entry lists the new, undated zone after its dated one
    assert "| beijing | most | zone_ids | most-beijing | most-beijing; most-zz |" in out


def test_changed_added_removed_json(releases: dict[str, Path]) -> None:
    code, out = run_diff(releases["v1"], releases["v2zip"], "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["summary"] == {
        "tables_changed": 7,
        "rows_added": 3,
        "rows_removed": 1,
        "rows_changed": 4,
        "cells_changed": 6,
    }
    tables = {t["table"]: t for t in report["tables"]}
    assert set(tables) == {
        "city_gdp",
        "zones",
        "zone_cities",
        "zone_industries",
        "zone_overview",
        "city_indicators",
        "city_treatment",
    }
    assert tables["zone_overview"]["rows_changed"][0]["key"] == {"zone_id": "miit-beijing"}
    assert set(tables["zone_overview"]["rows_changed"][0]["changes"]) == {
        "industry_ids",
        "industry_names",
    }
    assert tables["city_gdp"]["rows_changed"] == [
        {
            "key": {"city_id": "beijing", "year": 2018, "source_id": "chinadaily-2019-02-12"},
            "changes": {"gdp_cny_bn": {"old": 3030, "new": 3031.5}},
        }
    ]
    assert '"old": 3030,' in out and '"new": 3031.5' in out  # number tokens as released
    added = tables["zones"]["rows_added"]
    assert added == [
        {
            "zone_id": "most-zz",
            "programme_id": "most",
            "name_en": "ZZ Test",
            "batch": None,
            "document": "测试文件",
            "source_id": "crntt-2021-12-08",
            "note": "新增",
        }
    ]
    assert "测试文件" in out  # Chinese as characters
    removed = tables["zone_industries"]["rows_removed"]
    assert [r["industry_id"] for r in removed] == ["core-algorithms"]
    assert tables["zones"]["primary_key"] == ["zone_id"]


def test_schema_changes(releases: dict[str, Path]) -> None:
    code, out = run_diff(releases["v1"], releases["v3"])
    assert code == 1
    assert "- Field retyped: `growth_pct`: number (1 decimal) → number (2 decimals)" in out
    assert "- Field added: `website` (string)" in out
    assert "- Field removed: `note` (string)" in out
    report = json.loads(run_diff(releases["v1"], releases["v3"], "--format", "json")[1])
    tables = {t["table"]: t for t in report["tables"]}
    assert set(tables) == {"city_growth", "companies", "zones"}
    # growth values are the same numbers at the new scale: no cell changed
    assert tables["city_growth"]["rows_changed"] == []
    assert tables["zones"]["fields_removed"] == [{"name": "note", "type": "string"}]
    assert tables["companies"]["rows_changed"] == []


def test_numbers_compare_by_value(releases: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(releases["v1"], copy)
    path = copy / "city_gdp.json"
    text = path.read_text(encoding="utf-8")
    assert '"gdp_cny_bn": 3030,' in text
    path.write_text(
        text.replace('"gdp_cny_bn": 3030,', '"gdp_cny_bn": 3030.000,'), encoding="utf-8"
    )
    assert run_diff(releases["v1"], copy)[0] == 2  # an altered file is refused...
    rehash(copy, "city_gdp.json")  # ...a consistent release is compared by value
    assert run_diff(releases["v1"], copy)[0] == 0
    assert canonical(NumberToken("7.0680")) == canonical(NumberToken("7.068")) == "7.068"
    assert canonical(NumberToken("2400")) == canonical(NumberToken("2.4E+3")) == "2400"
    assert canonical(NumberToken("-0.0")) == canonical(NumberToken("0")) == "0"


def rehash(folder: Path, name: str) -> None:
    """Record a changed file's size and SHA-256 in the release descriptor."""
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    data = (folder / name).read_bytes()
    for r in d["resources"]:
        if r["path"] == name:
            r["zonedata:bytes"] = len(data)
            r["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    (folder / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")


def test_altered_parquet_is_refused_not_reported_as_no_differences(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(releases["v1"], copy)
    d = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"] = [r for r in d["resources"] if r["format"] != "json"]
    (copy / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    path = copy / "zones.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, out = run_diff(releases["v1"], copy)
    assert code == 2, out
    assert "No differences" not in out
    assert "zones.parquet" in out and "SHA-256 mismatch" in out


def test_tables_added_and_removed(releases: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(releases["v1"], copy)
    d = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"] = [
        r
        for r in d["resources"]
        if r["name"] not in ("companies", "companies-json", "companies-csv")
    ]
    (copy / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    code, out = run_diff(releases["v1"], copy)
    assert code == 1 and "#### `companies`\n\nTable removed (it had 5 rows)." in out
    code, out = run_diff(copy, releases["v1"])
    assert (
        code == 1 and "#### `companies`\n\nNew table, 5 rows; fields: `company_id` (string)" in out
    )


def _table(fields: list[tuple[str, str]], pk: list[str]) -> Table:
    return Table.from_descriptor(
        {
            "name": "t",
            "path": "t.csv",
            "schema": {"fields": [{"name": n, "type": ty} for n, ty in fields], "primaryKey": pk},
        }
    )


def test_duplicate_keys_and_missing_key() -> None:
    t = _table([("k", "string"), ("v", "integer")], ["k"])
    old = {
        "k": ["a", "a", "b", None],
        "v": [NumberToken("1"), NumberToken("2"), NumberToken("3"), None],
    }
    new = {
        "k": ["a", "a", "c", None],
        "v": [NumberToken("1"), NumberToken("5"), NumberToken("3"), NumberToken("4")],
    }
    td = diff_table("t", t, t, old, new)
    assert td.rows_added == [{"k": "c", "v": "3"}]
    assert isinstance(td.rows_added[0]["v"], NumberToken)
    assert td.rows_removed == [{"k": "b", "v": "3"}]
    assert [(kv, ch) for kv, ch in td.rows_changed] == [
        ({"k": "a"}, [("v", "2", "5")]),
        ({"k": None}, [("v", None, "4")]),
    ]
    nokey = _table([("k", "string"), ("v", "integer")], [])
    td = diff_table("t", nokey, nokey, old, new)
    assert td.notes == []  # a table that never had a key: matched on its values, no schema note
    assert len(td.rows_added) == 3 and len(td.rows_removed) == 3 and td.rows_changed == []
    assert diff_table("t", nokey, nokey, old, old).empty  # against itself: no change
    td = diff_table("t", t, nokey, old, new)
    assert td.notes == ["primary key changed from ['k'] to none"]


def test_unreadable_input(releases: dict[str, Path], tmp_path: Path) -> None:
    code, out = run_diff(releases["v1"], tmp_path / "nope")
    assert code == 2 and "Error:" in out
    broken = tmp_path / "broken"
    shutil.copytree(releases["v1"], broken)
    (broken / "zones.json").write_text("[{", encoding="utf-8")
    code, out = run_diff(releases["v1"], broken)
    assert code == 2 and "zones.json" in out


def test_help_documents_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["diff", "--help"])
    assert result.exit_code == 0
    assert "0  no differences" in result.output
    assert "1  differences found" in result.output
    assert "2  error" in result.output


def test_diff_api(releases: dict[str, Path]) -> None:
    result = diff_releases(releases["v1"], releases["v2"])
    assert result.differences
    assert [t.name for t in result.tables] == [
        "zones",
        "zone_cities",
        "zone_industries",
        "city_gdp",
        "zone_overview",
        "city_indicators",
        "city_treatment",
    ]


def test_diff_reads_parquet_when_json_is_absent(releases: dict[str, Path], tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(releases["v2"], copy)
    d = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"] = [r for r in d["resources"] if r["format"] != "json"]
    (copy / "datapackage.json").write_text(json.dumps(d), encoding="utf-8")
    assert run_diff(releases["v2"], copy)[0] == 0  # 3031.5 == 3031.500 from the decimal
    code, out = run_diff(releases["v1"], copy)
    assert code == 1 and "| gdp_cny_bn | 3030 | 3031.500 |" in out
