"""Generated documentation: committed files are current, complete, and `zonedata docs` works.

Also checks the hand-written project metadata that has a schema: CITATION.cff against the
Citation File Format 1.2.0 schema (shipped offline by check-jsonschema).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

import zonedata
from zonedata.cli import cli
from zonedata.cli.docs_cmd import all_targets
from zonedata.descriptor.package import read_package
from zonedata.problems import RULES

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
#: the toolkit's files and the documents this package declares (rendered from one
#: validation of the package, shared by the tests of a worker)
TARGETS = all_targets(read_package(REPO), REPO)
TEXT_TARGETS = [n for n, t in TARGETS.items() if t.text]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["docs", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


# -- committed files are current ---------------------------------------------------------


@pytest.mark.parametrize("name", list(TARGETS))
def test_committed_file_is_current(name: str) -> None:
    target = TARGETS[name]
    path = (REPO / "src" / "zonedata" if target.location == "package" else DOCS) / target.filename
    assert path.is_file(), f"{path} is missing: run `zonedata docs`"
    fresh = target.render(read_package(REPO))
    assert path.read_bytes() == fresh, f"docs/{target.filename} is stale: run `zonedata docs`"


@pytest.mark.parametrize("name", list(TARGETS))
def test_generation_is_deterministic(name: str) -> None:
    target = TARGETS[name]
    package = read_package(REPO)
    assert target.render(package) == target.render(package)


def test_the_package_declares_its_own_documents() -> None:
    """The coverage report and the chart are this dataset's, declared in its descriptor;
    the toolkit's own targets know no dataset."""
    declared = [(n, t.filename) for n, t in TARGETS.items() if t.declared]
    assert declared == [
        ("chart", "gdp-chart.svg"),
        ("coverage", "coverage.md"),
        ("sources", "sources.md"),
    ]
    assert [n for n, t in TARGETS.items() if not t.declared] == [
        "dictionary",
        "cli",
        "rules",
        "row-types",
        "pandera-models",
    ]


@pytest.mark.parametrize("name", TEXT_TARGETS)
def test_text_files_are_lf_utf8_with_final_newline(name: str) -> None:
    data = TARGETS[name].render(read_package(REPO))
    text = data.decode("utf-8")
    assert "\r" not in text and text.endswith("\n") and not text.endswith("\n\n")


# -- completeness ------------------------------------------------------------------------


