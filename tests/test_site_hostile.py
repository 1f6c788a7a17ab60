"""Hostile packages and releases given to ``zonedata site`` (issue 23), each bounded.

Every case runs ``zonedata site`` in a child process limited in time and memory
(:mod:`tests.hostile`), then looks at what was written: markup shown as text, only
verified files of a release's own types published, what is refused said clearly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.hostile import run_cli, snapshot
from tests.site_packages import RLO, build_markup_site, write_foreign
from tests.smallpkg import city_air_quality, csv_resource, package

REPO = Path(__file__).resolve().parent.parent


def _site(*args: str) -> Any:
    return run_cli("site", *args, timeout=120)


# --- markup from the package ---------------------------------------------------------------


@pytest.fixture(scope="module")
def markup_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_markup_site(tmp_path_factory.mktemp("markup"))


def test_markup_in_titles_descriptions_authors_is_text(markup_site: Path) -> None:
    pages = sorted(markup_site.rglob("*.html"))
    assert len(pages) == 5
    for page in pages:
        source = page.read_text(encoding="utf-8")
        assert "<script>alert" not in source, page
        assert source.count("<script") == 1, page  # site.js only
    home = (markup_site / "index.html").read_text(encoding="utf-8")
    # the CITATION.cff author (and message), the contributor, the title and the licence
    assert home.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    table = (markup_site / "tables" / "readings.annual.html").read_text(encoding="utf-8")
    assert "Mean PM2.5 &lt;script&gt;" in table and "Station &lt;script&gt;" in table


def test_right_to_left_overrides_are_isolated(markup_site: Path) -> None:
    for page in sorted(markup_site.rglob("*.html")):
        source = page.read_text(encoding="utf-8")
        body = source.split("<body>", 1)[1]
        for line in body.splitlines():
            at = line.find(RLO)
            while at != -1:  # every override sits inside a <bdi> (or an isolate)
                before = line[:at]
                assert before.rfind("<bdi>") > before.rfind("</bdi>"), (page, line[:200])
                at = line.find(RLO, at + 1)
        head = source.split("<body>", 1)[0]
        if RLO in head:
            title = head.split("<title>", 1)[1].split("</title>", 1)[0]
            assert title.count("\u2068") == title.count("\u2069") >= 1


# --- packages the site refuses ---------------------------------------------------------------


def test_an_invalid_package_is_refused_with_the_report(tmp_path: Path) -> None:
    package = write_foreign(tmp_path / "pkg")
    stations = tmp_path / "pkg" / "data" / "_stations.csv"
    stations.write_text(stations.read_text("utf-8") + "nord,Again,2001-01-01,maybe,x\n", "utf-8")
    out = tmp_path / "site"
    result = _site(str(package), "--out", str(out))
    assert result.code == 1, result.output
    assert "invalid" in result.stderr and "_stations.csv" in result.stderr
    assert not out.exists()


def _declare(tmp_path: Path, declaration: dict[str, Any], templates: dict[str, str]) -> Path:
    package = write_foreign(tmp_path / "pkg")
    descriptor = json.loads(package.read_text("utf-8"))
    descriptor["zonedata:site"] = declaration
    package.write_text(json.dumps(descriptor), "utf-8")
    for name, text in templates.items():
        (tmp_path / "pkg" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text, "utf-8")
    return package


PAGE = '{% extends "zonedata/page.html" %}{% block main %}{{ row.name }}{% endblock %}'


#: declarations the site refuses: (declaration, template, words of the message, exit
#: code): 1 where validate reports the declaration (site-invalid: the package is
#: invalid), 2 where only rendering it shows what is wrong
BAD_DECLARATIONS = [
    ({"templates": "../x"}, PAGE, "'.' or '..' part", 1),
    ({"pages": [{"path": "tables/x.html", "template": "t/p.html"}]}, PAGE, "generic site", 1),
    ({"pages": [{"path": "/etc/x.html", "template": "t/p.html"}]}, PAGE, "absolute", 1),
    (
        {"pages": [{"path": "s/{name}.html", "template": "t/p.html", "each": "_stations"}]},
        PAGE,
        "cannot name a page",
        2,
    ),
    (
        {"pages": [{"path": "p.html", "template": "t/p.html"}]},
        "{{ ''.__class__.__mro__ }}",
        "template t/p.html",
        2,
    ),
    ({"files": {"x.html": "data/_stations.csv"}}, PAGE, "only pictures", 1),
    (  # the sandbox's own bound on ranges, and a bound on products
        {"pages": [{"path": "p.html", "template": "t/p.html"}]},
        "{% for i in range(100000000) %}{{ i }}{% endfor %}",
        "template t/p.html",
        2,
    ),
    (
        {"pages": [{"path": "p.html", "template": "t/p.html"}]},
        "{{ 'x' * 3000000000 }}",
        "template t/p.html",
        2,
    ),
]


@pytest.mark.parametrize(("declaration", "template", "message", "code"), BAD_DECLARATIONS)
def test_a_bad_declaration_is_refused_clearly(
    tmp_path: Path, declaration: dict[str, Any], template: str, message: str, code: int
) -> None:
    package = _declare(tmp_path, {"templates": "t", **declaration}, {"t/p.html": template})
    result = _site(str(package), "--out", str(tmp_path / "site"))
    assert result.code == code, result.output
    assert message in result.stderr and "Traceback" not in result.stderr
    assert ("site-invalid" in result.stderr) == (code == 1), result.stderr
    assert not (tmp_path / "site").exists()


def test_a_declared_page_per_row_is_built_in_the_sandbox(tmp_path: Path) -> None:
    declaration = {
        "templates": "t",
        "pages": [{"path": "s/{station_id}.html", "template": "t/p.html", "each": "_stations"}],
    }
    package = _declare(tmp_path, declaration, {"t/p.html": PAGE})
    result = _site(str(package), "--out", str(tmp_path / "site"))
    assert result.code == 0, result.output
    assert "Porte d’Orléans" in (tmp_path / "site" / "s" / "sud.html").read_text("utf-8")
    stations = (tmp_path / "site" / "tables" / "_stations.html").read_text("utf-8")
    assert '<a href="../s/sud.html">sud</a>' in stations


# --- releases: only verified files of a release's own types ----------------------------------


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled package's release folder (its zip beside it)."""
    base = tmp_path_factory.mktemp("release")
    result = run_cli("release", str(REPO), "--out", str(base / "dist"), timeout=120)
    assert result.code == 0, result.output
    (folder,) = [p for p in (base / "dist").iterdir() if p.is_dir()]
    return folder


