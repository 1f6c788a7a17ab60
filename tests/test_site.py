"""The static data site (``zonedata site``): structure without a browser, then in Chromium.

The browser tests drive Debian's Chromium (/usr/bin/chromium, or $ZONEDATA_CHROMIUM) with the
Playwright client (never `playwright install`: the browser comes from the system).
Where either is missing they are skipped, except in CI (``CI=true``), where a missing
browser is a failure: the site's JavaScript and its file:// behaviour are tested there.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner

import zonedata
from tests.browser import Watch
from tests.hostile import snapshot
from tests.site_packages import FOREIGN_TITLE, build_markup_site, write_foreign
from zonedata.cli import cli
from zonedata.site import MARKER, build_site
from zonedata.site.render import is_http

REPO = Path(__file__).resolve().parent.parent
#: where the browser tests leave their screenshots for review
SCREENSHOTS = REPO / "dist" / "site-screenshots"
HOSTILE_NOTE = '<script>alert("x")</script> & <b>bold</b>'


# --- parsing the built pages ------------------------------------------------------------


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.title = ""
        self._in: list[str] = []
        self.inline_scripts = 0
        self.captions = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._in:
            while self._in and self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title":
            self.title += data
        if self._in and self._in[-1] == "script" and data.strip():
            self.inline_scripts += 1


def parse(path: Path) -> Page:
    p = Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


@functools.cache
def ids_of(path: Path) -> frozenset[str]:
    """The ids of a page, parsed once however many links point into it."""
    return frozenset(parse(path).ids)


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def resolve(page: Path, href: str, site: Path) -> tuple[Path, str]:
    """The file and fragment an internal href points to."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, f"{page}: {href} is not relative"
    target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
    assert target.is_relative_to(site.resolve()), f"{page}: {href} leaves the site"
    return target, unquote(parts.fragment)


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(out)
    return out


@pytest.fixture(scope="module")
def release_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built from a release of a package whose note holds HTML."""
    base = tmp_path_factory.mktemp("release")
    pkg = base / "pkg"
    pkg.mkdir()
    shutil.copy2(REPO / "datapackage.json", pkg / "datapackage.json")
    shutil.copytree(REPO / "data", pkg / "data")
    shutil.copytree(REPO / "site", pkg / "site")
    shutil.copytree(REPO / "docs" / "templates", pkg / "docs" / "templates")
    shutil.copytree(REPO / "derived", pkg / "derived")
    zones = pkg / "data" / "zones.csv"
    old = "One zone in two cities."
    content = zones.read_text(encoding="utf-8")
    assert content.count(old) == 1
    zones.write_text(
        content.replace(old, f'"{HOSTILE_NOTE.replace(chr(34), chr(34) * 2)}"'), "utf-8"
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["release", str(pkg), "--out", str(base / "dist")])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (base / "dist").iterdir() if p.is_dir()]
    out = base / "site"
    result = runner.invoke(cli, ["site", "--release", str(folder), str(pkg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "pages" in result.output
    return out


@pytest.fixture(scope="module")
def foreign_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of a small package of another publisher (city-air-quality)."""
    base = tmp_path_factory.mktemp("foreign")
    out = base / "site"
    build_site(out, write_foreign(base / "pkg"))
    return out