def _sections(markdown: str) -> dict[str, str]:
    """Level-2 heading -> the text up to the next level-2 heading."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def test_dictionary_documents_every_table_and_field() -> None:
    package = read_package(REPO)
    sections = _sections((DOCS / "data-dictionary.md").read_text(encoding="utf-8"))
    for table in package.tables:
        assert table.name in sections, f"no section for table {table.name}"
        body = sections[table.name]
        assert table.path in body
        for field in table.fields:
            assert re.search(rf"^\| `{re.escape(field.name)}` \|", body, re.MULTILINE), (
                f"{table.name}.{field.name} is not documented"
            )
            if field.unit:
                assert field.unit in body
        pk_line = next(line for line in body.splitlines() if line.startswith("- Primary key:"))
        for key in table.primary_key:
            assert f"`{key}`" in pk_line
        for fk in table.foreign_keys:
            assert f"(#{fk.resource})" in body


def test_dictionary_documents_the_derived_tables_from_their_declarations() -> None:
    from zonedata.descriptor import read_package
    from zonedata.docs import md_escape
    from zonedata.validate.derived_checks import declarations

    text = (DOCS / "data-dictionary.md").read_text(encoding="utf-8")
    sections = _sections(text)
    declared = declarations(read_package().descriptor)
    assert [d.name for d in declared] == [
        "zone_overview",
        "city_indicators",
        "city_treatment",
        "city_programme_years",
    ]
    assert "## Derived tables" in text
    for d in declared:
        body = sections[d.name]
        assert f"in releases `{d.name}.csv`" in body
        assert f"Derived by `{d.sql_path}`; its comments give the rules." in body
        assert md_escape(d.table.description) in body
        for f in d.table.fields:
            row = next(line for line in body.splitlines() if line.startswith(f"| `{f.name}` |"))
            assert ("required" if f.required else "optional") in row
        for fk in d.table.foreign_keys:
            assert f"(#{fk.resource})" in body


def test_dictionary_shows_types_constraints_and_partial_dates() -> None:
    body = _sections((DOCS / "data-dictionary.md").read_text(encoding="utf-8"))["city_gdp"]
    row = next(line for line in body.splitlines() if line.startswith("| `gdp_cny_bn` |"))
    assert "number" in row and "billion CNY" in row
    assert "required" in row and "minimum 0" in row and "at most 3 decimals" in row
    sources = _sections((DOCS / "data-dictionary.md").read_text(encoding="utf-8"))["sources"]
    published = next(line for line in sources.splitlines() if line.startswith("| `published` |"))
    assert "partial date" in published
    # a pipe inside a pattern is escaped, so the table keeps its six columns
    assert "0[1-9]\\|1[0-2]" in published
    language = next(line for line in sources.splitlines() if line.startswith("| `language` |"))
    assert "one of `en`, `zh`" in language


def test_the_declared_sources_document_lists_every_source() -> None:
    with (REPO / "data" / "sources.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    body = (DOCS / "sources.md").read_text(encoding="utf-8")
    for row in rows:
        line = next(
            (x for x in body.splitlines() if x.startswith(f"| `{row['source_id']}` |")), None
        )
        assert line is not None, f"source {row['source_id']} is not listed"
        if row["url"]:
            assert f"<{row['url']}>" in line
        if row["published"]:
            assert f"| {row['published']} |" in line


def test_the_dictionary_escapes_what_the_descriptor_says(tmp_path: Path) -> None:
    from zonedata.descriptor.package import read_package
    from zonedata.docs.dictionary import render_text

    markup = "<img src=x onerror=alert(1)> [c](javascript:alert(1))"
    descriptor = {
        "name": "p",
        "version": f"1 {markup}",
        "licenses": [{"name": markup}],
        "sources": [{"title": markup, "path": "javascript:alert(1)"}],
        "resources": [
            {
                "name": "t",
                "path": "t.csv",
                "schema": {"fields": [{"name": "id", "type": "string"}]},
            }
        ],
    }
    (tmp_path / "t.csv").write_text("id\na\n", "utf-8")
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    text = render_text(read_package(tmp_path))
    assert not re.search(r"(?<!\\)<img", text) and "[c](javascript" not in text, text[:600]
    assert "\\<img src=x onerror=alert(1)\\>" in text
    assert "<javascript:" not in text  # an address is linked only when it is http(s)
    assert "source_id" not in text and "Source list" not in text  # nothing of zonedata's


def test_validation_doc_lists_every_rule() -> None:
    text = (DOCS / "validation.md").read_text(encoding="utf-8")
    for code, rule in RULES.items():
        line = next((x for x in text.splitlines() if x.startswith(f"| `{code}` |")), None)
        assert line is not None, f"rule {code} is not documented"
        assert f"| {rule.layer} | {rule.severity} |" in line


def test_cli_doc_has_every_command() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    ctx = cli.make_context("zonedata", [], resilient_parsing=True)
    for name in cli.list_commands(ctx):
        assert f"## `zonedata {name}`" in text
        assert f"Usage: zonedata {name} [OPTIONS]" in text
    assert "## `zonedata`" in text


def test_cli_doc_matches_help_output() -> None:
    """The reference is what `--help` prints at the reference's width."""
    from zonedata.cli.reference import WIDTH

    result = CliRunner().invoke(
        cli, ["validate", "--help"], prog_name="zonedata", terminal_width=WIDTH
    )
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert result.output.rstrip() in text


# -- the coverage report ------------------------------------------------------------------