def _copy(release: Path, tmp_path: Path) -> Path:
    target = tmp_path / "dist" / release.name
    shutil.copytree(release, target)
    shutil.copy2(release.parent / f"{release.name}.zip", target.parent)
    return target


def _rehash(folder: Path, rel: str, data: bytes) -> None:
    """Record ``data`` as the bytes of ``rel`` in the release's descriptor."""
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    for r in descriptor["resources"]:
        if r["path"] == rel:
            r["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            r["bytes"] = len(data)
    path.write_text(json.dumps(descriptor), "utf-8")


def test_a_symlink_in_a_release_is_refused(release: Path, tmp_path: Path) -> None:
    folder = _copy(release, tmp_path)
    secret = tmp_path / "secret.json"
    secret.write_text('{"password": "x"}', "utf-8")
    (folder / "cities.json").unlink()
    os.symlink(secret, folder / "cities.json")
    _rehash(folder, "cities.json", secret.read_bytes())
    out = tmp_path / "site"
    result = _site("--release", str(folder), "--out", str(out))
    assert result.code == 2, result.output
    assert "cities.json" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_a_file_changed_after_hashing_is_refused(release: Path, tmp_path: Path) -> None:
    folder = _copy(release, tmp_path)
    data = (folder / "cities.csv").read_bytes()
    (folder / "cities.csv").write_bytes(data.replace(b"Beijing", b"Beijinx", 1))  # same size
    out = tmp_path / "site"
    result = _site("--release", str(folder), "--out", str(out))
    assert result.code == 2, result.output
    assert "cities.csv" in result.stderr and "sha256" in result.stderr.lower()
    assert not out.exists()


def test_other_types_and_unverified_extras_are_left_out_and_reported(
    release: Path, tmp_path: Path
) -> None:
    folder = _copy(release, tmp_path)
    page = b"<script>alert(document.cookie)</script>"
    (folder / "evil.html").write_bytes(page)
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text("utf-8"))
    digest = hashlib.sha256(page).hexdigest()
    descriptor["resources"].append(
        {"name": "evil", "path": "evil.html", "hash": f"sha256:{digest}"}
    )
    path.write_text(json.dumps(descriptor), "utf-8")
    with (folder / "SHA256SUMS").open("a") as f:
        f.write(f"{'0' * 64}  cities.csv\n")
    # the zip beside the folder now holds another descriptor: not the release shown
    out = tmp_path / "site"
    result = _site("--release", str(folder), "--out", str(out))
    assert result.code == 0, result.output
    for name in ("evil.html", "SHA256SUMS", f"{folder.name}.zip"):
        assert f"Left out: {name}" in result.stderr or f"'{name}'" in result.stderr, name
    written = snapshot(out)
    assert not any(k.endswith(("evil.html", "SHA256SUMS", ".zip")) for k in written)
    assert page.decode() not in (out / "index.html").read_text("utf-8")


