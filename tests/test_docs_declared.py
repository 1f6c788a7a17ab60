"""Documents a package declares (``zonedata:docs``): made for any package, hostile ones refused.

The toolkit knows no dataset: another publisher's package declares a Markdown report and
an SVG picture of its own, and ``zonedata docs`` makes, checks and lists them like the
toolkit's. A declaration that reaches outside the package, a template that tries to leave
the sandbox and a query that tries to write are refused with a message that says so, and
nothing is written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.smallpkg import csv_resource, package
from zonedata.cli import cli
from zonedata.validate.engine import validate_package

#: a station's name with Markdown and HTML in it: printed as text, never as markup
NAME = "North | *Hill* [x](http://e.test) <script>alert(1)</script>"

REPORT = """\
# Stations of {{ package.title }}

| Station | Name | Mean PM2.5 |
| --- | --- | --- |
{% for s in queries.means %}
| {{ s.station_id|md_code }} | {{ s.name }} | {{ s.mean }} |
{% endfor %}

Stations: {{ tables.stations|map(attribute="name")|join(", ") }}. {{ "**raw**"|safe }}
"""

PICTURE = """\
<svg xmlns="http://www.w3.org/2000/svg" width="200" height="{{ 20 * tables.stations|length }}">
{% for s in tables.stations %}
<text x="0" y="{{ 20 * loop.index }}">{{ s.name }}</text>
{% endfor %}
</svg>
"""

MEANS = """\
SELECT s.station_id, s.name, round(avg(r.pm25), 2) AS mean
FROM stations AS s JOIN readings AS r ON r.station_id = s.station_id
GROUP BY s.station_id ORDER BY s.station_id
"""


def stations(root: Path, docs: Any = None, files: dict[str, str] | None = None) -> Path:
    """Another publisher's package: stations and readings, and the documents it declares
    (default: a report with a query, and a picture), their files written below ``root``."""
    resources = [
        csv_resource(
            root,
            "stations",
            f'station_id,name\nS1,"{NAME}"\nS2,South\n',
            [{"name": "station_id", "type": "string"}, {"name": "name", "type": "string"}],
            primaryKey=["station_id"],
        ),
        csv_resource(
            root,
            "readings",
            "station_id,year,pm25\nS1,2022,12.5\nS1,2023,11.0\nS2,2023,9.75\n",
            [
                {"name": "station_id", "type": "string"},
                {"name": "year", "type": "year"},
                {"name": "pm25", "type": "number"},
            ],
            primaryKey=["station_id", "year"],
        ),
    ]
    if files is None:
        files = {"notes/report.md": REPORT, "notes/picture.svg": PICTURE, "notes/means.sql": MEANS}
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    if docs is None:
        docs = {
            "templates": "notes",
            "documents": [
                {
                    "name": "report",
                    "path": "stations.md",
                    "template": "notes/report.md",
                    "summary": "every station and its mean PM2.5",
                    "queries": {"means": "notes/means.sql"},
                },
                {
                    "name": "picture",
                    "path": "stations.svg",
                    "template": "notes/picture.svg",
                    "summary": "the stations' names",
                },
            ],
        }
    return package(root, resources, title="Air *quality*", **{"zonedata:docs": docs})


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["docs", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- any package -------------------------------------------------------------------------


def test_another_package_gets_the_documents_it_declares(tmp_path: Path) -> None:
    root = stations(tmp_path / "pkg")
    out = tmp_path / "docs"
    code, stdout, stderr = run("report", "picture", "--package", str(root), "--out-dir", str(out))
    assert code == 0, stderr
    assert stdout.count("created") == 2

    report = (out / "stations.md").read_text(encoding="utf-8")
    assert report.startswith("# Stations of Air \\*quality\\*\n")
    escaped = r"North \| \*Hill\* \[x\](http://e.test) \<script\>alert(1)\</script\>"
    assert f"| `S1` | {escaped} | 11.75 |" in report
    assert "| `S2` | South | 9.75 |" in report
    assert f"Stations: {escaped}, South. **raw**\n" == report.splitlines(keepends=True)[-1]

    picture = (out / "stations.svg").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in picture and "<script" not in picture
    assert 'height="40"' in picture

    code, stdout, _ = run("--check", "--package", str(root), "--out-dir", str(out))
    assert code == 1, "the toolkit's own files are not there yet"
    assert "up to date" in stdout and "stations.md" in stdout
    code, stdout, _ = run("--list", "--package", str(root))
    assert re.search(
        r"^report +stations\.md: every station and its mean PM2\.5 \(declared", stdout, re.M
    )
    assert "chart" not in stdout and "coverage" not in stdout


def test_a_package_that_declares_nothing_gets_the_toolkits_documents(tmp_path: Path) -> None:
    root = stations(tmp_path / "pkg")
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    del descriptor["zonedata:docs"]
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    code, stdout, _ = run("--list", "--package", str(root))
    assert code == 0
    assert [x.split()[0] for x in stdout.splitlines()] == [
        "dictionary",
        "cli",
        "rules",
        "row-types",
        "pandera-models",
    ]
    code, _, stderr = run("chart", "--package", str(root))
    assert code == 2 and "no target 'chart'" in stderr


def test_the_declaration_may_be_a_json_file_beside_the_descriptor(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    stations(root)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    (root / "notes" / "docs.json").write_text(json.dumps(descriptor["zonedata:docs"]), "utf-8")
    descriptor["zonedata:docs"] = "notes/docs.json"
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    out = tmp_path / "docs"
    code, _, stderr = run("report", "--package", str(root), "--out-dir", str(out))
    assert code == 0, stderr
    assert (out / "stations.md").is_file()


# -- hostile declarations, templates and queries -----------------------------------------


def _one(template: str, *, path: str = "x.md", queries: dict[str, str] | None = None) -> Any:
    doc: dict[str, Any] = {"name": "x", "path": path, "template": template, "summary": "x"}
    if queries is not None:
        doc["queries"] = queries
    return {"templates": "notes", "documents": [doc]}


HOSTILE = {
    "a template that reaches for Python's internals": (
        {"notes/x.md": "{{ ''.__class__.__mro__[1].__subclasses__() }}"},
        _one("notes/x.md"),
        "x: template notes/x.md: access to attribute '__class__' of 'str' object is unsafe",
    ),
    "a template that makes a text of gigabytes": (
        {"notes/x.md": "{{ 'x' * 3000000000 }}"},
        _one("notes/x.md"),
        "x: template notes/x.md: a product longer than 1,000,000 items",
    ),
    "a template outside the templates folder": (
        {"notes/x.md": "x", "other.md": "x"},
        _one("../other.md"),
        "documents[0].template: '../other.md' is not a template in the templates folder",
    ),
    "a templates folder outside the package": (
        {"notes/x.md": "x"},
        {**_one("notes/x.md"), "templates": "../"},
        "zonedata:docs.templates: '../' has an empty, '.' or '..' part",
    ),
    "a declaration file outside the package": (
        {"notes/x.md": "x"},
        "../docs.json",
        "zonedata:docs: '../docs.json' ",
    ),
    "a query outside the package": (
        {"notes/x.md": "x"},
        _one("notes/x.md", queries={"q": "../../etc/passwd"}),
        "zonedata:docs.documents[0].queries.q: '../../etc/passwd' ",
    ),
    "a query that writes": (
        {"notes/x.md": "{{ queries.q }}", "notes/q.sql": "DELETE FROM stations"},
        _one("notes/x.md", queries={"q": "notes/q.sql"}),
        "x: query q (notes/q.sql): the query is not authorized",
    ),
    "a query that attaches a file": (
        {"notes/x.md": "{{ queries.q }}", "notes/q.sql": "ATTACH 'x.db' AS x"},
        _one("notes/x.md", queries={"q": "notes/q.sql"}),
        "x: query q (notes/q.sql): the query is not authorized",
    ),
    "a query that reads a pragma": (
        {
            "notes/x.md": "{{ queries.q }}",
            "notes/q.sql": "SELECT * FROM pragma_table_info('stations')",
        },
        _one("notes/x.md", queries={"q": "notes/q.sql"}),
        "x: query q (notes/q.sql): the query is not authorized",
    ),
    "a query that asks the SQLite version": (
        {"notes/x.md": "{{ queries.q }}", "notes/q.sql": "SELECT sqlite_version() AS v"},
        _one("notes/x.md", queries={"q": "notes/q.sql"}),
        "x: query q (notes/q.sql): the query is not authorized",
    ),
    "a document written outside the docs folder": (
        {"notes/x.md": "x"},
        _one("notes/x.md", path="../../x.md"),
        "zonedata:docs.documents[0].path: '../../x.md' must be a file name (no folder) ending",
    ),
    "a document written over its own template": (
        {"docs/x.md": "x"},
        {**_one("docs/x.md"), "templates": "docs"},
        "document 'x' would be written over docs/x.md",
    ),
    "a document that takes a toolkit document's name": (
        {"notes/x.md": "x"},
        {
            "templates": "notes",
            "documents": [{**_one("notes/x.md")["documents"][0], "name": "rules"}],
        },
        "document 'rules' (x.md) takes the name or the file of one of the toolkit's documents",
    ),
    "a document that takes a toolkit document's file": (
        {"notes/x.md": "x"},
        _one("notes/x.md", path="data-dictionary.md"),
        "takes the name or the file of one of the toolkit's documents",
    ),
    "a kind of file that is not escaped": (
        {"notes/x.md": "x"},
        _one("notes/x.md", path="x.html"),
        "zonedata:docs.documents[0].path: 'x.html' must be a file name (no folder) ending in .md",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_declaration_is_refused_and_nothing_is_written(tmp_path: Path, case: str) -> None:
    files, docs, message = HOSTILE[case]
    root = stations(tmp_path / "pkg", docs, files)
    out = tmp_path / "out"
    code, _, stderr = run("--package", str(root), "--out-dir", str(out))
    assert code == 2, stderr
    assert message in stderr, stderr
    assert "Traceback" not in stderr
    assert not out.exists()


#: a query whose sort holds about 64 values of 20 MB: 1.3 GB without a bound on memory
HUNGRY_SQL = (
    "SELECT length(x) AS n FROM (SELECT hex(zeroblob(10000000)) || a.name || b.name || c.name "
    "|| d.name || e.name || f.name AS x FROM stations a, stations b, stations c, stations d, "
    "stations e, stations f ORDER BY x DESC) LIMIT 1"
)


def test_a_query_that_needs_too_much_memory_is_refused(tmp_path: Path) -> None:
    from tests.hostile import run_cli

    files = {"notes/x.md": "{{ queries.q }}", "notes/q.sql": HUNGRY_SQL}
    root = stations(tmp_path / "pkg", _one("notes/x.md", queries={"q": "notes/q.sql"}), files)
    out = tmp_path / "out"
    env = {"ZONEDATA_MAX_SQL_MEMORY_BYTES": str(64 << 20)}
    outcome = run_cli("docs", "--package", str(root), "--out-dir", str(out), env=env)
    outcome.assert_clean_failure(2)
    assert (
        "x: query q (notes/q.sql): the query needs more memory than the 67,108,864 bytes a "
        "query may take (ZONEDATA_MAX_SQL_MEMORY_BYTES)"
    ) in outcome.stderr, outcome.output
    assert not out.exists()


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_a_symlinked_template_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("the secret", "utf-8")
    root = stations(tmp_path / "pkg", _one("notes/x.md"), {"notes/y.md": "y"})
    (root / "notes" / "x.md").symlink_to(secret)
    code, _, stderr = run("--package", str(root), "--out-dir", str(tmp_path / "out"))
    assert code == 2
    assert "'notes/x.md' is not a template in the templates folder" in stderr
    assert "the secret" not in stderr


def test_validate_refuses_a_malformed_declaration_at_its_property(tmp_path: Path) -> None:
    """An error, as a malformed zonedata:site is: zonedata docs would refuse it."""
    root = stations(tmp_path / "pkg", _one("notes/missing.md", queries={"q": "/etc/passwd"}))
    report = validate_package(root)
    found = [p for p in report.problems if p.code == "docs-invalid"]
    assert [p.severity for p in found] == ["error", "error"]
    assert "notes/missing.md" in found[0].message and "/etc/passwd" in found[1].message
    assert all(p.line is not None for p in found), "located at the property"
    assert not report.valid()

    ok = stations(tmp_path / "ok")
    assert not [p for p in validate_package(ok).problems if p.code == "docs-invalid"]


def test_a_document_cannot_change_what_the_next_one_sees(tmp_path: Path) -> None:
    """Each template gets its own copy of the data: one that empties a table it was
    given leaves the table whole for the next document."""
    files = {
        "notes/a.md": "{% set _ = tables.stations.clear() %}{{ tables.stations|length }}\n",
        "notes/b.md": "{{ tables.stations|length }}\n",
    }
    docs = {
        "templates": "notes",
        "documents": [
            {"name": n, "path": f"{n}.md", "template": f"notes/{n}.md", "summary": n}
            for n in ("a", "b")
        ],
    }
    root = stations(tmp_path / "pkg", docs, files)
    out = tmp_path / "out"
    code, _, stderr = run("a", "b", "--package", str(root), "--out-dir", str(out))
    assert code == 0, stderr
    assert (out / "a.md").read_text(encoding="utf-8") == "0\n"
    assert (out / "b.md").read_text(encoding="utf-8") == "2\n"
