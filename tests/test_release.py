"""``zonedata release``: layout, formats, reproducibility, atomicity."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.helpers import unchecked
from zonedata.cli import cli
from zonedata.descriptor import bundled_package_path, read_package
from zonedata.descriptor.arrow import arrow_schema
from zonedata.release import build
from zonedata.release.build import FALLBACK_EPOCH, SLOW_ENV, build_release
from zonedata.release.verify import verify_release
from zonedata.validate.derived_checks import declarations

PACKAGE = bundled_package_path()
PKG = read_package(PACKAGE)
VERSION = PKG.version
TABLES = PKG.table_names
#: the tables the package declares in zonedata:derived, which the release derives
DECLARED = declarations(PKG.descriptor)
DERIVED = ["zone_overview", "city_indicators", "city_treatment", "city_programme_years"]
RELEASED = TABLES + DERIVED
DATABASE = f"zonedata-{VERSION}.sqlite"


def real_validator_available() -> bool:
    try:
        import zonedata.validate.semantic  # noqa: F401
        from zonedata.validate import validate_package  # noqa: F401
    except ImportError:
        return False
    return True


class StubReport:
    """Stands in for ``zonedata.validate.Report`` while the validator is not installed."""

    def __init__(self, errors: int = 0) -> None:
        from types import SimpleNamespace

        self.problems = [
            SimpleNamespace(code="type-error", severity="error", message=f"stub error {i}")
            for i in range(errors)
        ]
        self.errors = list(self.problems)
        self.warnings: list[Any] = []


def stub_validation_if_missing(mp: pytest.MonkeyPatch) -> None:
    if not real_validator_available():
        mp.setattr(build, "run_validation", lambda path: StubReport())


#: Runs the CLI in a subprocess, with the validation stub when the validator is missing.
DRIVER = """
import sys
import zonedata.release.build as build
try:
    import zonedata.validate.semantic
    from zonedata.validate import validate_package
except ImportError:
    class _Report:
        problems, errors, warnings = [], [], []
    build.run_validation = lambda path: _Report()
from zonedata.cli import main
main(sys.argv[1:])
"""


def run_cli(*args: str, env: dict[str, str] | None = None, **kw: Any) -> subprocess.Popen[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args], env=full_env, text=True, encoding="utf-8", **kw
    )


def git_epoch() -> int:
    """What the build should use with SOURCE_DATE_EPOCH unset, found independently."""
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct", "--", "data", "datapackage.json", "derived"],
            cwd=PACKAGE.parent,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return FALLBACK_EPOCH
    return int(out.stdout) if out.returncode == 0 and out.stdout.strip() else FALLBACK_EPOCH


def tree(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One release of the bundled package, built once for the read-only tests."""
    out = tmp_path_factory.mktemp("dist")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        stub_validation_if_missing(mp)
        build_release(PACKAGE, out=out)
    yield out


@pytest.fixture
def validation(monkeypatch: pytest.MonkeyPatch) -> None:
    stub_validation_if_missing(monkeypatch)


# --- layout ------------------------------------------------------------------------


def test_layout(released: Path) -> None:
    stem = f"zonedata-{VERSION}"
    assert sorted(p.name for p in released.iterdir()) == [stem, f"{stem}.zip"]
    expected = sorted(
        [f"{t}.{ext}" for t in RELEASED for ext in ("parquet", "json", "csv")]
        + ["SHA256SUMS", "datapackage.json", DATABASE]
    )
    assert sorted(p.name for p in (released / stem).iterdir()) == expected
    with zipfile.ZipFile(released / f"{stem}.zip") as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == [f"{stem}/{n}" for n in sorted(expected)]
        for i in infos:
            assert i.extra == b""
            assert i.external_attr >> 16 == 0o100644
            assert i.create_system == 3
            assert i.compress_type == zipfile.ZIP_STORED
            assert i.date_time == time.gmtime(git_epoch())[:6]
            assert zf.read(i) == (released / i.filename).read_bytes()
        assert zf.comment == b""