def test_a_verified_release_publishes_the_bytes_it_verified(release: Path, tmp_path: Path) -> None:
    folder = _copy(release, tmp_path)
    out = tmp_path / "site"
    result = _site("--release", str(folder), "--out", str(out))
    assert result.code == 0, result.output
    left_out = [line for line in result.stderr.splitlines() if line.startswith("Left out")]
    assert all("zonedata:site" in line for line in left_out), left_out
    published = out / "downloads" / folder.name
    for path in sorted(folder.iterdir()):
        assert (published / path.name).read_bytes() == path.read_bytes(), path.name
    zipped = out / "downloads" / f"{folder.name}.zip"
    assert zipped.read_bytes() == (folder.parent / f"{folder.name}.zip").read_bytes()


def test_an_alias_bomb_in_citation_cff_is_not_expanded(tmp_path: Path) -> None:
    levels = ["a: &a ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x']"]
    for i in range(1, 9):
        levels.append(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join(['*' + chr(96 + i)] * 9)}]")
    cff = "\n".join(levels) + "\ntitle: *i\nmessage: *i\nauthors:\n  - name: *i\n"
    package = write_foreign(tmp_path / "pkg", cff=cff)
    out = tmp_path / "site"
    result = run_cli("site", str(package), "--out", str(out), timeout=60, memory=1 << 30)
    assert result.code == 0, result.output
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "Air Watch" in home  # the authors come from the descriptor instead
    assert home.count("x") < 10_000


@pytest.mark.parametrize(
    "nesting",
    ["x: " + "[" * 5000 + "]" * 5000, "x:\n" + "".join("  " * i + "- \n" for i in range(3000))],
    ids=["flow", "block"],
)
def test_a_citation_cff_nested_too_deeply_is_a_clear_refusal(tmp_path: Path, nesting: str) -> None:
    package = write_foreign(tmp_path / "pkg", cff="cff-version: 1.2.0\n" + nesting)
    result = run_cli("site", str(package), "--out", str(tmp_path / "site"), timeout=60)
    assert result.code == 2, result.output
    assert "CITATION.cff is not valid YAML" in result.output, result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "site").exists()