def _csv(package: Path, table: str) -> list[dict[str, str]]:
    path = package / read_package(package).table(table).path
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def research_gaps(package: Path) -> list[dict[str, Any]]:
    """The documented research gaps: each row of research_gaps, with the field values of
    the row that would fill it (``fills``: ``key=value;...``) and the sources already
    judged not to (``not_from``)."""
    return [
        {
            **g,
            "fills": [tuple(x.split("=", 1)) for x in g["fills"].split(";") if x],
            "not_from": [x for x in g["not_from"].split(";") if x],
        }
        for g in _csv(package, "research_gaps")
    ]


def filled_gaps(package: Path) -> list[tuple[str, str]]:
    """The documented gaps that a row of the data now fills (their rows must go)."""
    filled = []
    for g in research_gaps(package):
        rows = _csv(package, g["table"])
        if g["fills"] and any(
            all(r.get(k) == v for k, v in g["fills"]) and r.get("source_id") not in g["not_from"]
            for r in rows
        ):
            filled.append((g["table"], g["subject"]))
    return filled


def test_coverage_names_the_known_gaps() -> None:
    from zonedata.docs import md_escape

    gaps = _sections((DOCS / "coverage.md").read_text(encoding="utf-8"))["Known gaps"]
    gdp = next(x for x in gaps.splitlines() if x.startswith("- Host cities without a 2018 GDP"))
    assert "`nanjing`" in gdp and "`jinan`" not in gdp
    assert "Documented research gaps" in gaps
    for gap in research_gaps(REPO):
        assert f"| `{gap['table']}` | {md_escape(gap['subject'])} |" in gaps


def test_documented_gaps_are_still_gaps() -> None:
    """A row of research_gaps must go when the fact it lacks is added to the data."""
    assert filled_gaps(REPO) == []


def test_a_gap_ignores_rows_from_the_sources_it_names(package_copy: Path) -> None:
    """Qingdao's official 2018 growth is a gap beside S1's and the forecast's rows; a row
    from any other source fills it."""
    path = package_copy / "data" / "city_growth.csv"
    text = path.read_text(encoding="utf-8")
    row = "qingdao,2018,zaii-2019-11-20,7.4,false,false,A,\n"
    lines = text.splitlines(keepends=True)
    at = next(i for i, x in enumerate(lines) if x.startswith("shanghai,"))
    path.write_text("".join([*lines[:at], row, *lines[at:]]), encoding="utf-8")
    assert filled_gaps(package_copy) == [("city_growth", "qingdao")]


def test_coverage_follows_the_data(package_copy: Path) -> None:
    path = package_copy / "data" / "zone_industries.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(x for x in lines if not x.startswith("most-xian,")), encoding="utf-8")
    coverage = all_targets(read_package(package_copy), package_copy)["coverage"]
    text = coverage.render(read_package(package_copy)).decode("utf-8")
    gaps = _sections(text)["Known gaps"]
    line = next(x for x in gaps.splitlines() if x.startswith("- Zones without focus industries"))
    assert "`most-xian`" in line


def test_coverage_escapes_the_data_for_markdown(package_copy: Path) -> None:
    """A cell with Markdown in it (a pipe, emphasis, a link, HTML) stays text in its cell."""
    path = package_copy / "data" / "research_gaps.csv"
    rows = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = next(csv.reader([rows[1]]))
    fields[1] = "a | b *c* [d](http://x) <script>e</script>"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    path.write_text("".join([rows[0], buf.getvalue(), *rows[2:]]), encoding="utf-8")
    coverage = all_targets(read_package(package_copy), package_copy)["coverage"]
    text = coverage.render(read_package(package_copy)).decode("utf-8")
    row = next(x for x in text.splitlines() if "\\<script" in x)
    assert "a \\| b \\*c\\* \\[d\\](http://x) \\<script\\>e\\</script\\>" in row
    assert row.count(" | ") == 3, "the row keeps its four cells"


# -- the chart ---------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def _chart() -> ET.Element:
    return ET.fromstring((DOCS / "gdp-chart.svg").read_bytes())