@pytest.fixture(scope="module")
def foreign_release_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site of the foreign package's release (its Parquet, JSON, CSV, SQLite and zip)."""
    base = tmp_path_factory.mktemp("foreign-release")
    runner = CliRunner()
    result = runner.invoke(
        cli, ["release", str(write_foreign(base / "pkg")), "--out", str(base / "dist")]
    )
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (base / "dist").iterdir() if p.is_dir()]
    out = base / "site"
    result = runner.invoke(cli, ["site", "--release", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Left out" not in result.output
    return out


@pytest.fixture(scope="module")
def markup_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The foreign package with <script> and a right-to-left override in every text."""
    return build_markup_site(tmp_path_factory.mktemp("markup"))


#: texts of the pilot-zone dataset that a site about another package must not show
PILOT_TEXT = (
    "Two programmes",
    "pilot",
    "Pilot",
    "Seed article",
    "zones/",
    "gdp-chart",
    "programme",
)


# --- structure, no browser --------------------------------------------------------------


def test_every_page_exists(site: Path) -> None:
    expected = {"index.html", "claims.html", "tables/index.html", "zones/index.html"}
    expected |= {"treatment.html"}
    # every table, the derived ones too (derived for the site as release derives them)
    derived = ["zone_overview", "city_indicators", "city_treatment", "city_programme_years"]
    expected |= {f"tables/{t}.html" for t in [*zonedata.tables(), *derived]}
    expected |= {f"zones/{z}.html" for z in zonedata.load("zones")["zone_id"]}
    built = {p.relative_to(site).as_posix() for p in html_files(site)}
    assert built == expected
    for asset in ("site.css", "site.js", "gdp-chart.svg"):
        assert (site / asset).is_file()


def test_pages_have_language_charset_viewport_and_title(site: Path) -> None:
    titles = set()
    for path in html_files(site):
        source = path.read_text(encoding="utf-8")
        assert source.startswith(
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">'
        )
        page = parse(path)
        assert any(t == "meta" and a.get("name") == "viewport" for t, a in page.tags), path
        assert page.title.strip(), path
        titles.add(page.title)
        # Chinese text is marked as such on the dataset's own pages
        if re.search(r"[\u4e00-\u9fff]", source) and path.parent.name != "tables":
            assert '<span lang="zh">' in source or ' lang="zh">' in source, path
    assert len(titles) == len(html_files(site)), "every page has its own title"


def test_internal_links_resolve_to_files_and_anchors(site: Path) -> None:
    pages = {p.resolve(): parse(p) for p in html_files(site)}
    checked = 0
    for path, page in pages.items():
        for tag, a in page.tags:
            for attr_ in ("href", "src"):
                ref = a.get(attr_)
                if ref is None or (tag == "a" and is_http(ref)):
                    continue
                target, fragment = resolve(path, ref, site)
                assert target.is_file(), f"{path}: {ref} does not exist"
                if fragment:
                    assert fragment in pages[target].ids, f"{path}: no #{fragment} in {ref}"
                checked += 1
    assert checked > 1000


def test_nothing_is_loaded_from_outside_the_site(site: Path, release_site: Path) -> None:
    for root in (site, release_site):
        for path in html_files(root):
            page = parse(path)
            assert page.inline_scripts == 0, f"{path}: inline script"
            for tag, a in page.tags:
                assert not any(k.startswith("on") for k in a), f"{path}: inline handler"
                assert "style" not in a, f"{path}: inline style"
                if tag in ("script", "img", "link", "iframe", "source", "video", "audio"):
                    ref = a.get("src") or a.get("href") or ""
                    assert ref and "//" not in ref and ":" not in ref, f"{path}: {tag} {ref}"
                if tag == "a" and "://" in a.get("href", ""):
                    assert is_http(a["href"]), a["href"]
        css = (root / "site.css").read_text(encoding="utf-8")
        assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_table_pages_have_caption_headers_and_every_row(site: Path) -> None:
    for name in zonedata.tables():
        source = (site / "tables" / f"{name}.html").read_text(encoding="utf-8")
        (table,) = re.findall(r'<table class="data".*?</table>', source, re.S)
        assert "<caption>" in table
        frame = zonedata.load(name)
        assert table.count('<th scope="col"') == len(frame.columns)
        assert "<th>" not in table
        assert table.count("<tr") == len(frame) + 1
        dictionary = re.search(r'<table class="dictionary">.*?</table>', source, re.S)
        assert dictionary is not None
        for field in zonedata.describe(name):
            assert f"<code><bdi>{field.name}</bdi></code>" in dictionary.group()


def test_zone_page_joins_cities_dates_industries_and_sources(site: Path) -> None:
    source = (site / "zones" / "miit-jinan-qingdao.html").read_text(encoding="utf-8")
    assert '<span lang="zh">济南</span>' in source and '<span lang="zh">青岛</span>' in source
    assert "2019-10-14" in source and ">day<" in source
    assert "“<bdi>rail transit</bdi>”" in source
    assert 'href="../tables/sources.html#row-workercn-2019-10-19"' in source
    changsha = (site / "zones" / "miit-changsha.html").read_text(encoding="utf-8")
    assert "<time>2022-09</time>" in changsha and ">month<" in changsha


def test_home_page_tells_the_programmes_apart_and_lists_downloads(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "<strong>11 zones</strong>" in home and "<strong>18 zones</strong>" in home
    assert "国家人工智能创新应用先导区" in home and "国家新一代人工智能创新发展试验区" in home
    # the chart the dataset declares (docs/gdp-chart.svg), at its own size
    chart = (site / "gdp-chart.svg").read_text(encoding="utf-8")
    assert chart == (REPO / "docs" / "gdp-chart.svg").read_text(encoding="utf-8")
    size = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', chart)
    assert size is not None
    assert f'<img src="gdp-chart.svg" width="{size[1]}" height="{size[2]}"' in home
    assert "zonedata contributors" in home and "CITATION.cff" in home
    shown = dict(
        re.findall(r'<a href="(downloads/[^"]+)" download>.*?<code class="hash">(\w+)</code>', home)
    )
    assert len(shown) == len(zonedata.tables()) + 1
    for href, digest in shown.items():
        assert hashlib.sha256((site / href).read_bytes()).hexdigest() == digest


def test_release_site_offers_the_release_files_and_escapes_cells(release_site: Path) -> None:
    home = (release_site / "index.html").read_text(encoding="utf-8")
    shown = dict(
        re.findall(r'<a href="(downloads/[^"]+)" download>.*?<code class="hash">(\w+)</code>', home)
    )
    assert any(h.endswith(".zip") for h in shown)
    released = len(zonedata.tables()) + 4  # and the derived tables
    for ext in ("parquet", "json", "csv"):
        tables = [h for h in shown if h.endswith(f".{ext}") and not h.endswith("/datapackage.json")]
        assert len(tables) == released, ext
    (database,) = [h for h in shown if h.endswith(".sqlite")]
    assert (
        database.endswith(".sqlite")
        and f"<code><bdi>{database.rsplit('/', 1)[1]}</bdi></code> holds" in home
    )
    sizes = re.findall(r'<a href="([^"]+)" download>.*?title="([\d,]+) bytes"', home)
    assert len(sizes) == len(shown)
    for href, size in sizes:
        assert (release_site / href).stat().st_size == int(size.replace(",", "")), href
    for href, digest in shown.items():
        assert hashlib.sha256((release_site / href).read_bytes()).hexdigest() == digest
    zone = (release_site / "zones" / "miit-jinan-qingdao.html").read_text(encoding="utf-8")
    table = (release_site / "tables" / "zones.html").read_text(encoding="utf-8")
    for page in (zone, table):
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
        )
        assert "<script>alert" not in page and "<b>bold" not in page


def test_two_builds_give_the_same_bytes(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build_site(again)
    assert snapshot(again) == snapshot(site)


def test_a_rebuild_replaces_only_what_the_last_build_wrote(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(cli, ["site", "--out", str(out)]).exit_code == 0
    # the user's own files in the site folder (a gh-pages worktree): never touched
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n", encoding="utf-8")
    (out / "CNAME").write_text("data.example.org\n", encoding="utf-8")
    (out / "zones" / "notes.txt").write_text("mine", encoding="utf-8")
    mine = {k: v for k, v in snapshot(out).items() if k.startswith((".git", "CNAME"))}
    foreign = write_foreign(tmp_path / "caq")
    result = runner.invoke(cli, ["site", str(foreign), "--out", str(out)])
    assert result.exit_code == 0, result.output
    after = snapshot(out)
    assert {k: v for k, v in after.items() if k.startswith((".git", "CNAME"))} == mine
    # the bundled site's pages are gone, the folder holding the user's file stays
    assert not (out / "zones" / "miit-beijing.html").exists() and not (out / "claims.html").exists()
    assert (out / "zones" / "notes.txt").read_text(encoding="utf-8") == "mine"
    lines = (out / MARKER).read_text(encoding="utf-8").splitlines()[1:]
    listed = [line.split("  ", 1)[1] for line in lines]  # (the SHA-256, two spaces, the path)
    assert "tables/_stations.html" in listed and "CNAME" not in listed
    assert not any(line.startswith("zones/") for line in listed)


def test_a_folder_without_a_marker_or_with_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(cli, ["site", "--out", str(other)])
    assert result.exit_code == 2 and "no site built by zonedata" in result.output
    assert [p.name for p in other.iterdir()] == ["keep.txt"]
    out = tmp_path / "out"
    foreign = write_foreign(tmp_path / "caq")
    assert runner.invoke(cli, ["site", str(foreign), "--out", str(out)]).exit_code == 0
    (out / "claims.html").write_text("the user's page", encoding="utf-8")
    result = runner.invoke(cli, ["site", "--out", str(out)])
    assert result.exit_code == 2 and "was not written by zonedata site" in result.output
    assert (out / "claims.html").read_text(encoding="utf-8") == "the user's page"
    result = runner.invoke(cli, ["site", "--release", str(tmp_path), "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not a release folder" in result.output


def test_a_foreign_site_is_about_its_package_only(foreign_site: Path) -> None:
    built = {p.relative_to(foreign_site).as_posix() for p in html_files(foreign_site)}
    assert built == {
        "index.html",
        "tables/index.html",
        "tables/_stations.html",
        "tables/readings.annual.html",
        "tables/3day-summary.html",
    }
    home = parse(foreign_site / "index.html")
    assert home.title.strip() == f"\u2068{FOREIGN_TITLE}\u2069"
    for path in html_files(foreign_site):
        source = path.read_text(encoding="utf-8")
        for text in PILOT_TEXT:
            assert text not in source, f"{path}: {text}"
    source = (foreign_site / "index.html").read_text(encoding="utf-8")
    for shown in ("ODbL-1.0", "Air Watch", "Station logs", "2.3.1", "Fine particles"):
        assert shown in source, shown
    readings = (foreign_site / "tables" / "readings.annual.html").read_text(encoding="utf-8")
    assert '<a href="_stations.html#row-nord">nord</a>' in readings
    assert 'id="row-nord"' in (foreign_site / "tables" / "_stations.html").read_text("utf-8")
    downloads = {p.relative_to(foreign_site).as_posix() for p in foreign_site.rglob("*.csv")}
    assert downloads == {
        f"downloads/data/{n}.csv" for n in ("_stations", "readings.annual", "3day-summary")
    }


def test_a_foreign_release_site_offers_every_verified_file(foreign_release_site: Path) -> None:
    tables = {p.name for p in (foreign_release_site / "tables").iterdir()}
    assert {"_stations.html", "readings.annual.html", "3day-summary.html"} <= tables
    home = (foreign_release_site / "index.html").read_text(encoding="utf-8")
    assert not any(text in home for text in PILOT_TEXT)
    offered = {p.name for p in (foreign_release_site / "downloads").rglob("*") if p.is_file()}
    for name in ("_stations", "readings.annual", "3day-summary"):
        assert {f"{name}.parquet", f"{name}.csv", f"{name}.json"} <= offered, name
    assert {"datapackage.json", "SHA256SUMS"} <= offered
    assert any(n.endswith(".zip") for n in offered) and any(n.endswith(".sqlite") for n in offered)


def test_a_yaml_descriptor_gets_a_site(tmp_path: Path) -> None:
    import yaml

    descriptor = write_foreign(tmp_path / "pkg")
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    descriptor.unlink()
    yml = tmp_path / "pkg" / "datapackage.yaml"
    yml.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["site", str(yml), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "downloads" / "datapackage.yaml").read_bytes() == yml.read_bytes()
    assert FOREIGN_TITLE in (out / "index.html").read_text(encoding="utf-8")


def test_links_are_http_only() -> None:
    assert not is_http("javascript:alert(1)") and not is_http("ftp://example.org/x")
    assert is_http("https://example.org/a?b=1&c=2")
    assert not is_http('https://example.org/"onmouseover=')


# --- in Chromium ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "which", ["site", "foreign_site", "release_site", "markup_site", "foreign_release_site"]
)
def test_every_page_loads_cleanly_from_file(
    browser: Any, bounded: None, which: str, request: pytest.FixtureRequest
) -> None:
    site = request.getfixturevalue(which)
    watch = Watch(browser, site)
    try:
        for path in html_files(site):
            rel = path.relative_to(site).as_posix()
            watch.goto(rel)
            assert watch.page.title(), rel
            if rel.startswith("tables/") and rel != "tables/index.html":
                assert watch.page.locator("input.table-filter").count() == 1, rel
            # every link resolves inside the site (or is an http(s) address)
            hrefs = watch.page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
            for href in sorted(set(hrefs)):
                if is_http(href):
                    continue
                assert href.startswith(watch.root), f"{rel}: {href}"
                target = Path(unquote(urlsplit(href).path))
                assert target.is_file(), f"{rel}: {href}"
                fragment = unquote(urlsplit(href).fragment)
                if fragment:
                    assert fragment in ids_of(target), f"{rel}: {href}"
        assert watch.problems == []
    finally:
        watch.close()


def test_filter_and_sort_a_table(browser: Any, bounded: None, site: Path) -> None:
    watch = Watch(browser, site)
    try:
        watch.goto("tables/zones.html")
        rows = watch.page.locator("table.data tbody tr")
        assert rows.count() == 29
        watch.page.fill("input.table-filter", "most-")
        visible = watch.page.locator("table.data tbody tr:not([hidden])")
        assert visible.count() == 18
        assert watch.page.locator("output.row-count").inner_text() == "18 of 29 rows"
        watch.page.fill("input.table-filter", "江苏省")  # Chinese, in one zone's note
        assert visible.count() == 1
        watch.page.fill("input.table-filter", "")
        assert visible.count() == 29

        watch.goto("tables/city_gdp.html")
        column = [
            h.strip()
            for h in watch.page.eval_on_selector_all(
                "table.data thead th", "hs => hs.map(h => h.textContent)"
            )
        ]
        index = next(i for i, h in enumerate(column) if h.startswith("gdp_usd_bn"))
        header = watch.page.locator("table.data thead th").nth(index)

        def values() -> list[str]:
            cells = watch.page.locator(f"table.data tbody tr td:nth-child({index + 1})")
            return [c.strip() for c in cells.all_inner_texts()]

        header.locator("button").click()
        up = values()
        filled = [float(v) for v in up if v]
        assert filled == sorted(filled) and len(filled) >= 2
        assert up[: len(filled)] == [v for v in up if v], "missing values sort last"
        assert header.get_attribute("aria-sort") == "ascending"
        header.locator("button").click()
        down = [float(v) for v in values() if v]
        assert down == sorted(filled, reverse=True)
        assert header.get_attribute("aria-sort") == "descending"
        assert watch.problems == []
    finally:
        watch.close()


def test_download_matches_the_hash_shown_and_screenshots(
    browser: Any, bounded: None, site: Path, release_site: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for root in (release_site, site):
        watch = Watch(browser, root)
        try:
            watch.goto("index.html")
            rows = watch.page.locator("table.downloads tbody tr")
            for row in (0, 1, rows.count() - 1):
                cells = rows.nth(row).locator("td")
                shown = cells.nth(3).inner_text().strip()
                with watch.page.expect_download() as info:
                    # Alt+click is the browser's "download the link" (a JSON file would
                    # otherwise open as a page, since file:// ignores the download attribute)
                    cells.nth(0).locator("a").click(modifiers=["Alt"])
                data = Path(info.value.path()).read_bytes()
                assert hashlib.sha256(data).hexdigest() == shown
            assert watch.problems == []
        finally:
            watch.close()
    watch = Watch(browser, site)
    try:
        watch.goto("index.html")
        watch.page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
        watch.goto("tables/zones.html")
        watch.page.screenshot(path=str(SCREENSHOTS / "table-zones.png"), full_page=True)
    finally:
        watch.close()


def test_foreign_site_in_the_browser_and_screenshots(
    browser: Any, bounded: None, foreign_site: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watch = Watch(browser, foreign_site)
    try:
        watch.goto("index.html")
        assert watch.page.title() == f"\u2068{FOREIGN_TITLE}\u2069"
        assert FOREIGN_TITLE in watch.page.locator("h1").inner_text()
        body = watch.page.locator("body").inner_text()
        assert not any(t in body for t in PILOT_TEXT)
        watch.page.screenshot(path=str(SCREENSHOTS / "foreign-home.png"), full_page=True)
        watch.goto("tables/readings.annual.html")
        assert watch.page.locator("table.data tbody tr").count() == 3
        watch.page.locator('a[href="_stations.html#row-nord"]').first.click()
        watch.page.wait_for_load_state("load")
        assert watch.page.url.endswith("tables/_stations.html#row-nord")
        assert watch.page.locator("#row-nord").is_visible()
        watch.goto("tables/readings.annual.html")
        watch.page.screenshot(path=str(SCREENSHOTS / "foreign-table.png"), full_page=True)
        assert watch.problems == []
    finally:
        watch.close()
    print(f"screenshots for review: {SCREENSHOTS}")


def test_a_zone_page_shows_targets_beside_reported_results(site: Path) -> None:
    """Issue 22: a zone's targets and the results reported for its city, side by side."""
    page = (site / "zones" / "miit-chengdu.html").read_text(encoding="utf-8")
    section = page[page.index("Targets and reported results") :]
    assert "more than 20 by 2020" in section and "reached 20 in 2020" in section
    assert "chinanews-2021-05-28-chengdu-miit-zone" in section