def test_checksums(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    lines = (folder / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    names = [line.split("  ", 1)[1] for line in lines]
    assert names == sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    for line in lines:
        m = re.fullmatch(r"([0-9a-f]{64})  (\S+)", line)
        assert m, line
        assert hashlib.sha256((folder / m.group(2)).read_bytes()).hexdigest() == m.group(1)
    if shutil.which("sha256sum"):
        subprocess.run(
            ["sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"], cwd=folder, check=True
        )


def test_release_descriptor(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    src = PKG.descriptor
    assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert d["version"] == VERSION
    for key in ("name", "title", "licenses", "sources", "contributors", "keywords"):
        assert d[key] == src[key]
    by_name = {r["name"]: r for r in d["resources"]}
    assert len(d["resources"]) == 3 * len(RELEASED) + 1
    # format by format, tables in the package's order, the overview tables last
    assert [r["name"] for r in d["resources"]] == [
        *RELEASED,
        *(f"{t}-json" for t in RELEASED),
        *(f"{t}-csv" for t in RELEASED),
        "zonedata-sqlite",
    ]
    for t in PKG.tables:
        for name, path, fmt, mediatype in (
            (t.name, f"{t.name}.parquet", "parquet", "application/vnd.apache.parquet"),
            (f"{t.name}-json", f"{t.name}.json", "json", "application/json"),
            (f"{t.name}-csv", f"{t.name}.csv", "csv", "text/csv"),
        ):
            r = by_name[name]
            data = (folder / path).read_bytes()
            assert (r["path"], r["format"], r["mediatype"]) == (path, fmt, mediatype)
            assert r["type"] == "table"
            assert r["zonedata:bytes"] == len(data)
            assert r["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert r["schema"] == t.descriptor["schema"]
            assert "scheme" not in r
            assert ("dialect" in r) == (fmt == "csv" and "dialect" in t.descriptor)
    db = by_name["zonedata-sqlite"]
    data = (folder / DATABASE).read_bytes()
    assert db == {
        "name": "zonedata-sqlite",
        "title": "SQLite database",
        "description": db["description"],
        "path": DATABASE,
        "format": "sqlite",
        "mediatype": "application/vnd.sqlite3",
        "zonedata:bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
        "zonedata:sqlite": {
            "sqliteVersion": sqlite3.sqlite_version,
            "tables": {t: len(pq.read_table(folder / f"{t}.parquet")) for t in RELEASED},
        },
    }


def test_csv_files_are_the_canonical_bytes(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    for t in PKG.tables:
        assert (folder / f"{t.name}.csv").read_bytes() == PKG.file(t).read_bytes(), t.name


def test_derived_tables_in_the_descriptor(released: Path) -> None:
    """Each declared table is a resource of the release, with its schema and its SQL; the
    declarations themselves (which name files of the package) are not copied."""
    d = json.loads((released / f"zonedata-{VERSION}" / "datapackage.json").read_text("utf-8"))
    assert "zonedata:derived" not in d
    assert "zonedata:docs" not in d and "zonedata:docs" in PKG.descriptor  # nor its documents'
    by_name = {r["name"]: r for r in d["resources"]}
    assert [x.name for x in DECLARED] == DERIVED
    for x, declared in zip(DECLARED, PKG.descriptor["zonedata:derived"], strict=True):
        r = by_name[x.name]
        assert r["schema"] == declared["schema"]
        sql = (PACKAGE.parent / declared["sqlPath"]).read_text(encoding="utf-8")
        assert r["zonedata:derived"] == {"sqlPath": declared["sqlPath"], "sql": sql}
        assert r["description"] == declared["description"]
        assert all(f["description"] for f in r["schema"]["fields"])


def test_frictionless_accepts_the_descriptor(released: Path) -> None:
    from frictionless import Package

    d = json.loads(
        (released / f"zonedata-{VERSION}" / "datapackage.json").read_text(encoding="utf-8")
    )
    report = Package.validate_descriptor(d)
    assert report.valid, report.flatten(["type", "message"])


def test_frictionless_validates_the_release(released: Path) -> None:
    """``frictionless validate dist/zonedata-V/datapackage.json`` reports the release valid.

    Frictionless reads Parquet with pyarrow (installed) and JSON with ijson, which is
    the ``frictionless[json]`` extra.
    """
    pytest.importorskip(
        "ijson", reason="frictionless needs its [json] extra (ijson) to read JSON resources"
    )
    import frictionless

    report = frictionless.validate(str(released / f"zonedata-{VERSION}" / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])
    assert report.stats["tasks"] == 3 * len(RELEASED) + 1


# --- formats -----------------------------------------------------------------------


def csv_rows(table: str) -> list[dict[str, str]]:
    with open(PKG.file(table), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def json_rows(folder: Path, table: str) -> list[dict[str, Any]]:
    """The JSON rows with every number kept as its token text (tagged ``("num", text)``)."""
    text = (folder / f"{table}.json").read_text(encoding="utf-8")
    rows: list[dict[str, Any]] = json.loads(
        text, parse_float=lambda s: ("num", s), parse_int=lambda s: ("num", s)
    )
    return rows


@pytest.mark.parametrize("table", TABLES)
def test_round_trip(released: Path, table: str) -> None:
    """CSV -> Parquet -> JSON: the same values as the CSV text, missing values included."""
    folder = released / f"zonedata-{VERSION}"
    t = PKG.table(table)
    source = csv_rows(table)
    from_json = json_rows(folder, table)
    from_parquet = pq.read_table(folder / f"{table}.parquet").to_pylist()
    assert len(source) == len(from_json) == len(from_parquet)
    for line, (s, j, p) in enumerate(zip(source, from_json, from_parquet, strict=True), start=2):
        assert list(j) == t.field_names, line
        for f in t.fields:
            text, jv, pv = s[f.name], j[f.name], p[f.name]
            where = f"{table}.csv line {line} field {f.name}"
            if text == "":
                assert jv is None and pv is None, where
            elif f.kind == "number":
                assert jv == ("num", text), where  # the token exactly as in the CSV
                assert pv == Decimal(text), where
                assert isinstance(pv, Decimal) and -pv.as_tuple().exponent == f.decimals, where
            elif f.kind in ("integer", "year"):
                assert jv == ("num", str(int(text))), where
                assert pv == int(text), where
            elif f.kind == "boolean":
                assert jv is (text in f.true_values) and pv is jv, where
            else:
                assert jv == text and pv == text, where


def test_json_formatting(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    rates = (folder / "exchange_rates.json").read_text(encoding="utf-8")
    assert '"cny_per_usd": 7.0680,' in rates  # never through a float
    assert '"cny_per_eur": null,' in rates
    gdp = (folder / "city_gdp.json").read_text(encoding="utf-8")
    assert '"gdp_cny_bn": 2400,' in gdp and '"approximate": false,' in gdp
    all_text = "".join((folder / f"{t}.json").read_text(encoding="utf-8") for t in TABLES)
    assert re.search(r"[\u4e00-\u9fff]", all_text), "the data should exercise Chinese text"
    assert "\\u" not in all_text  # Chinese as characters
    for t in TABLES:
        text = (folder / f"{t}.json").read_text(encoding="utf-8")
        lines = text.split("\n")
        assert text.endswith("]\n") and lines[0] == "["
        rows = lines[1:-2]
        assert len(rows) == len(csv_rows(t))
        assert all(r.startswith("{") and r.rstrip(",").endswith("}") for r in rows)


def test_parquet_types_and_metadata(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    for t in PKG.tables:
        path = folder / f"{t.name}.parquet"
        schema = pq.read_schema(path)
        want = arrow_schema(t)
        assert [(f.name, f.type, f.nullable) for f in schema] == [
            (f.name, f.type, f.nullable) for f in want
        ]
        for f, field in zip(t.fields, schema, strict=True):
            meta = field.metadata
            assert meta[b"title"].decode() == f.title
            assert meta[b"description"].decode() == f.description
            assert meta.get(b"unit", b"").decode() == (f.unit or "")
        assert schema.metadata[b"zonedata:table"] == t.name.encode()
        assert schema.metadata[b"zonedata:package"] == b"zonedata"
        assert schema.metadata[b"zonedata:version"] == VERSION.encode()
        md = pq.ParquetFile(path).metadata
        assert md.created_by.startswith("parquet-cpp-arrow version ")
        for rg in range(md.num_row_groups):
            for c in range(md.num_columns):
                col = md.row_group(rg).column(c)
                assert col.compression == "ZSTD"
                assert col.is_stats_set


def test_partial_dates_are_iso_strings(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    t = pq.read_table(folder / "zone_dates.parquet")
    assert t.schema.field("date").type == pa.string()
    values = t.column("date").to_pylist()
    assert all(re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v) for v in values)


def test_readers_agree_on_types(released: Path) -> None:
    """pyarrow, pandas, polars and duckdb read every Parquet file with the descriptor's types."""
    import pandas as pd

    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    folder = released / f"zonedata-{VERSION}"
    for t in PKG.tables:
        path = folder / f"{t.name}.parquet"
        arrow = pq.read_table(path)
        frame = pd.read_parquet(path)
        polars_schema = pl.read_parquet(path).schema
        con = duckdb.connect()
        duck = dict(
            con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path.as_posix()}')").fetchall()[i][
                :2
            ]
            for i in range(len(t.fields))
        )
        for f in t.fields:
            at = arrow.schema.field(f.name).type
            pd_dtype = str(frame[f.name].dtype)
            pl_dtype = polars_schema[f.name]
            duck_type = duck[f.name]
            if pa.types.is_int64(at):
                assert pd_dtype == ("int64" if f.required else "Int64"), (t.name, f.name)
                assert pl_dtype == pl.Int64 and duck_type == "BIGINT"
            elif pa.types.is_decimal(at):
                assert at == pa.decimal128(18, f.decimals)
                assert pd_dtype == "object"
                assert all(isinstance(v, Decimal) for v in frame[f.name].dropna())
                assert pl_dtype == pl.Decimal(18, f.decimals)
                assert duck_type == f"DECIMAL(18,{f.decimals})"
            elif pa.types.is_boolean(at):
                assert pd_dtype == ("bool" if f.required else "boolean")
                assert pl_dtype == pl.Boolean and duck_type == "BOOLEAN"
            else:
                assert pa.types.is_string(at)
                assert pd_dtype in ("str", "string", "object")
                assert pl_dtype == pl.String and duck_type == "VARCHAR"
        con.close()


# --- reproducibility ---------------------------------------------------------------


def test_reproducible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, released: Path, validation: None
) -> None:
    """Another folder, another day, SOURCE_DATE_EPOCH set to the commit time: same bytes."""
    stem = f"zonedata-{VERSION}"
    epoch = git_epoch()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 40 * 86400)  # "a later day"
    result = build_release(PACKAGE, out=tmp_path / "elsewhere" / "dist")
    assert result.epoch == epoch
    assert tree(result.folder) == tree(released / stem)
    # (the database too: two builds, the same SHA-256)
    db = [f for f in result.files if f.name == DATABASE]
    assert (
        db and db[0].sha256 == hashlib.sha256((released / stem / DATABASE).read_bytes()).hexdigest()
    )
    assert result.zip_path.read_bytes() == (released / f"{stem}.zip").read_bytes()

    # Another timestamp changes the zip's entry times only, never a released file.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch + 86400))
    other = build_release(PACKAGE, out=tmp_path / "other")
    assert tree(other.folder) == tree(released / stem)
    assert other.zip_path.read_bytes() != (released / f"{stem}.zip").read_bytes()
    with zipfile.ZipFile(other.zip_path) as a, zipfile.ZipFile(released / f"{stem}.zip") as b:
        assert [(i.filename, a.read(i)) for i in a.infolist()] == [
            (i.filename, b.read(i)) for i in b.infolist()
        ]


def test_timestamp_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build.release_epoch(PKG, PACKAGE)[0] == git_epoch()
    copy = tmp_path / "pkg"
    shutil.copytree(PACKAGE.parent / "data", copy / "data")
    shutil.copytree(PACKAGE.parent / "derived", copy / "derived")
    shutil.copytree(PACKAGE.parent / "site", copy / "site")
    shutil.copytree(PACKAGE.parent / "docs" / "templates", copy / "docs" / "templates")
    shutil.copy(PACKAGE, copy / "datapackage.json")
    if (
        subprocess.run(
            ["git", "-C", str(copy), "rev-parse"], capture_output=True, check=False
        ).returncode
        != 0
    ):
        assert build.release_epoch(read_package(copy), copy / "datapackage.json") == (
            FALLBACK_EPOCH,
            "fixed (no SOURCE_DATE_EPOCH, not a git checkout)",
        )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build.release_epoch(PKG, PACKAGE) == (1700000000, "SOURCE_DATE_EPOCH")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = CliRunner().invoke(cli, ["release", str(PACKAGE), "--out", str(tmp_path / "d")])
    assert result.exit_code == 2 and "SOURCE_DATE_EPOCH" in result.output
    assert not (tmp_path / "d").exists()


# --- refusing and replacing --------------------------------------------------------


def test_cli_release_summary(tmp_path: Path, validation: None) -> None:
    out = tmp_path / "dist"
    result = CliRunner().invoke(
        cli, ["release", str(PACKAGE), "--version", "9.9.9", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert str(out / "zonedata-9.9.9") in result.output
    assert str(out / "zonedata-9.9.9.zip") in result.output
    assert f"{len(RELEASED)} tables" in result.output
    assert "zonedata-9.9.9.sqlite " in result.output
    assert re.search(
        r"\n    zone_overview +29 rows  parquet [0-9,]+ bytes, json .*, csv ", result.output
    )
    d = json.loads((out / "zonedata-9.9.9" / "datapackage.json").read_text(encoding="utf-8"))
    assert d["version"] == "9.9.9"
    schema = pq.read_schema(out / "zonedata-9.9.9" / "zones.parquet")
    assert schema.metadata[b"zonedata:version"] == b"9.9.9"
    assert verify_release(out / "zonedata-9.9.9.zip").ok


def test_existing_release_needs_force(tmp_path: Path, validation: None) -> None:
    out = tmp_path / "dist"
    runner = CliRunner()
    args = ["release", str(PACKAGE), "--out", str(out)]
    assert runner.invoke(cli, args).exit_code == 0
    folder = out / f"zonedata-{VERSION}"
    marker = folder / "zones.json"
    marker.write_text("edited", encoding="utf-8")
    again = runner.invoke(cli, args)
    assert again.exit_code == 2
    assert "already exist" in again.output and "--force" in again.output
    assert marker.read_text(encoding="utf-8") == "edited"
    forced = runner.invoke(cli, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert marker.read_text(encoding="utf-8") != "edited"
    assert verify_release(folder).ok
    assert sorted(p.name for p in out.iterdir()) == [
        f"zonedata-{VERSION}",
        f"zonedata-{VERSION}.zip",
    ]


def test_bad_version_is_refused(tmp_path: Path, validation: None) -> None:
    for bad in ("../x", "a/b", "", ".hidden"):
        result = CliRunner().invoke(
            cli, ["release", str(PACKAGE), "--version", bad, "--out", str(tmp_path)]
        )
        assert result.exit_code == 2, bad
    assert list(tmp_path.iterdir()) == []


def test_validation_failure_builds_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "run_validation", lambda path: StubReport(errors=2))
    monkeypatch.setattr("zonedata.cli.release_cmd._render_report", lambda r: "THE REPORT")
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["release", str(PACKAGE), "--out", str(out)])
    assert result.exit_code == 1
    assert "THE REPORT" in result.output and "2 validation errors" in result.output
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.skipif(not real_validator_available(), reason="the validator is not installed yet")
def test_invalid_package_builds_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "pkg"
    shutil.copytree(PACKAGE.parent / "data", copy / "data")
    shutil.copytree(PACKAGE.parent / "derived", copy / "derived")
    shutil.copytree(PACKAGE.parent / "site", copy / "site")
    shutil.copytree(PACKAGE.parent / "docs" / "templates", copy / "docs" / "templates")
    shutil.copy(PACKAGE, copy / "datapackage.json")
    zones = copy / "data" / "zones.csv"
    lines = zones.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[3] = "second"  # batch is an integer
    lines[1] = ",".join(cells)
    zones.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "dist"
    result = CliRunner().invoke(cli, ["release", str(copy), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "type-error" in result.output
    assert not out.exists() or list(out.iterdir()) == []


# --- interrupted builds ------------------------------------------------------------


def kill_at(marker: str, out: Path, env: dict[str, str]) -> str:
    """Start a slow build, SIGKILL it when it announces a step matching the regex ``marker``."""
    proc = run_cli(
        "release",
        str(PACKAGE),
        "--out",
        str(out),
        env={**env, SLOW_ENV: "0.02"},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line.strip())
            if re.search(marker, line):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait()
        watchdog.cancel()
    assert any(re.search(marker, s) for s in seen), seen
    assert proc.returncode == -signal.SIGKILL
    return "\n".join(seen)


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize(
    "marker",
    [
        r"wrote zones\.parquet$",  # some tables written
        r"wrote \.zonedata-.*\.zip\.tmp-",  # all written, the zip under its temporary name
        r"renamed zonedata-[^ ]+\.zip$",  # between the zip's rename and the folder's
        r"renamed zonedata-[^ ]+[0-9]$",  # after the commit
    ],
)
def test_killed_build_leaves_no_partial_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, released: Path, validation: None, marker: str
) -> None:
    out = tmp_path / "dist"
    epoch = str(git_epoch())
    kill_at(marker, out, {"SOURCE_DATE_EPOCH": epoch})  # another process, another hash seed
    stem = f"zonedata-{VERSION}"
    folder, zip_path = out / stem, out / f"{stem}.zip"
    if folder.exists():  # only ever complete, and then with its zip
        assert tree(folder) == tree(released / stem)
        assert zip_path.read_bytes() == (released / f"{stem}.zip").read_bytes()
    if zip_path.exists():  # a zip is only ever complete
        assert zip_path.read_bytes() == (released / f"{stem}.zip").read_bytes()
    visible = [p.name for p in out.iterdir() if not p.name.startswith(".")]
    assert set(visible) <= {stem, f"{stem}.zip"}
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]

    # The next build removes the dead build's temporaries and gives the same release.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = build_release(PACKAGE, out=out, force=folder.exists() or zip_path.exists())
    assert sorted(result.notes) == sorted(f"removed leftover {n}" for n in leftovers)
    assert sorted(p.name for p in out.iterdir()) == [stem, f"{stem}.zip"]
    assert tree(folder) == tree(released / stem)
    assert zip_path.read_bytes() == (released / f"{stem}.zip").read_bytes()


@pytest.mark.skipif(os.name != "posix", reason="process liveness check")
def test_live_build_temporaries_are_kept(tmp_path: Path) -> None:
    live = tmp_path / f".zonedata-1.0.tmp-{os.getppid()}-abcd"
    dead = tmp_path / ".zonedata-1.0.tmp-999999999-abcd"
    other = tmp_path / ".keep-me"
    for p in (live, dead, other):
        p.mkdir()
    assert build.clean_stale_temporaries(tmp_path) == [dead.name]
    assert live.exists() and other.exists() and not dead.exists()


KINDS_DESCRIPTOR = {
    "name": "kinds",
    "version": "1.0.0",
    "resources": [
        {
            "name": "kinds",
            "path": "kinds.csv",
            "schema": {
                "fields": [
                    {"name": "id", "type": "string", "constraints": {"required": True}},
                    {"name": "n", "type": "integer"},
                    {"name": "y", "type": "year"},
                    {"name": "x", "type": "number", "decimals": 2, "unit": "CNY"},
                    {"name": "f", "type": "number"},
                    {"name": "b", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
                    {"name": "d", "type": "date"},
                    {"name": "p", "type": "string", "partialDate": True},
                    {"name": "s", "type": "string"},
                ],
                "primaryKey": ["id"],
            },
        }
    ],
}
KINDS_CSV = (
    "id,n,y,x,f,b,d,p,s\n"
    'a,1,2019,785.66,1.5e3,yes,2019-10-14,2019,"quoted, with comma"\n'
    'b,-2,2020,2400,0.25,no,2020-01-02,2020-03,"two\nlines"\n'
    'c,,,,,,,,""\n'
    "d,3,2021,-0.50,-7,yes,2021-12-31,2021-12-31,上海 “引号” \\ backslash\n"
)


def test_every_field_kind_round_trips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "datapackage.json").write_text(json.dumps(KINDS_DESCRIPTOR), encoding="utf-8")
    (pkg / "kinds.csv").write_text(KINDS_CSV, encoding="utf-8", newline="")
    monkeypatch.setattr(build, "run_validation", unchecked)
    result = build_release(pkg, out=tmp_path / "dist")
    # nothing is written outside the output folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "pkg"]
    assert sorted(p.name for p in pkg.iterdir()) == ["datapackage.json", "kinds.csv"]
    text = (result.folder / "kinds.json").read_text(encoding="utf-8")
    assert text.split("\n")[1:5] == [
        '{"id": "a", "n": 1, "y": 2019, "x": 785.66, "f": 1.5e3, "b": true, "d": "2019-10-14", '
        '"p": "2019", "s": "quoted, with comma"},',
        '{"id": "b", "n": -2, "y": 2020, "x": 2400, "f": 0.25, "b": false, "d": "2020-01-02", '
        '"p": "2020-03", "s": "two\\nlines"},',
        '{"id": "c", "n": null, "y": null, "x": null, "f": null, "b": null, "d": null, '
        '"p": null, "s": null},',
        '{"id": "d", "n": 3, "y": 2021, "x": -0.50, "f": -7, "b": true, "d": "2021-12-31", '
        '"p": "2021-12-31", "s": "上海 “引号” \\\\ backslash"}',
    ]
    t = pq.read_table(result.folder / "kinds.parquet")
    assert [str(f.type) for f in t.schema] == [
        "string",
        "int64",
        "int64",
        "decimal128(18, 2)",
        "double",
        "bool",
        "date32[day]",
        "string",
        "string",
    ]
    assert t.column("x").to_pylist() == [
        Decimal("785.66"),
        Decimal("2400.00"),
        None,
        Decimal("-0.50"),
    ]
    assert t.schema.field("x").metadata[b"unit"] == b"CNY"
    import pandas as pd

    frame = pd.read_parquet(result.folder / "kinds.parquet")
    assert str(frame["n"].dtype) == "Int64" and str(frame["b"].dtype) == "boolean"
    assert verify_release(result.folder).ok
    assert verify_release(result.zip_path).ok


# --- the SQLite database -----------------------------------------------------------


def open_db(released: Path) -> sqlite3.Connection:
    path = released / f"zonedata-{VERSION}" / DATABASE
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)


def test_database_schema(released: Path) -> None:
    """Every table, with its declared types, NOT NULL, primary and foreign keys."""
    con = open_db(released)
    assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    assert con.execute("PRAGMA page_size").fetchone() == (4096,)
    tables = [*PKG.tables, *(d.table for d in DECLARED)]
    names = [r[0] for r in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
    assert names == ["_tables", "_fields", *RELEASED]
    assert con.execute(
        "SELECT count(*) FROM sqlite_schema WHERE type IN ('view', 'trigger')"
    ).fetchone() == (0,)
    declared = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}
    for t in tables:
        info = con.execute(f'PRAGMA table_info("{t.name}")').fetchall()
        pk = list(t.primary_key)
        assert [(r[1], r[2], bool(r[3]), r[5]) for r in info] == [
            (f.name, declared[f.type], f.required, pk.index(f.name) + 1 if f.name in pk else 0)
            for f in t.fields
        ], t.name
        fks = con.execute(f'PRAGMA foreign_key_list("{t.name}")').fetchall()
        got = sorted((r[2], r[3], r[4]) for r in fks)  # (table, from, to)
        want = sorted(
            (fk.resource, a, b)
            for fk in t.foreign_keys
            for a, b in zip(fk.fields, fk.reference_fields, strict=True)
        )
        assert got == want, t.name
    con.close()


def test_database_fields_and_tables_describe_the_descriptor(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    resources = [r for r in d["resources"] if r["format"] == "parquet"]
    con = open_db(released)
    want = []
    for r in resources:
        for i, f in enumerate(r["schema"]["fields"], start=1):
            kind = "partial-date" if f.get("partialDate") else f["type"]
            sql = {"string": "TEXT", "number": "REAL"}.get(f["type"], "INTEGER")
            want.append(
                (
                    r["name"],
                    i,
                    f["name"],
                    kind,
                    sql,
                    int(f.get("constraints", {}).get("required", False)),
                    f.get("decimals"),
                    f.get("unit"),
                    f["title"],
                    f["description"],
                )
            )
    assert con.execute("SELECT * FROM _fields ORDER BY rowid").fetchall() == want
    assert con.execute(
        "SELECT table_name, position, title, description, rows FROM _tables"
    ).fetchall() == [
        (r["name"], i, r["title"], r["description"], len(pq.read_table(folder / r["path"])))
        for i, r in enumerate(resources, start=1)
    ]
    derived = dict(
        con.execute("SELECT table_name, derived_by FROM _tables WHERE derived_by IS NOT NULL")
    )
    assert derived == {
        r["name"]: r["zonedata:derived"]["sql"] for r in resources if "zonedata:derived" in r
    }
    con.close()


def test_database_rows_equal_the_parquet_rows(released: Path) -> None:
    """The same rows in key order; each figure reads back as the CSV's digits."""
    folder = released / f"zonedata-{VERSION}"
    con = open_db(released)
    for name in RELEASED:
        table = pq.read_table(folder / f"{name}.parquet")
        rows = table.to_pylist()
        d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        (schema,) = [r["schema"] for r in d["resources"] if r["name"] == name]
        pk = schema["primaryKey"]
        rows.sort(key=lambda r: tuple(r[k] for k in pk))
        got = con.execute(
            f'SELECT * FROM "{name}" ORDER BY {", ".join(f"{chr(34)}{k}{chr(34)}" for k in pk)}'
        ).fetchall()
        assert len(got) == len(rows), name
        for g, r in zip(got, rows, strict=True):
            for value, (field, want) in zip(g, r.items(), strict=True):
                where = (name, field, r)
                if isinstance(want, Decimal):
                    assert isinstance(value, float) and Decimal(repr(value)) == want, where
                elif isinstance(want, bool):
                    assert value == int(want) and isinstance(value, int), where
                else:
                    assert value == want, where
    # sqlite3 itself prints the exact digits (REAL holds at most 15 significant digits)
    if shutil.which("sqlite3"):
        out = subprocess.run(
            [
                "sqlite3",
                "-readonly",
                str(folder / DATABASE),
                "SELECT gdp_cny_bn, cny_per_usd, gdp_usd_bn FROM city_indicators WHERE city_id = 'shenzhen'",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == "2422.198|6.6174|366.03\n"
    con.close()


def test_sqlite_refuses_a_figure_it_cannot_hold_exactly() -> None:
    from zonedata.descriptor.fieldtypes import sqlite_column
    from zonedata.descriptor.package import Field

    f = Field(name="x", type="number", decimals=3)
    ok = ["123456789012.345", "-0.001", "2400.000", "100000000000000"]  # 15, 1, 2, 1 digits
    col = pa.array([Decimal(v) for v in ok] + [None], type=pa.decimal128(18, 3))
    assert sqlite_column(f, col) == [123456789012.345, -0.001, 2400.0, 1e14, None]
    for bad in ("1234567890123.456", "-9999999999999.999"):  # 16 digits
        col = pa.array([Decimal("1"), Decimal(bad)], type=pa.decimal128(18, 3))
        with pytest.raises(ValueError, match="more than 15 significant digits"):
            sqlite_column(f, col)


# --- the overview tables -------------------------------------------------------------


def test_city_indicators_by_hand(released: Path) -> None:
    """Preferred figures and their sources; USD at the NBS 2018 average, 6.6174."""
    folder = released / f"zonedata-{VERSION}"
    rows = {
        (r["city_id"], r["year"]): r
        for r in pq.read_table(folder / "city_indicators.parquet").to_pylist()
    }
    # one row per city and year of city_gdp / city_growth
    assert len(rows) == 16 and {y for _, y in rows} == {2018}
    assert rows["shenzhen", 2018] == {
        "city_id": "shenzhen",
        "year": 2018,
        # the communiqué's 2422.198, preferred over the early estimate 2400 (two sources)
        "gdp_cny_bn": Decimal("2422.198"),
        "gdp_approximate": False,
        "gdp_source_id": "qqzyw-2018-shenzhen-communique",
        "growth_pct": Decimal("7.6"),
        "growth_approximate": False,
        "growth_source_id": "qqzyw-2018-shenzhen-communique",
        "usd_rate_id": "nbs-2018-annual",
        "cny_per_usd": Decimal("6.6174"),
        "gdp_usd_bn": Decimal("366.03"),  # 2422.198 / 6.6174 = 366.0347...
    }
    # not the source's own conversion (338.92, at the ECB cross rate of 2019-10-15)
    assert rows["jinan", 2018]["gdp_cny_bn"] == Decimal("785.656")  # not 785.66
    assert rows["jinan", 2018]["gdp_usd_bn"] == Decimal("118.73")  # 118.7258...
    assert rows["beijing", 2018]["gdp_usd_bn"] == Decimal("457.88")  # 3030 / 6.6174 = 457.8838...
    assert rows["qingdao", 2018]["gdp_source_id"] == "eu-china-qingdao"
    assert rows["qingdao", 2018]["growth_source_id"] == "equalocean-2019-10-19"
    # the bureau's figures as HKTDC attributes them (issue 22), not China Daily's estimate
    assert rows["guangzhou", 2018]["gdp_source_id"] == "hktdc-guangzhou-city-information"
    assert rows["guangzhou", 2018]["growth_approximate"] is False
    assert rows["guangzhou", 2018]["gdp_usd_bn"] == Decimal("345.44")  # 2285.9 / 6.6174
    assert rows["huzhou", 2018]["gdp_usd_bn"] == Decimal("41.09")  # 271.9 / 6.6174 = 41.0886
    assert rows["huzhou", 2018]["growth_pct"] is None
    for r in rows.values():
        exact = r["gdp_cny_bn"] / Decimal("6.6174")  # 28 digits: far from a tie here
        assert r["gdp_usd_bn"] == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_zone_overview_by_hand(released: Path) -> None:
    folder = released / f"zonedata-{VERSION}"
    rows = {r["zone_id"]: r for r in pq.read_table(folder / "zone_overview.parquet").to_pylist()}
    assert list(rows) == pq.read_table(folder / "zones.parquet").column("zone_id").to_pylist()
    assert rows["miit-jinan-qingdao"] == {
        "zone_id": "miit-jinan-qingdao",
        "programme_id": "miit",
        "name_en": "Jinan-Qingdao",
        "batch": 1,
        "zone_source_id": rows["miit-jinan-qingdao"]["zone_source_id"],
        "city_ids": "jinan; qingdao",
        "city_names": "Jinan; Qingdao",
        "province_ids": "shandong",
        "city_source_ids": "workercn-2019-10-19",
        "approval_date": "2019-10-14",
        "approval_precision": "day",
        "approval_event": "approved",
        "approval_source_id": "workercn-2019-10-19",
        # two sources name each industry; their wordings stay in zone_industries
        "industry_ids": "healthcare; manufacturing; rail-transit; smart-home",
        "industry_names": "Healthcare; Manufacturing; Rail transit; Smart home",
        "industry_source_ids": "equalocean-2019-10-19; yybnet-2019-11-20",
    }
    # no approved row: the announcement, and the column says so
    assert (rows["miit-chengdu"]["approval_date"], rows["miit-chengdu"]["approval_event"]) == (
        "2021-02-19",
        "announced",
    )
    assert rows["most-hangzhou"]["approval_date"] == "2019"
    assert rows["most-hangzhou"]["approval_precision"] == "year"
    assert rows["most-hangzhou"]["batch"] is None
    # the preferred of two approval dates (jschina's month-only date is not preferred)
    assert rows["most-suzhou"]["approval_date"] == "2021-03-24"


def test_a_derived_row_that_breaks_its_schema_stops_the_release(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(PACKAGE.parent / "data", package / "data")
    shutil.copytree(PACKAGE.parent / "derived", package / "derived")
    shutil.copytree(PACKAGE.parent / "site", package / "site")
    shutil.copytree(PACKAGE.parent / "docs" / "templates", package / "docs" / "templates")
    shutil.copy(PACKAGE, package / "datapackage.json")
    sql = package / "derived" / "zone_overview.sql"
    text = sql.read_text(encoding="utf-8")
    text = (
        text.replace(
            "  z.programme_id AS programme_id,",
            "  CASE z.zone_id WHEN 'miit-jinan-qingdao' THEN 'nasa' ELSE z.programme_id END AS programme_id,",
        )
        .replace(
            "  CASE length(a.date)",
            "  CASE WHEN z.zone_id = 'miit-chengdu' THEN 'week' ELSE CASE length(a.date)",
        )
        .replace("THEN 'day' END\n", "THEN 'day' END END\n")
    )
    sql.write_text(text, encoding="utf-8")
    from zonedata.errors import DerivedTableError

    with pytest.raises(DerivedTableError) as info:
        build_release(package, out=tmp_path / "dist")
    assert [(p.code, p.path, p.line, p.field, p.value) for p in info.value.problems] == [
        ("constraint-enum", "zone_overview.csv", 4, "approval_precision", "week"),
        ("foreign-key-dangling", "zone_overview.csv", 7, "programme_id", "nasa"),
    ]
    assert "zone_overview.csv:4" in str(info.value)
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())
    result = CliRunner().invoke(cli, ["release", str(package), "--out", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert "derived table 'zone_overview' breaks its schema: zone_overview.csv:4" in result.output


def test_load_an_overview_table_from_a_release(released: Path) -> None:
    import zonedata

    folder = released / f"zonedata-{VERSION}"
    for where in (folder, released / f"zonedata-{VERSION}.zip"):
        frame = zonedata.load("city_indicators", release=where)
        assert len(frame) == 16 and str(frame["year"].dtype) == "Int64"
        shenzhen = frame[frame["city_id"] == "shenzhen"].iloc[0]
        assert shenzhen["gdp_usd_bn"] == Decimal("366.03")
    zones = zonedata.load("zone_overview", release=folder, backend="polars")
    assert zones.height == 29 and zones["zone_id"][0] == "miit-beijing"


def test_a_csv_file_changed_during_the_build_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg"
    shutil.copytree(PACKAGE.parent / "data", package / "data")
    shutil.copytree(PACKAGE.parent / "derived", package / "derived")
    shutil.copytree(PACKAGE.parent / "site", package / "site")
    shutil.copytree(PACKAGE.parent / "docs" / "templates", package / "docs" / "templates")
    shutil.copy(PACKAGE, package / "datapackage.json")
    real = build.run_validation

    def validate_then_edit(path: Path) -> Any:
        report = real(path)
        with open(package / "data" / "cities.csv", "a", encoding="utf-8") as fh:
            fh.write("zz,Zz,某,beijing\n")  # after validation read the file
        return report

    monkeypatch.setattr(build, "run_validation", validate_then_edit)
    with pytest.raises(
        build.ReleaseError, match=r"cities\.csv changed while the release was built"
    ):
        build_release(package, out=tmp_path / "dist")
    assert not (tmp_path / "dist" / f"zonedata-{VERSION}").exists()