def test_chart_shows_every_figure_with_its_source_to_scale() -> None:
    names = {r["city_id"]: r["name_en"] for r in _csv(REPO, "cities")}
    figures = [r for r in _csv(REPO, "city_gdp") if r["year"] == "2018" and r["gdp_cny_bn"]]
    svg = _chart()
    labels = [
        "".join(t.itertext()) for t in svg.iter(f"{SVG}text") if len(t.findall(f"{SVG}tspan")) == 2
    ]
    # one label per figure: the figure exactly as printed, then its source
    assert sorted(labels) == sorted(
        f"{'≈ ' if r['approximate'] == 'true' else ''}{r['gdp_cny_bn']} {r['source_id']}"
        for r in figures
    )
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("height") == "17"]
    assert len(bars) == len(figures) == len(labels)
    # bars to scale: width / value is the same for every bar
    values = {
        f"{r['gdp_cny_bn']} {r['source_id']}".removeprefix("≈ "): float(r["gdp_cny_bn"])
        for r in figures
    }
    scales = [
        float(bar.get("width", 0)) / values[label.removeprefix("≈ ")]
        for bar, label in zip(bars, labels, strict=True)
    ]
    assert max(scales) - min(scales) < 0.001
    # the preferred figure solid, the others hatched; cities by preferred figure
    preferred = [bar.get("fill", "").startswith("#") for bar in bars]
    assert preferred.count(True) == sum(r["preferred"] == "true" for r in figures)
    shown = [
        "".join(t.itertext())
        for t in svg.iter(f"{SVG}text")
        if t.get("x") == "102" and not t.findall(f"{SVG}tspan")
    ]
    headline = {r["city_id"]: float(r["gdp_cny_bn"]) for r in figures if r["preferred"] == "true"}
    assert shown == [names[c] for c in sorted(headline, key=lambda c: -headline[c])]
    assert labels[0].startswith("3267.987 ") and "3270 chinadaily-2019-02-12" in labels
    text = (DOCS / "gdp-chart.svg").read_text(encoding="utf-8")
    assert "billion CNY" in text and "CC BY 4.0" in text and "<title" in text


def test_chart_is_a_picture_the_site_may_show() -> None:
    """No script, event handler or external reference: the site publishes it."""
    from zonedata.site.declared import _active

    data = (DOCS / "gdp-chart.svg").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<svg ')
    assert not _active("gdp-chart.svg", data)
    assert b"http" not in data.replace(b"http://www.w3.org/2000/svg", b"")


# -- the command -------------------------------------------------------------------------


