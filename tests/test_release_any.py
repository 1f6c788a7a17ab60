"""Any valid package, released under its own name: issue 20's release side.

A small package of another publisher goes through the whole chain: validate, release
(named ``<name>-<version>``, files named by :func:`zonedata.names.file_stem`,
collision-free resource names), verify of the folder and the zip, diff of a release
against itself (exit 0, no change). Field types and number options that only
frictionless reads are released too; what a release cannot write is reported by
``validate/publishable.py`` with its rule code, never an unlocated stop.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.smallpkg import city_air_quality, csv_resource, package
from zonedata.cli import cli
from zonedata.descriptor.package import Package
from zonedata.names import file_stem
from zonedata.problems import RULES
from zonedata.release.build import build_release
from zonedata.release.errors import ReleaseError
from zonedata.validate.engine import validate_package
from zonedata.validate.publishable import check_publishable


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def released(tmp_path: Path, root: Path, **kw: Any) -> Path:
    assert validate_package(root).errors == []
    result = build_release(root, out=tmp_path / "dist", **kw)
    return result.folder


def descriptor(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "datapackage.json").read_text("utf-8")))


def test_release_is_named_after_the_package(tmp_path: Path) -> None:
    folder = released(tmp_path, city_air_quality(tmp_path / "pkg"))
    assert folder == tmp_path / "dist" / "city-air-quality-2.3.1"
    assert (tmp_path / "dist" / "city-air-quality-2.3.1.zip").is_file()
    names = {p.name for p in folder.iterdir()}
    assert "city-air-quality-2.3.1.sqlite" in names
    for table in ("_stations", "readings.annual", "3day-summary"):
        assert {f"{file_stem(table)}.{ext}" for ext in ("parquet", "json", "csv")} <= names
    assert not any("zonedata" in n for n in names)


def test_whole_chain_on_the_issues_package(tmp_path: Path) -> None:
    folder = released(tmp_path, city_air_quality(tmp_path / "pkg"))
    for target in (folder, folder.with_name(folder.name + ".zip")):
        code, out = run("verify", target)
        assert code == 0, out
        assert "city-air-quality 2.3.1" in out
    code, out = run("diff", folder, folder.with_name(folder.name + ".zip"))
    assert (code, out) == (
        0,
        "No differences between city-air-quality 2.3.1 and city-air-quality 2.3.1.\n",
    )


def test_whole_chain_with_names_every_reader_accepts(tmp_path: Path) -> None:
    """The same chain with names today's reader accepts: it holds whatever reader.py says."""
    root = city_air_quality(tmp_path / "pkg", ("stations", "readings.annual", "3day-summary"))
    folder = released(tmp_path, root)
    for target in (folder, folder.with_name(folder.name + ".zip")):
        code, out = run("verify", target)
        assert code == 0, out
    # 3day-summary has no primary key: against itself, still no change
    code, out = run("diff", folder, folder.with_name(folder.name + ".zip"))
    assert (code, out) == (
        0,
        "No differences between city-air-quality 2.3.1 and city-air-quality 2.3.1.\n",
    )


