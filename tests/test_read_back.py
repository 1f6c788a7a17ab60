"""Whatever ``zonedata validate`` accepts, every later command reads back (issue 23).

A hostile sweep found packages that validate accepted and a later command (release,
verify, load, diff, site) then refused with an unlocated message, and declarations
validate let through silently. Each finding is tested here: the command chain on the
package, or the located problem (code, file, line, column) validate reports for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from tests.smallpkg import csv_resource, package
from zonedata.cli import cli
from zonedata.descriptor import jsontext
from zonedata.names import is_usable_version, version_stem
from zonedata.paths import is_plain_relative
from zonedata.release.build import build_release
from zonedata.release.errors import ReleaseError
from zonedata.validate.engine import display_path, validate_package


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def descriptor(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "datapackage.json").read_text("utf-8")))


# --- the summaries count in the singular and the plural ------------------------------------


def test_the_validate_summary_says_one_table_one_row(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    package(root, [csv_resource(root, "a", "x\n1\n", fields)])
    code, out = run("validate", root)
    assert code == 0, out
    assert out.rstrip().endswith(
        ": valid: 0 errors, 0 warnings in 0 files (1 table, 1 row checked)"
    )


def test_the_release_and_verify_summaries_say_one_table_one_row(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    package(root, [csv_resource(root, "a", "x\n1\n", fields)])
    code, out = run("release", root, "--out", tmp_path / "dist")
    assert code == 0, out
    assert ": 1 table, 1 row." in out, out
    code, out = run("verify", tmp_path / "dist" / "city-air-quality-2.3.1")
    assert code == 0, out
    assert "; 1 table, 1 row match their schemas." in out, out


# --- a resource without a schema: released with the schema validate inferred -------------


def schemaless(root: Path, text: str = "x,y\n1,2\n", **resource: Any) -> Path:
    """The issue's package: one resource ``a`` (file ``a.csv``) without a schema."""
    root.mkdir(parents=True)
    (root / "a.csv").write_text(text, "utf-8")
    d = {"name": "p", "version": "1.0", "resources": [{"name": "a", "path": "a.csv", **resource}]}
    (root / "datapackage.json").write_text(json.dumps(d), "utf-8")
    return root


def test_a_resource_without_a_schema_goes_through_the_whole_chain(tmp_path: Path) -> None:
    import zonedata

    root = schemaless(tmp_path / "pkg")
    report = validate_package(root)
    column = (root / "datapackage.json").read_text("utf-8").index('{"name": "a"') + 1
    assert [(p.code, p.path, p.line, p.column) for p in report.problems] == [
        ("schema-inferred", display_path(root / "datapackage.json"), 1, column)
    ]
    result = build_release(root, out=tmp_path / "dist")
    assert result.tables == [("a", 1)]
    folder = tmp_path / "dist" / "p-1.0"
    released = {r["name"]: r for r in descriptor(folder)["resources"]}
    inferred = {"fields": [{"name": "x", "type": "integer"}, {"name": "y", "type": "integer"}]}
    assert released["a"]["schema"] == inferred  # exactly what validate checked against
    assert report.descriptor is not None
    assert report.descriptor["resources"][0]["schema"] == inferred
    for target in (folder, result.zip_path):
        code, out = run("verify", target)
        assert code == 0, out
    assert run("diff", folder, result.zip_path) == (0, "No differences between p 1.0 and p 1.0.\n")
    frame = zonedata.load("a", release=folder)
    assert frame.to_dict("list") == {"x": [1], "y": [2]}
    for source in (["--release", folder], [root]):
        code, out = run("site", *source, "--out", tmp_path / f"site{len(source)}")
        assert code == 0, out


def test_an_inferred_delimiter_is_the_one_validate_and_release_read(tmp_path: Path) -> None:
    """frictionless 5 gives a sniffed delimiter in its dialect's csv control: it was lost,
    and validate read a semicolon-separated file against an inferred schema with commas."""
    root = schemaless(tmp_path / "pkg", "x;y\n1;a\n2;b\n")
    report = validate_package(root)
    assert [p.code for p in report.problems] == ["schema-inferred"]
    assert report.descriptor is not None
    assert report.descriptor["resources"][0]["dialect"] == {"delimiter": ";"}
    result = build_release(root, out=tmp_path / "dist")
    assert (result.folder / "a.csv").read_text("utf-8") == "x,y\n1,a\n2,b\n"
    code, out = run("verify", result.folder)
    assert code == 0, out