def test_check_exit_codes(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    code, stdout, _ = run("dictionary", "rules", "--check", "--out-dir", str(out))
    assert code == 1 and "missing" in stdout
    assert not out.exists(), "--check writes nothing"

    code, stdout, _ = run("dictionary", "rules", "cli", "--out-dir", str(out))
    assert code == 0 and stdout.count("created") == 3
    assert sorted(p.name for p in out.iterdir()) == [
        "cli.md",
        "data-dictionary.md",
        "validation.md",
    ]

    code, stdout, _ = run("dictionary", "rules", "cli", "--check", "--out-dir", str(out))
    assert code == 0 and stdout.count("up to date") == 3

    code, stdout, _ = run("dictionary", "rules", "cli", "--out-dir", str(out))
    assert code == 0 and stdout.count("unchanged") == 3

    page = out / "validation.md"
    page.write_text(page.read_text(encoding="utf-8").replace("| error |", "| fatal |", 1))
    code, stdout, _ = run("rules", "--check", "--out-dir", str(out))
    assert code == 1
    assert "stale" in stdout and "-| `descriptor-missing` | descriptor | fatal |" in stdout
    assert "+| `descriptor-missing` | descriptor | error |" in stdout
    assert "without --check" in stdout


def test_check_reports_a_changed_descriptor(package_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    out.mkdir()
    shutil.copy2(DOCS / "data-dictionary.md", out / "data-dictionary.md")
    pkg = ["--package", str(package_copy), "--out-dir", str(out)]
    code, stdout, _ = run("dictionary", "--check", *pkg)
    assert code == 0, stdout

    path = package_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"]["fields"][0]["description"] = "A changed description."
    path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    code, stdout, _ = run("dictionary", "--check", *pkg)
    assert code == 1 and "+| `source_id` |" in stdout and "A changed description." in stdout

    code, _, _ = run("dictionary", *pkg)
    assert code == 0
    assert "A changed description." in (out / "data-dictionary.md").read_text(encoding="utf-8")


def test_full_check_of_the_repository_passes() -> None:
    code, stdout, _ = run("--check")
    assert code == 0, stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    code, _, stderr = run("nonsense")
    assert code == 2 and "nonsense" in stderr
    code, _, stderr = run("--package", str(tmp_path / "absent"), "--out-dir", str(tmp_path))
    assert code == 2 and "cannot read the package" in stderr


def test_list_names_the_toolkit_targets_and_the_declared_ones() -> None:
    code, stdout, _ = run("--list")
    assert code == 0
    lines = stdout.splitlines()
    assert [x.split()[0] for x in lines] == list(TARGETS)
    assert re.search(r"^coverage +coverage\.md: which cities", stdout, re.MULTILINE)
    assert stdout.count("(declared by the package)") == 3


def test_a_declared_document_that_cannot_be_made_exits_2(package_copy: Path) -> None:
    """A package that does not validate has no declared documents; nothing is written."""
    out = package_copy / "out"
    path = package_copy / "data" / "city_gdp.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",3030,", ",-3030,"), "utf-8")
    code, _, stderr = run("--package", str(package_copy), "--out-dir", str(out))
    assert code == 2
    assert "chart: the package does not validate" in stderr
    # (a copy is another package than the bundled one: its Python modules only when named)
    assert "(or generate the others only: zonedata docs dictionary cli rules)" in stderr
    assert not out.exists(), "nothing is written when a document cannot be made"
    code, _, _ = run("dictionary", "--package", str(package_copy), "--out-dir", str(out))
    assert code == 0, "the toolkit's own documents need no valid data"


# -- CITATION.cff ------------------------------------------------------------------------


class _NoDatesLoader(yaml.SafeLoader):
    """YAML 1.1 reads 2024-01-01 as a date; CFF (and its JSON schema) wants a string."""


_NoDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _citation() -> dict[str, Any]:
    data = yaml.load((REPO / "CITATION.cff").read_text(encoding="utf-8"), Loader=_NoDatesLoader)
    assert isinstance(data, dict)
    return data


def test_citation_is_valid_cff_1_2_0() -> None:
    pytest.importorskip("check_jsonschema", reason="the CFF schema ships with check-jsonschema")
    resource = files("check_jsonschema.builtin_schemas.vendor") / "citation-file-format.json"
    schema = json.loads(resource.read_text(encoding="utf-8"))
    assert schema["$id"] == "https://citation-file-format.github.io/1.2.0/schema.json"
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(_citation()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_citation_matches_the_package() -> None:
    cff = _citation()
    package = read_package(REPO)
    assert cff["cff-version"] == "1.2.0"
    assert cff["type"] == "dataset"
    assert cff["version"] == package.version == zonedata.__version__
    licenses = [lic["name"] for lic in package.descriptor["licenses"]]
    assert cff["license"] in licenses
    assert cff["authors"] == [{"name": "zonedata contributors"}]


# -- other project files -----------------------------------------------------------------


def test_changelog_has_an_entry_for_this_version() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(zonedata.__version__)}\]", text, re.MULTILINE)


def test_pre_commit_config_runs_ruff_and_validate() -> None:
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: (repo["repo"], h) for repo in config["repos"] for h in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "zonedata-validate", "zonedata-docs"} <= set(hooks)
    repo, validate = hooks["zonedata-validate"]
    assert repo == "local" and validate["language"] == "system"
    assert validate["pass_filenames"] is False
    assert re.search(validate["files"], "data/cities.csv")
    assert re.search(validate["files"], "datapackage.json")
    assert not re.search(validate["files"], "src/zonedata/cli/__init__.py")
