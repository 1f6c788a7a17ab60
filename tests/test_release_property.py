"""Property: whatever validate accepts, release writes, and verify, diff and load read back.

Packages are generated (hypothesis): table names frictionless accepts (leading
underscore, dots, leading digits, hyphens, slashes, device and reserved names), non-ASCII titles, every field type with
valid cells and missing values, tables with and without primary and foreign keys.
"Validate accepts" is ``validate`` with no error and no error of
:mod:`zonedata.validate.publishable` (the checks the release side asks validate to run).
Then the site built from the package and from its release is about that package: its
title, nothing of the pilot-zone dataset, and every page loads in Chromium without a
console error, failed request or script dialog.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from zonedata.descriptor.package import Package
from zonedata.names import file_stem
from zonedata.release.build import build_release
from zonedata.validate.engine import validate_package
from zonedata.validate.publishable import check_publishable

FIRST = "abcdefghijklmnopqrstuvwxyz0123456789_"
REST = FIRST + ".-"
NAME = st.one_of(
    st.builds(lambda a, b: a + b, st.sampled_from(FIRST), st.text(REST, max_size=10)),
    # names Frictionless accepts that are no safe file name as they stand (file_stem's cases)
    st.sampled_from(["a/b", ".hidden", "-x", "x.", "con", "nul.csv", "datapackage", ".."]),
)
TEXT = st.text("abcxyz 空气质量éß✓,\"'", min_size=1, max_size=8).map(str.strip).filter(bool)
GEO = st.tuples(st.integers(-180, 180), st.integers(-90, 90))

#: Each field type: a strategy of valid cells.
CELLS: dict[str, st.SearchStrategy[str]] = {
    "string": TEXT,
    "any": TEXT,
    "integer": st.integers(-(10**6), 10**6).map(str),
    "number": st.decimals(-1000, 1000, places=2, allow_nan=False).map(str),
    "boolean": st.sampled_from(["true", "false"]),
    "date": st.dates().map(lambda d: d.strftime("%Y-%m-%d")).filter(lambda s: len(s) == 10),
    "year": st.integers(1900, 2100).map(str),
    "datetime": st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    "time": st.times().map(lambda t: t.strftime("%H:%M:%S")),
    "yearmonth": st.tuples(st.integers(1900, 2100), st.integers(1, 12)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}"
    ),
    "duration": st.integers(0, 99).map(lambda n: f"P{n}DT{n}H"),
    "geopoint": GEO.map(lambda g: f"{g[0]}, {g[1]}"),
    "object": st.dictionaries(st.sampled_from("abc"), st.integers(0, 9), max_size=2).map(
        json.dumps
    ),
    "array": st.lists(st.integers(0, 9), max_size=3).map(json.dumps),
}


@st.composite
def tables(draw: Any, n_rows: int) -> dict[str, Any]:
    types = draw(st.lists(st.sampled_from(sorted(CELLS)), min_size=1, max_size=4))
    fields = [{"name": f"f{i}_{t}", "type": t} for i, t in enumerate(types)]
    rows = [[draw(st.one_of(st.just(""), CELLS[t])) for t in types] for _ in range(n_rows)]
    return {"fields": fields, "rows": rows}


@st.composite
def packages(draw: Any) -> dict[str, Any]:
    names = draw(st.lists(NAME, min_size=1, max_size=3, unique=True))
    keyed = draw(st.lists(st.booleans(), min_size=len(names), max_size=len(names)))
    out = []
    for name, has_key in zip(names, keyed, strict=True):
        n = draw(st.integers(0, 4))
        t = draw(tables(n))
        if has_key:  # an id 1..n as the primary key; the second table refers to the first
            t["fields"].insert(0, {"name": "id", "type": "integer"})
            for j, row in enumerate(t["rows"], start=1):
                row.insert(0, str(j))
            t["primaryKey"] = ["id"]
        out.append({"name": name, **t})
    if len(out) > 1 and keyed[0] and keyed[1] and len(out[1]["rows"]) <= len(out[0]["rows"]):
        out[1]["foreignKeys"] = [
            {"fields": ["id"], "reference": {"resource": out[0]["name"], "fields": ["id"]}}
        ]
    title = draw(TEXT)
    return {"title": title, "tables": out}


def write(root: Path, spec: dict[str, Any]) -> Path:
    root.mkdir(parents=True)
    resources = []
    for i, t in enumerate(spec["tables"]):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([f["name"] for f in t["fields"]])
        writer.writerows(t["rows"])
        (root / f"t{i}.csv").write_text(buf.getvalue(), "utf-8")
        schema = {k: t[k] for k in ("fields", "primaryKey", "foreignKeys") if k in t}
        resources.append({"name": t["name"], "path": f"t{i}.csv", "schema": schema})
    descriptor = {
        "name": "generated",
        "version": "1.0.0",
        "title": spec["title"],
        "description": "Généré · 生成",
        "resources": resources,
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    return root


def accepted(root: Path) -> bool:
    if validate_package(root).errors:
        return False
    pkg = Package.from_descriptor(json.loads((root / "datapackage.json").read_text("utf-8")), root)
    return not [p for p in check_publishable(pkg, "datapackage.json") if p.severity == "error"]


SETTINGS = settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)


@SETTINGS
@given(packages())
def test_what_validate_accepts_release_writes(spec: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write(Path(tmp) / "pkg", spec)
        assume(accepted(root))
        result = build_release(root, out=Path(tmp) / "dist")
        assert result.folder.name == "generated-1.0.0"
        files = {p.name for p in result.folder.iterdir()}
        for t in spec["tables"]:
            assert f"{file_stem(t['name'])}.parquet" in files
        d = json.loads((result.folder / "datapackage.json").read_text("utf-8"))
        names = [r["name"] for r in d["resources"]]
        assert len(names) == len(set(names))
        assert dict(result.tables) == {t["name"]: len(t["rows"]) for t in spec["tables"]}


#: words of the pilot-zone dataset's pages that must never appear on another package's site
DATASET_WORDS = ("pilot zone", "Pilot zone", "MIIT", "Seed article", "Two programmes", "GDP")


def check_site(browser: Any, source: list[str], out: Path, title: str) -> None:
    from click.testing import CliRunner
    from markupsafe import escape

    from tests.browser import Watch
    from zonedata.cli import cli

    made = CliRunner().invoke(cli, ["site", *source, "--out", str(out)])
    assert made.exit_code == 0, made.output
    home = (out / "index.html").read_text(encoding="utf-8")
    assert str(escape(title)) in home
    assert [w for w in DATASET_WORDS if w in home] == []
    watch = Watch(browser, out)
    try:
        for page in sorted(out.rglob("*.html")):
            watch.goto(page.relative_to(out).as_posix())
        assert watch.problems == []
    finally:
        watch.close()


def check_texts(frame: Any, t: dict[str, Any]) -> None:
    """Text fields load exactly as written (an empty cell is missing)."""
    import pandas as pd

    for i, f in enumerate(t["fields"]):
        if f["type"] in ("string", "any"):
            got = [None if pd.isna(v) else v for v in frame[f["name"]].tolist()]
            assert got == [row[i] or None for row in t["rows"]], f["name"]


@SETTINGS
@given(packages())
def test_what_release_writes_verify_diff_and_load_read_back(
    browser: Any, spec: dict[str, Any]
) -> None:
    import zonedata
    from zonedata.release.diff import diff_releases
    from zonedata.release.verify import verify_release

    with tempfile.TemporaryDirectory() as tmp:
        root = write(Path(tmp) / "pkg", spec)
        assume(accepted(root))
        result = build_release(root, out=Path(tmp) / "dist")
        for target in (result.folder, result.zip_path):
            v = verify_release(target)
            assert v.ok, [(p.code, p.path, p.message) for p in v.problems]
        assert not diff_releases(result.folder, result.zip_path).differences
        for t in spec["tables"]:
            frame = zonedata.load(t["name"], release=result.folder)
            assert frame.shape == (len(t["rows"]), len(t["fields"]))
            check_texts(frame, t)
        check_site(browser, [str(root)], Path(tmp) / "site", spec["title"])
        check_site(browser, ["--release", str(result.folder)], Path(tmp) / "rsite", spec["title"])