def test_a_schema_given_by_path_is_released_inline(tmp_path: Path) -> None:
    root = schemaless(tmp_path / "pkg", schema="a.schema.json")
    schema = {"fields": [{"name": "x", "type": "integer"}, {"name": "y", "type": "string"}]}
    (root / "a.schema.json").write_text(json.dumps(schema), "utf-8")
    assert validate_package(root).problems == []
    result = build_release(root, out=tmp_path / "dist")
    assert descriptor(result.folder)["resources"][0]["schema"] == schema
    assert run("verify", result.folder)[0] == 0


def test_a_document_beside_the_tables_is_left_out_of_the_release(tmp_path: Path) -> None:
    root = schemaless(tmp_path / "pkg", schema={"fields": [{"name": "x"}, {"name": "y"}]})
    d = json.loads((root / "datapackage.json").read_text("utf-8"))
    d["resources"].append({"name": "readme", "path": "README.md", "format": "md"})
    (root / "datapackage.json").write_text(json.dumps(d), "utf-8")
    (root / "README.md").write_text("# P\n\nA package.\n", "utf-8")
    report = validate_package(root)
    # (its stand-in schema's field '-' is no field name that would run as a formula)
    assert (report.problems, report.tables) == ([], 1)
    result = build_release(root, out=tmp_path / "dist")
    assert result.tables == [("a", 1)]
    assert "left out resource 'readme': a document, not a table" in result.notes
    assert run("verify", result.folder)[0] == 0


def test_a_package_changed_between_plan_and_validation_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zonedata.release import build

    root = schemaless(tmp_path / "pkg")
    validated = build.run_validation

    def changed(path: Path) -> Any:  # the file changes after the release read it
        (root / "a.csv").write_text("x,y\nfirst,2\n", "utf-8")
        return validated(path)

    monkeypatch.setattr(build, "run_validation", changed)
    with pytest.raises(ReleaseError, match="the package changed while the release was built"):
        build_release(root, out=tmp_path / "dist")
    assert not (tmp_path / "dist" / "p-1.0").exists()


# --- a version that is no file name: released under its escaped stem ----------------------


@pytest.mark.parametrize(
    ("version", "stem"),
    [
        ("1.0", "1.0"),
        ("2026.03+build_7-rc", "2026.03+build_7-rc"),
        ("1.0 beta", "1.0~20beta"),
        ("../x", "~2e~2e~2fx"),
        ("1..2", "1.~2e2"),
        ("-1", "~2d1"),
        ("a~b", "a~7eb"),
        ("版本", "~e7~89~88~e6~9c~ac"),
        ("v1\n", "v1~0a"),
    ],
)
def test_version_stems(version: str, stem: str) -> None:
    assert version_stem(version) == stem
    assert is_plain_relative(stem) and "/" not in stem
    assert (stem == version) == is_usable_version(version)


@given(st.lists(st.text(max_size=12), min_size=2, max_size=2, unique=True))
def test_version_stems_never_collide(versions: list[str]) -> None:
    a, b = versions
    assert version_stem(a) != version_stem(b)
    assert "/" not in version_stem(a) and "\\x00" not in version_stem(a)


def test_a_version_that_is_no_file_name_is_released_under_its_stem(tmp_path: Path) -> None:
    import zonedata

    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    package(root, [csv_resource(root, "a", "x\n1\n", fields)], version="1.0 beta/2")
    report = validate_package(root)
    text = (root / "datapackage.json").read_text("utf-8")
    line = text[: text.index('"1.0 beta/2"')].count("\n") + 1
    column = text.index('"1.0 beta/2"') - text.rfind("\n", 0, text.index('"1.0 beta/2"'))
    assert [(p.code, p.severity, p.line, p.column, p.value) for p in report.problems] == [
        ("version-unusable", "warning", line, column, "1.0~20beta~2f2")
    ]
    result = build_release(root, out=tmp_path / "dist")
    stem = "city-air-quality-1.0~20beta~2f2"
    assert (result.folder, result.zip_path) == (
        tmp_path / "dist" / stem,
        tmp_path / "dist" / f"{stem}.zip",
    )
    assert (result.folder / f"{stem}.sqlite").is_file()
    assert descriptor(result.folder)["version"] == "1.0 beta/2"
    assert "the version '1.0 beta/2' names the release's files " + repr(stem) in result.notes
    for target in (result.folder, result.zip_path):
        code, out = run("verify", target)
        assert code == 0, out
    code, out = run("diff", result.folder, result.zip_path)
    assert code == 0, out
    assert zonedata.load("a", release=result.folder)["x"].tolist() == [1]
    code, out = run("site", "--release", result.folder, "--out", tmp_path / "site")
    assert code == 0, out