def test_a_symlinked_folder_in_the_site_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    package = write_foreign(tmp_path / "pkg")
    out = tmp_path / "site"
    assert _site(str(package), "--out", str(out)).code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(out / "tables")
    os.symlink(outside, out / "tables")
    result = _site(str(package), "--out", str(out))
    assert result.code == 2, result.output
    assert "'tables' in the output folder is a symlink; nothing was written" in result.output
    assert list(outside.iterdir()) == []  # no folder made through the link
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == {p: b for p, b in before.items() if "tables" not in p.relative_to(out).parts}


def test_a_table_named_index_keeps_the_tables_list_page(tmp_path: Path) -> None:
    package = city_air_quality(tmp_path / "pkg", names=("index", "readings.annual", "3day"))
    out = tmp_path / "site"
    assert _site(str(package), "--out", str(out)).code == 0
    listing = (out / "tables" / "index.html").read_text("utf-8")
    for page in ("~rindex.html", "readings.annual.html", "3day.html"):
        assert (out / "tables" / page).is_file(), page
        assert f'href="../tables/{page}"' in listing, page


def test_two_resources_sharing_one_file_publish_it_once(tmp_path: Path) -> None:
    root = tmp_path / "pkg"
    fields = [{"name": "id", "type": "string"}, {"name": "v", "type": "string"}]
    first = csv_resource(root, "a", "id,v\nx,1\n", fields)
    package(root, [first, {**first, "name": "b"}])
    out = tmp_path / "site"
    result = _site(str(root), "--out", str(out))
    assert result.code == 0, result.output
    assert (out / "downloads" / first["path"]).read_text("utf-8") == "id,v\nx,1\n"
    assert (out / "tables" / "a.html").is_file() and (out / "tables" / "b.html").is_file()


def test_a_hostile_marker_never_removes_files_outside_the_site(tmp_path: Path) -> None:
    package = write_foreign(tmp_path / "pkg")
    out = tmp_path / "site"
    assert _site(str(package), "--out", str(out)).code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine", "utf-8")
    (tmp_path / "near.txt").write_text("mine", "utf-8")
    os.symlink(outside, out / "link")
    marker = out / ".zonedata-site"
    lines = marker.read_text("utf-8").splitlines()
    marker.write_text(
        "\n".join([*lines, "../near.txt", "link/keep.txt", str(outside / "keep.txt")]) + "\n",
        "utf-8",
    )
    before = snapshot(tmp_path / "outside")
    result = _site(str(package), "--out", str(out))
    assert result.code == 0, result.output
    assert snapshot(tmp_path / "outside") == before
    assert (tmp_path / "near.txt").read_text("utf-8") == "mine"


def test_a_marker_never_removes_the_users_files_inside_the_site(tmp_path: Path) -> None:
    """Files listed in a tampered marker, with their true hashes even, stay when they are
    in a hidden folder (a gh-pages worktree's .git) or of a kind a site never writes; a
    page changed since the build is not overwritten."""
    import hashlib

    package = write_foreign(tmp_path / "pkg")
    out = tmp_path / "site"
    assert _site(str(package), "--out", str(out)).code == 0
    (out / ".git").mkdir()
    (out / ".git" / "config").write_text("[core]\n", "utf-8")
    (out / "MINE.txt").write_text("keep", "utf-8")
    marker = out / ".zonedata-site"
    listed = [
        f"{hashlib.sha256((out / rel).read_bytes()).hexdigest()}  {rel}"
        for rel in (".git/config", "MINE.txt")
    ]
    marker.write_text(marker.read_text("utf-8") + "\n".join(listed) + "\n", "utf-8")
    result = _site(str(package), "--out", str(out))
    assert result.code == 0, result.output
    assert (out / ".git" / "config").read_text("utf-8") == "[core]\n"
    assert (out / "MINE.txt").read_text("utf-8") == "keep"
    (out / "index.html").write_text("edited by hand", "utf-8")
    refused = _site(str(package), "--out", str(out))
    assert refused.code == 2 and "changed since" in refused.output, refused.output
    assert (out / "index.html").read_text("utf-8") == "edited by hand"