def test_resource_names_never_collide(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    resources = [
        csv_resource(root, "a", "x\n1\n", fields),
        csv_resource(root, "a-json", "x\n2\n", fields),
        csv_resource(root, "city-air-quality-sqlite", "x\n3\n", fields),
    ]
    folder = released(tmp_path, package(root, resources))
    d = descriptor(folder)
    names = [r["name"] for r in d["resources"]]
    assert len(names) == len(set(names)), names
    held = {(r.get("zonedata:table", r["name"]), r["format"]): r["path"] for r in d["resources"]}
    assert held[("a", "json")] == "a.json" and held[("a-json", "json")] == "a-json.json"
    assert held[("a-json", "parquet")] == "a-json.parquet"
    database = [r["name"] for r in d["resources"] if r["format"] == "sqlite"]
    assert database == ["city-air-quality-sqlite-2"]
    code, out = run("verify", folder)
    assert code == 0, out
    assert "3 tables" in out


def test_a_table_named_like_the_release_descriptor_gets_a_safe_file(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    folder = released(
        tmp_path, package(root, [csv_resource(root, "datapackage", "x\n1\n", fields)])
    )
    assert (folder / "~rdatapackage.parquet").is_file()
    assert descriptor(folder)["resources"][0]["name"] == "datapackage"


EVERY_TYPE = [
    {"name": "id", "type": "integer"},
    {"name": "when", "type": "datetime"},
    {"name": "at", "type": "time"},
    {"name": "ym", "type": "yearmonth"},
    {"name": "dur", "type": "duration"},
    {"name": "amount", "type": "number", "groupChar": ".", "decimalChar": ","},
    {"name": "bare", "type": "number", "bareNumber": False},
    {"name": "loc", "type": "geopoint"},
    {"name": "geo", "type": "geojson"},
    {"name": "obj", "type": "object"},
    {"name": "arr", "type": "array"},
    {"name": "anything", "type": "any"},
    {"name": "flag", "type": "boolean", "trueValues": ["ja"], "falseValues": ["nein"]},
    {"name": "day", "type": "date", "format": "%d/%m/%Y"},
]
EVERY_TYPE_CSV = (
    "id,when,at,ym,dur,amount,bare,loc,geo,obj,arr,anything,flag,day\n"
    '1,2020-01-01T10:00:00Z,10:30:00,2020-05,P1Y2M,"1.234,5",5%,"90, 45",'
    '"{""type"": ""Point"", ""coordinates"": [1, 2]}","{""a"": 1}",[1],hello,ja,31/12/2020\n'
    '2,,,,,"2.000,25",€7,"10, 20",,{},"[""x""]",,nein,\n'
)


def every_type_package(root: Path) -> Path:
    return package(
        root,
        [csv_resource(root, "t", EVERY_TYPE_CSV, EVERY_TYPE, primaryKey=["id"])],
        name="typed-things",
        version="1.0",
    )


def test_every_field_type_and_number_option_is_released(tmp_path: Path) -> None:
    folder = released(tmp_path, every_type_package(tmp_path / "pkg"))
    rows = json.loads((folder / "t.json").read_text("utf-8"))
    assert rows[0] == {
        "id": 1,
        "when": "2020-01-01T10:00:00Z",  # types Arrow has no exact equivalent for: the text
        "at": "10:30:00",
        "ym": "2020-05",
        "dur": "P1Y2M",
        "amount": 1234.5,  # number options: the value, in the release's plain spelling
        "bare": 5,
        "loc": "90, 45",
        "geo": '{"type": "Point", "coordinates": [1, 2]}',
        "obj": '{"a": 1}',
        "arr": "[1]",
        "anything": "hello",
        "flag": True,
        "day": "2020-12-31",
    }
    assert rows[1]["when"] is None and rows[1]["flag"] is False
    csv_lines = (folder / "t.csv").read_text("utf-8").splitlines()
    assert csv_lines[1].split(",")[5:7] == ["1234.5", "5"]
    fields = {f["name"]: f for f in descriptor(folder)["resources"][0]["schema"]["fields"]}
    assert fields["amount"] == {"name": "amount", "type": "number"}
    assert fields["when"] == {"name": "when", "type": "datetime"}
    assert "format" not in fields["day"]


def test_every_field_type_verifies_diffs_and_loads(tmp_path: Path) -> None:
    import zonedata

    folder = released(tmp_path, every_type_package(tmp_path / "pkg"))
    zipped = folder.with_name(folder.name + ".zip")
    for target in (folder, zipped):
        code, out = run("verify", target)
        assert code == 0, out
    assert run("diff", folder, zipped)[0] == 0
    frame = zonedata.load("t", release=folder)
    assert list(frame["when"]) == ["2020-01-01T10:00:00Z", None] or frame["when"].isna().iloc[1]
    assert list(frame["id"]) == [1, 2]


def codes(root: Path) -> list[tuple[str, str | None, str | None]]:
    pkg = Package.from_descriptor(json.loads((root / "datapackage.json").read_text("utf-8")), root)
    return [(p.code, p.table, p.field) for p in check_publishable(pkg, "datapackage.json")]


def test_a_version_too_long_is_reported_and_never_an_internal_error(tmp_path: Path) -> None:
    root = city_air_quality(tmp_path / "pkg", ("s", "r", "d"), version="1." + "0" * 298)
    assert codes(root) == [("version-too-long", None, None)]
    assert RULES["version-too-long"].severity == "error"
    code, out = run("release", root, "--out", tmp_path / "dist")
    assert code == 2, out
    assert "a release version has at most 64" in out
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


@pytest.mark.parametrize("name", ["_tables", "_fields", "sqlite_x"])
def test_names_the_database_reserves_are_reported(tmp_path: Path, name: str) -> None:
    root = city_air_quality(tmp_path / "pkg", (name, "r", "d"))
    assert codes(root) == [("name-reserved", name, None)]
    with pytest.raises(ReleaseError, match=rf"{name}.*\(name-reserved\); nothing was written"):
        build_release(root, out=tmp_path / "dist")


def test_field_names_twins_and_formulas_are_reported(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [
        {"name": "Name", "type": "string"},
        {"name": "name", "type": "string"},
        {"name": '=HYPERLINK("http://x","y")', "type": "string"},
    ]
    package(
        root,
        [csv_resource(root, "t", 'Name,name,"=HYPERLINK(""http://x"",""y"")"\na,b,c\n', fields)],
    )
    assert codes(root) == [
        ("field-name-twin", "t", "name"),
        ("field-name-formula", "t", '=HYPERLINK("http://x","y")'),
    ]
    code, out = run("release", root, "--out", tmp_path / "dist")
    assert code == 2 and "field-name-twin" in out, out


def test_json_and_inline_resources_are_released_as_csv(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "t.json").write_text('[{"id": 1, "v": "a"}, {"id": 2, "v": null}]', "utf-8")
    resources = [
        {
            "name": "t",
            "path": "t.json",
            "format": "json",
            "schema": {
                "fields": [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]
            },
        },
        {
            "name": "inline",
            "data": [["a", "b"], [1, "x"], [2, "y"]],
            "schema": {
                "fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]
            },
        },
    ]
    folder = released(tmp_path, package(root, resources, name="json-things", version="1.0"))
    assert (folder / "t.csv").read_text("utf-8") == "id,v\n1,a\n2,\n"
    assert (folder / "inline.csv").read_text("utf-8") == "a,b\n1,x\n2,y\n"
    formats = {(r["name"], r["format"]): r for r in descriptor(folder)["resources"]}
    assert "data" not in formats[("inline", "parquet")]
    assert "dialect" not in formats[("t-csv", "csv")]
    code, out = run("verify", folder)
    assert code == 0, out


def test_verify_reports_resource_names_given_twice(tmp_path: Path) -> None:
    root = city_air_quality(tmp_path / "pkg", ("s", "r", "d"))
    folder = released(tmp_path, root)
    d = descriptor(folder)
    d["resources"][1]["name"] = "s"  # the Parquet resource of 'r' now claims the name 's'
    (folder / "datapackage.json").write_text(json.dumps(d, indent=2), "utf-8")
    from zonedata.release.verify import duplicate_names

    assert [(p.code, p.message) for p in duplicate_names(d)] == [
        ("release-descriptor", "names 2 resources 's'")
    ]


def test_diff_names_the_types_a_release_stores_as_text() -> None:
    from zonedata.descriptor.package import Table
    from zonedata.release.diff import diff_table

    old = Table.from_descriptor(
        {"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "w", "type": "datetime"}]}}
    )
    new = Table.from_descriptor(
        {"name": "t", "path": "t.csv", "schema": {"fields": [{"name": "w", "type": "string"}]}}
    )
    td = diff_table("t", old, new, {"w": ["x"]}, {"w": ["x"]})
    assert td.fields_retyped == [("w", "datetime", "string")]


def test_compressed_and_multipart_csv_are_released_as_plain_csv(tmp_path: Path) -> None:
    import gzip

    root = tmp_path / "pkg"
    root.mkdir()
    (root / "t.csv.gz").write_bytes(gzip.compress(b"id;v\n1;a\n2;b\n", mtime=0))
    (root / "p1.csv").write_text("id,v\n3,c\n", "utf-8")
    (root / "p2.csv").write_text("4,d\n", "utf-8")
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]}
    resources = [
        {
            "name": "gz",
            "path": "t.csv.gz",
            "compression": "gz",
            "dialect": {"delimiter": ";"},
            "schema": schema,
        },
        {"name": "parts", "path": ["p1.csv", "p2.csv"], "schema": schema},
    ]
    folder = released(tmp_path, package(root, resources))
    assert (folder / "gz.csv").read_text("utf-8") == "id,v\n1,a\n2,b\n"
    assert (folder / "parts.csv").read_text("utf-8") == "id,v\n3,c\n4,d\n"
    csv_resources = [r for r in descriptor(folder)["resources"] if r["format"] == "csv"]
    assert [("dialect" in r, "compression" in r) for r in csv_resources] == [(False, False)] * 2
    code, out = run("verify", folder)
    assert code == 0, out


def test_every_resource_name_is_a_table_name_even_for_the_longest_names(tmp_path: Path) -> None:
    from zonedata.names import is_table_name

    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    longest = "a" * 64
    resources = [
        csv_resource(root, longest, "x\n1\n", fields),
        csv_resource(root, "a" * 59 + "-json", "x\n2\n", fields),  # what the cut gives
    ]
    folder = released(tmp_path, package(root, resources, name="p" * 64, version="9" * 64))
    assert folder.name == "p" * 64 + "-" + "9" * 64
    d = descriptor(folder)
    names = [r["name"] for r in d["resources"]]
    assert len(names) == len(set(names)) and all(is_table_name(n) for n in names), names
    assert "a" * 57 + "-json-2" in names
    for target in (folder, folder.with_name(folder.name + ".zip")):
        code, out = run("verify", target)
        assert code == 0, out
    assert run("diff", folder, folder.with_name(folder.name + ".zip"))[0] == 0


def test_a_csv_separated_by_semicolons_is_released_as_plain_csv(tmp_path: Path) -> None:
    """Verify reads a release's CSV files with commas: the release writes them so."""
    root = tmp_path / "pkg"
    fields = [{"name": "id", "type": "integer"}, {"name": "v", "type": "string"}]
    resource = csv_resource(root, "t", "id;v\n1;a,b\n2;c\n", fields)
    folder = released(tmp_path, package(root, [{**resource, "dialect": {"delimiter": ";"}}]))
    assert (folder / "t.csv").read_text("utf-8") == 'id,v\n1,"a,b"\n2,c\n'
    assert "dialect" not in {r["name"]: r for r in descriptor(folder)["resources"]}["t-csv"]
    code, out = run("verify", folder)
    assert code == 0, out