def test_a_version_too_long_once_escaped_is_an_error(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [{"name": "x", "type": "integer"}]
    package(root, [csv_resource(root, "a", "x\n1\n", fields)], version="版" * 30)
    report = validate_package(root)
    assert [(p.code, p.severity, p.line) for p in report.problems] == [
        ("version-too-long", "error", 3)
    ]
    code, out = run("release", root, "--out", tmp_path / "dist")
    assert code == 2 and "a release version has at most 64 (version-too-long)" in out, out
    assert not (tmp_path / "dist").exists()


def test_a_version_given_on_the_command_line_must_be_usable(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    package(root, [csv_resource(root, "a", "x\n1\n", [{"name": "x", "type": "integer"}])])
    code, out = run("release", root, "--version", "1.0 beta", "--out", tmp_path / "dist")
    assert code == 2 and "is not a usable release version" in out, out


# --- two descriptors in one folder: which one is read is said -------------------------------


@pytest.mark.parametrize(
    ("names", "read"),
    [
        (("datapackage.json", "datapackage.yaml"), "datapackage.json"),
        (("datapackage.json", "datapackage.yml"), "datapackage.json"),
        (("datapackage.yaml", "datapackage.yml"), "datapackage.yaml"),
    ],
)
def test_a_descriptor_beside_another_is_named(
    tmp_path: Path, names: tuple[str, str], read: str
) -> None:
    root = schemaless(tmp_path / "pkg", schema={"fields": [{"name": "x"}, {"name": "y"}]})
    text = (root / "datapackage.json").read_text("utf-8")
    (root / "datapackage.json").unlink()
    for name in names:  # (JSON is YAML; the one not read has no resources at all)
        (root / name).write_text(text if name == read else "name: q\nresources: []\n", "utf-8")
    (ignored,) = [n for n in names if n != read]
    report = validate_package(root)
    assert report.package == display_path(root / read)
    assert [(p.code, p.severity, p.path, p.line, p.column, p.value) for p in report.problems] == [
        ("descriptor-ambiguous", "warning", display_path(root / ignored), 1, 1, read)
    ]
    assert f"{ignored} is not read: its folder also holds {read}" in report.problems[0].message
    # the one named is read, and told that the folder's is the other
    named = validate_package(root / ignored)
    first = named.problems[0]
    assert (first.code, first.path, first.line) == (
        "descriptor-ambiguous",
        display_path(root / ignored),
        1,
    )
    assert f"{read} is beside this descriptor" in named.problems[0].message
    # and every other command given the folder reads the same one
    result = build_release(root, out=tmp_path / "dist")
    assert result.tables == [("a", 1)]


def test_one_descriptor_alone_is_not_ambiguous(tmp_path: Path) -> None:
    root = schemaless(tmp_path / "pkg", schema={"fields": [{"name": "x"}, {"name": "y"}]})
    (root / "datapackage.yml").mkdir()  # (a folder is no descriptor)
    assert validate_package(root).problems == []


# --- zonedata:site is checked by validate, where it is declared ----------------------------

STATIONS = [{"name": "station_id", "type": "string"}, {"name": "name", "type": "string"}]


def site_package(root: Path, declaration: object, as_file: bool = False) -> Path:
    """A package of one table, ``stations``, declaring ``declaration`` (inline, or in
    ``site/site.json``), with templates ``site/home.html`` and ``site/station.html``."""
    resource = csv_resource(root, "stations", "station_id,name\nnord,north\n", STATIONS)
    package(root, [resource])
    (root / "site").mkdir()
    for name in ("home.html", "station.html"):
        (root / "site" / name).write_text('{% extends "zonedata/page.html" %}', "utf-8")
    d = descriptor(root)
    if as_file:
        (root / "site" / "site.json").write_text(json.dumps(declaration, indent=2), "utf-8")
        d["zonedata:site"] = "site/site.json"
    else:
        d["zonedata:site"] = declaration
    (root / "datapackage.json").write_text(json.dumps(d, indent=2), "utf-8")
    return root


GOOD_SITE = {
    "templates": "site",
    "home": "site/home.html",
    "pages": [
        {"path": "stations/{station_id}.html", "template": "site/station.html", "each": "stations"}
    ],
    "links": [{"href": "tables/stations.html", "nav": "Stations"}],
}

#: a change to GOOD_SITE, and where (below the declaration) validate reports it
BAD_SITES: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    ("a folder outside", {"templates": "../x"}, ("templates",)),
    ("the toolkit's templates", {"templates": "zonedata/x"}, ("templates",)),
    ("an unknown property", {"page": []}, ("page",)),
    ("a home outside the folder", {"home": "docs/home.html"}, ("home",)),
    (
        "a page the generic site writes",
        {"pages": [{"path": "index.html", "template": "site/station.html"}]},
        ("pages", 0, "path"),
    ),
    (
        "a table that does not exist",
        {"pages": [{"path": "s/{x}.html", "template": "site/station.html", "each": "nope"}]},
        ("pages", 0, "each"),
    ),
    (
        "a field that does not exist",
        {"pages": [{"path": "s/{id}.html", "template": "site/station.html", "each": "stations"}]},
        ("pages", 0, "path"),
    ),
    (
        "a page per row without each",
        {"pages": [{"path": "s/{station_id}.html", "template": "site/station.html"}]},
        ("pages", 0),
    ),
    ("pages not a list", {"pages": {"path": "x.html"}}, ("pages",)),
    ("a link without a label", {"links": [{"href": "x.html", "nav": ""}]}, ("links", 0, "nav")),
    ("a file that is no picture", {"files": {"x.js": "site/home.html"}}, ("files", "x.js")),
    ("a missing template", {"home": "site/none.html"}, ("home",)),
]


@pytest.mark.parametrize("as_file", [False, True], ids=["inline", "in a file"])
@pytest.mark.parametrize(("what", "change", "pointer"), BAD_SITES, ids=[b[0] for b in BAD_SITES])
def test_a_malformed_site_declaration_is_located(
    tmp_path: Path, what: str, change: dict[str, Any], pointer: tuple[str | int, ...], as_file: bool
) -> None:
    root = site_package(tmp_path / "pkg", {**GOOD_SITE, **change}, as_file)
    report = validate_package(root)
    file = root / "site" / "site.json" if as_file else root / "datapackage.json"
    full = pointer if as_file else ("zonedata:site", *pointer)
    at = jsontext.locate(file.read_text("utf-8"), full)
    got = [(p.code, p.path, p.line, p.column) for p in report.problems]
    assert at is not None
    assert got == [("site-invalid", display_path(file), *at)], (what, report.problems)
    where = "/".join(str(p) for p in full)
    assert f"Site declaration at property '{where}': " in report.problems[0].message
    # the site refuses the package for it, with validate's report
    code, out = run("site", root, "--out", tmp_path / "site")
    assert code == 1 and "site-invalid" in out, out


def test_the_site_refuses_what_validate_reports_with_the_same_words(tmp_path: Path) -> None:
    from zonedata.errors import SiteError
    from zonedata.site.declared import read_declaration

    bad = {**GOOD_SITE, "templates": "../x"}
    root = site_package(tmp_path / "pkg", bad)
    (problem,) = validate_package(root).problems
    with pytest.raises(SiteError) as info:
        read_declaration(descriptor(root), root, {"stations": ["station_id", "name"]}, [])
    assert str(info.value) == (
        "zonedata:site.templates: '../x' has an empty, '.' or '..' part; it must stay inside "
        "its folder"
    )
    assert problem.message.endswith(
        "'../x' has an empty, '.' or '..' part; it must stay inside its folder."
    )


def test_a_good_site_declaration_validates_and_builds(tmp_path: Path) -> None:
    root = site_package(tmp_path / "pkg", GOOD_SITE, as_file=True)
    assert validate_package(root).problems == []
    code, out = run("site", root, "--out", tmp_path / "site")
    assert code == 0, out
    assert (tmp_path / "site" / "stations" / "nord.html").is_file()


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "must be an object (or the path of a JSON file that holds one)"),
        ("../site.json", "'../site.json' has an empty, '.' or '..' part"),
        ("site/none.json", "'site/none.json' does not exist"),
        ("site/home.html", "'site/home.html' is not a JSON file"),
    ],
)
def test_a_declaration_that_is_no_object_is_located(
    tmp_path: Path, value: object, words: str
) -> None:
    root = site_package(tmp_path / "pkg", GOOD_SITE)
    d = descriptor(root)
    d["zonedata:site"] = value
    (root / "datapackage.json").write_text(json.dumps(d, indent=2), "utf-8")
    (problem,) = validate_package(root).problems
    at = jsontext.locate((root / "datapackage.json").read_text("utf-8"), ("zonedata:site",))
    assert at is not None
    assert (problem.code, problem.line, problem.column) == ("site-invalid", *at)
    assert words in problem.message, problem.message


def test_a_symlinked_template_is_reported(tmp_path: Path) -> None:
    root = site_package(tmp_path / "pkg", GOOD_SITE)
    (root / "site" / "station.html").unlink()
    (root / "site" / "station.html").symlink_to(root / "site" / "home.html")
    (problem,) = validate_package(root).problems
    assert problem.code == "site-invalid"
    assert "'site/station.html' is not a declared template: it is reached through a symlink" in (
        problem.message
    )