def test_a_declaration_may_be_named_like_a_site_file(tmp_path: Path) -> None:
    """Only the paths a site writes are checked against its own (a declaration file named
    site.json beside the descriptor is no site.js)."""
    package = write_foreign(tmp_path / "pkg")
    descriptor = json.loads(package.read_text("utf-8"))
    descriptor["zonedata:site"] = "site.json"
    package.write_text(json.dumps(descriptor), "utf-8")
    (tmp_path / "pkg" / "site.json").write_text(json.dumps({"templates": "t"}), "utf-8")
    (tmp_path / "pkg" / "t").mkdir()
    result = _site(str(package), "--out", str(tmp_path / "site"))
    assert result.code == 0, result.output


@pytest.mark.parametrize(
    "svg",
    [
        "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(document.domain)</script></svg>",
        "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        "<svg xmlns='http://www.w3.org/2000/svg'><a href='javascript:alert(1)'>x</a></svg>",
        # spelled with character references, which the browser decodes
        "<svg xmlns='http://www.w3.org/2000/svg'>"
        "<a xlink:href='jav&#x61;script&#x3a;alert(document.domain)'>x</a></svg>",
        "<svg xmlns='http://www.w3.org/2000/svg'><image href='https://tracker.example/x'/></svg>",
        # a style sheet: an escaped @import, and a picture fetched from elsewhere
        '@\\69mport url("https://evil.example/a.css");',
        "body{background:url(//tracker.example/x.png)}",
        # the re-sweep's spellings: a namespaced script, a tab in the scheme, an entity,
        # a backslash for a slash, a comment before the address, image-set()
        "<svg xmlns='http://www.w3.org/2000/svg'><x:script xmlns:x='http://www.w3.org/2000/svg'>"
        "alert(1)</x:script></svg>",
        "<svg xmlns='http://www.w3.org/2000/svg'><a href='java&#9;script:alert(1)'>x</a></svg>",
        "<!DOCTYPE svg [<!ENTITY a 'java'>]><svg xmlns='http://www.w3.org/2000/svg'/>",
        "<svg xmlns='http://www.w3.org/2000/svg'><image href='/\\e.example/a.png'/></svg>",
        'body{background:url(/*x*/"https://e.example/x.png")}',
        'body{background:image-set("https://e.example/y.png" 1x)}',
    ],
)
def test_a_declared_picture_that_runs_code_is_refused(tmp_path: Path, svg: str) -> None:
    name = "e.css" if svg.startswith(("@", "body")) else "e.svg"  # (a style sheet or an SVG)
    package = _declare(
        tmp_path, {"templates": "t", "files": {f"x{name[1:]}": f"t/{name}"}}, {f"t/{name}": svg}
    )
    result = _site(str(package), "--out", str(tmp_path / "site"))
    assert result.code == 2 and "runs no code" in result.stderr, result.output
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("path", ["INDEX.html", "Tables/index.html", "DOWNLOADS/x.html"])
def test_a_declared_page_that_differs_from_the_sites_own_only_in_case_is_refused(
    tmp_path: Path, path: str
) -> None:
    package = _declare(
        tmp_path,
        {"templates": "t", "pages": [{"path": path, "template": "t/p.html"}]},
        {"t/p.html": "<p>x</p>"},
    )
    result = _site(str(package), "--out", str(tmp_path / "site"))
    assert result.code == 1, result.output  # validate refuses the package
    assert "site-invalid" in result.output and "is a path the generic site writes" in result.output
    assert not (tmp_path / "site").exists()


def test_two_declared_pages_that_differ_only_in_case_are_refused(tmp_path: Path) -> None:
    pages = [
        {"path": "zones.html", "template": "t/p.html", "nav": "a"},
        {"path": "Zones.html", "template": "t/p.html", "nav": "b"},
    ]
    package = _declare(tmp_path, {"templates": "t", "pages": pages}, {"t/p.html": "<p>x</p>"})
    result = _site(str(package), "--out", str(tmp_path / "site"))
    assert result.code == 2, result.output
    assert "differ only in case" in result.output
    assert not (tmp_path / "site").exists()
