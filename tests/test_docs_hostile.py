"""``zonedata docs`` on a hostile package: it writes only its own documents, in their place.

Each case is the reproduction of a finding of the fresh sweep of issue 23: a symlinked
document (written and read through), another package's generated modules written into the
toolkit, a document declared over a data file, ``--out-dir`` into the templates folder.
The command runs in a child with a timeout and a memory limit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.hostile import run_cli

DESCRIPTOR = {
    "name": "p",
    "version": "1.0.0",
    "title": "T",
    "resources": [
        {
            "name": "t",
            "path": "data/t.csv",
            "schema": {
                "fields": [{"name": "id", "type": "string"}, {"name": "v", "type": "string"}],
                "primaryKey": ["id"],
            },
        }
    ],
    "zonedata:docs": {
        "templates": "docs/tpl",
        "documents": [
            {
                "name": "rep",
                "path": "rep.md",
                "template": "docs/tpl/rep.md",
                "summary": "s",
                "queries": {"q": "docs/tpl/q.sql"},
            }
        ],
    },
}


def write_package(root: Path, descriptor: dict[str, object] = DESCRIPTOR) -> Path:
    (root / "data").mkdir(parents=True)
    (root / "docs" / "tpl").mkdir(parents=True)
    (root / "data" / "t.csv").write_text("id,v\na,x\nb,y\n", "utf-8")
    (root / "docs" / "tpl" / "rep.md").write_text("{{ queries.q[0].n }}\n", "utf-8")
    (root / "docs" / "tpl" / "q.sql").write_text("SELECT count(*) AS n FROM t\n", "utf-8")
    (root / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    return root


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    return write_package(tmp_path / "pkg")


def test_a_declared_document_is_written(pkg: Path) -> None:
    out = run_cli("docs", "--package", str(pkg), "rep", timeout=60)
    assert out.code == 0, out.output
    assert (pkg / "docs" / "rep.md").read_text("utf-8") == "2\n"


def test_a_symlinked_document_is_neither_written_nor_read_through(
    pkg: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("VICTIM\n", "utf-8")
    os.symlink(victim, pkg / "docs" / "rep.md")
    for args in (("rep",), ("rep", "--check")):
        out = run_cli("docs", "--package", str(pkg), *args, timeout=60)
        assert out.code == 2, out.output
        assert "rep.md is not written over" in out.output
        assert "VICTIM" not in out.output
    assert victim.read_text("utf-8") == "VICTIM\n"


def test_a_symlinked_docs_folder_is_not_followed(tmp_path: Path) -> None:
    pkg = write_package(tmp_path / "pkg")
    outside = tmp_path / "outside"
    (pkg / "docs").rename(outside)
    os.symlink(outside, pkg / "docs")
    out = run_cli("docs", "--package", str(pkg), "dictionary", timeout=60)
    assert out.code == 2, out.output
    assert "docs is a symlink" in out.output
    assert not (outside / "data-dictionary.md").exists()


def test_another_package_never_rewrites_the_toolkits_modules(pkg: Path) -> None:
    import zonedata

    modules = Path(zonedata.__file__).parent
    before = {n: (modules / n).read_bytes() for n in ("row_types.py", "pandera_models.py")}
    everything = run_cli("docs", "--package", str(pkg), timeout=120)
    assert everything.code == 0, everything.output
    assert "row_types.py" not in everything.output
    explicit = run_cli("docs", "--package", str(pkg), "row-types", timeout=60)
    assert explicit.code == 2, explicit.output
    assert "written only with --out-dir" in explicit.output
    assert {n: (modules / n).read_bytes() for n in before} == before
    out_dir = pkg.parent / "gen"
    chosen = run_cli("docs", "--package", str(pkg), "row-types", "--out-dir", str(out_dir))
    assert chosen.code == 0, chosen.output
    assert "class T:" in (out_dir / "row_types.py").read_text("utf-8")


def test_a_document_is_never_written_over_a_data_file(tmp_path: Path) -> None:
    descriptor = json.loads(json.dumps(DESCRIPTOR))
    descriptor["resources"][0]["path"] = "docs/t.md"
    descriptor["resources"][0]["format"] = "csv"
    descriptor["zonedata:docs"]["documents"][0]["path"] = "t.md"
    pkg = write_package(tmp_path / "pkg", descriptor)
    (pkg / "data" / "t.csv").rename(pkg / "docs" / "t.md")
    out = run_cli("docs", "--package", str(pkg), "rep", timeout=60)
    assert out.code == 2, out.output
    assert "is one of the package's own files: not written over" in out.output
    assert (pkg / "docs" / "t.md").read_text("utf-8") == "id,v\na,x\nb,y\n"


def test_out_dir_into_the_templates_folder_keeps_the_templates(pkg: Path) -> None:
    template = pkg / "docs" / "tpl" / "rep.md"
    before = template.read_bytes()
    out = run_cli("docs", "--package", str(pkg), "--out-dir", str(template.parent), "rep")
    assert out.code == 2, out.output
    assert "is one of the package's own files: not written over" in out.output
    assert template.read_bytes() == before


@pytest.mark.parametrize("key", ["name", "path", "summary"])
def test_a_trailing_line_break_is_no_name_path_or_summary(tmp_path: Path, key: str) -> None:
    descriptor = json.loads(json.dumps(DESCRIPTOR))
    document = descriptor["zonedata:docs"]["documents"][0]
    document[key] += "\n"
    pkg = write_package(tmp_path / "pkg", descriptor)
    out = run_cli("validate", str(pkg), "--format", "json", timeout=60)
    assert out.code == 1, out.output
    problems = json.loads(out.stdout)["problems"]
    assert [p["code"] for p in problems] == ["docs-invalid"], problems
    assert f"documents[0].{key}" in problems[0]["message"]


@pytest.mark.parametrize("control", ["\x1b", "\x85", "\u2028", "\u2029", "\t"])
def test_a_summary_holds_no_control_character(tmp_path: Path, control: str) -> None:
    descriptor = json.loads(json.dumps(DESCRIPTOR))
    descriptor["zonedata:docs"]["documents"][0]["summary"] = f"s{control}x"
    pkg = write_package(tmp_path / "pkg", descriptor)
    out = run_cli("docs", "--package", str(pkg), "--list", timeout=60)
    assert out.code == 2, out.output
    assert "summary" in out.output and control not in out.output


def test_out_dir_may_not_be_the_toolkits_own_folder(pkg: Path) -> None:
    import zonedata

    modules = Path(zonedata.__file__).parent
    link = pkg / "zd"
    os.symlink(modules, link)
    before = (modules / "row_types.py").read_bytes()
    for out_dir in (modules, link):
        out = run_cli("docs", "--package", str(pkg), "--out-dir", str(out_dir), "row-types")
        assert out.code == 2, out.output
        assert "is the zonedata package" in out.output
    assert (modules / "row_types.py").read_bytes() == before


def test_another_packages_documents_need_no_python_names(tmp_path: Path) -> None:
    """By default ``docs`` makes another package's documents, not its Python modules: a
    field named ``ISO3166-1-Alpha-3`` is no Python name, and stops only a named target."""
    descriptor = json.loads(json.dumps(DESCRIPTOR))
    descriptor["resources"][0]["schema"]["fields"][1]["name"] = "ISO3166-1-Alpha-3"
    pkg = write_package(tmp_path / "pkg", descriptor)
    (pkg / "data" / "t.csv").write_text("id,ISO3166-1-Alpha-3\na,x\n", "utf-8")
    (pkg / "docs" / "tpl" / "rep.md").write_text("{{ queries.q[0].n }}\n", "utf-8")
    out_dir = tmp_path / "out"
    made = run_cli("docs", "--package", str(pkg), "--out-dir", str(out_dir), timeout=120)
    assert made.code == 0, made.output
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "cli.md",
        "data-dictionary.md",
        "rep.md",
        "validation.md",
    ]
    named = run_cli("docs", "--package", str(pkg), "--out-dir", str(out_dir), "row-types")
    assert named.code == 2 and "is not usable as a Python attribute name" in named.output
