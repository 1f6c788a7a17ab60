"""``zonedata verify``: intact releases pass; damaged ones name each damaged file."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.helpers import unchecked
from tests.hostile import run_python
from zonedata.cli import cli
from zonedata.descriptor import bundled_package_path, read_package
from zonedata.release import build
from zonedata.release.build import build_release
from zonedata.release.verify import verify_release

PACKAGE = bundled_package_path()
VERSION = read_package(PACKAGE).version
STEM = f"zonedata-{VERSION}"


def semantic_available() -> bool:
    try:
        import zonedata.validate.semantic  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("dist")
    build_release(PACKAGE, out=out)
    yield out


@pytest.fixture
def release(pristine: Path, tmp_path: Path) -> Path:
    """A fresh copy of the release folder and zip to damage."""
    shutil.copytree(pristine / STEM, tmp_path / STEM)
    shutil.copy(pristine / f"{STEM}.zip", tmp_path / f"{STEM}.zip")
    return tmp_path


def verify(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["verify", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def rezip(src: Path, dest: Path, change: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (bytes) or dropping (None) some entries; new names are added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            name = info.filename.split("/", 1)[1]
            if name in change:
                data = change.pop(name)
                if data is not None:
                    zout.writestr(info, data)
            else:
                zout.writestr(info, zin.read(info))
        for name, data in change.items():
            if data is not None:
                zout.writestr(f"{STEM}/{name}", data)


def rehash(folder: Path) -> None:
    """Make the descriptor and SHA256SUMS agree with the files again (a consistent forgery)."""
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for r in d["resources"]:
        data = (folder / r["path"]).read_bytes()
        r["zonedata:bytes"] = len(data)
        r["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    (folder / "datapackage.json").write_text(
        json.dumps(d, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    names = sorted(p.name for p in folder.iterdir() if p.name != "SHA256SUMS")
    (folder / "SHA256SUMS").write_text(
        "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in names),
        encoding="ascii",
    )


def test_intact_folder_and_zip(release: Path) -> None:
    for target in (release / STEM, release / f"{STEM}.zip", release / STEM / "datapackage.json"):
        code, out = verify(target)
        assert code == 0, out
        assert "OK: 90 files intact" in out


def test_flipped_byte(release: Path) -> None:
    path = release / STEM / "zones.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, out = verify(release / STEM)
    assert code == 1
    assert "ALTERED" in out and "zones.parquet" in out
    assert "FAILED: 1 problem" in out


def test_truncated_file(release: Path) -> None:
    path = release / STEM / "cities.json"
    path.write_bytes(path.read_bytes()[:-10])
    code, out = verify(release / STEM)
    assert code == 1
    assert "TRUNCATED" in out and "cities.json" in out


def test_deleted_file(release: Path) -> None:
    (release / STEM / "claims.json").unlink()
    code, out = verify(release / STEM)
    assert code == 1
    assert "MISSING" in out and "claims.json" in out


def test_extra_file(release: Path) -> None:
    (release / STEM / "notes.txt").write_text("not part of the release\n", encoding="utf-8")
    code, out = verify(release / STEM)
    assert code == 1
    assert "EXTRA" in out and "notes.txt" in out


def test_several_problems_are_all_named(release: Path) -> None:
    folder = release / STEM
    (folder / "zones.json").unlink()
    (folder / "cities.json").write_bytes(b"[]\n")
    (folder / "SHA256SUMS").write_text(
        (folder / "SHA256SUMS").read_text() + "0" * 64 + "  ghost.csv\n"
    )
    code, out = verify(folder)
    assert code == 1
    for name in ("zones.json", "cities.json", "ghost.csv"):
        assert name in out


def test_damaged_zips(release: Path) -> None:
    src = release / f"{STEM}.zip"
    with zipfile.ZipFile(src) as zf:
        zones = zf.read(f"{STEM}/zones.parquet")
    flipped = bytearray(zones)
    flipped[100] ^= 0x80
    cases = {
        "altered": ({"zones.parquet": bytes(flipped)}, "ALTERED"),
        "truncated": ({"zones.parquet": zones[:-1]}, "TRUNCATED"),
        "missing": ({"zones.parquet": None}, "MISSING"),
        "extra": ({"extra.csv": b"a,b\n"}, "EXTRA"),
    }
    for label, (change, tag) in cases.items():
        dest = release / f"{label}.zip"
        rezip(src, dest, dict(change))
        code, out = verify(dest)
        assert code == 1, (label, out)
        assert tag in out, (label, out)


def test_corrupt_zip_entry(release: Path) -> None:
    """A byte flipped inside the zip itself: the entry's CRC no longer matches."""
    path = release / f"{STEM}.zip"
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"{STEM}/zones.json")
    offset = info.header_offset + 30 + len(info.filename) + 20
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    code, out = verify(path)
    assert code == 1 and "zones.json" in out


def test_json_that_disagrees_with_parquet(release: Path) -> None:
    folder = release / STEM
    path = folder / "exchange_rates.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace("7.0680", "7.0681", 1), encoding="utf-8"
    )
    rehash(folder)
    code, out = verify(folder)
    assert code == 1
    assert "JSON" in out and "exchange_rates.json" in out and "7.0681" in out


def test_json_with_wrong_types(release: Path) -> None:
    folder = release / STEM
    path = folder / "zones.json"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"batch": 2', '"batch": "2"', 1), encoding="utf-8"
    )
    rehash(folder)
    code, out = verify(folder)
    assert code == 1 and "zones.json" in out and "batch" in out


def test_parquet_with_wrong_schema(release: Path) -> None:
    folder = release / STEM
    t = pq.read_table(folder / "zones.parquet")
    batch = t.column("batch").cast(pa.string())
    pq.write_table(
        t.set_column(t.schema.get_field_index("batch"), "batch", batch), folder / "zones.parquet"
    )
    rehash(folder)
    code, out = verify(folder)
    assert code == 1
    assert "SCHEMA" in out and "zones.parquet" in out and "batch" in out


@pytest.mark.skipif(
    not semantic_available(), reason="zonedata.validate.semantic is not installed yet"
)
def test_semantic_rules_run_on_the_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A release built without validation from data that breaks a semantic rule."""
    copy = tmp_path / "pkg"
    shutil.copytree(PACKAGE.parent / "data", copy / "data")
    shutil.copytree(PACKAGE.parent / "derived", copy / "derived")
    shutil.copytree(PACKAGE.parent / "site", copy / "site")
    shutil.copytree(PACKAGE.parent / "docs" / "templates", copy / "docs" / "templates")
    shutil.copy(PACKAGE, copy / "datapackage.json")
    growth = copy / "data" / "city_growth.csv"
    lines = growth.read_text(encoding="utf-8").split("\n")
    cells = lines[1].split(",")
    cells[3] = "45.0"  # growth_pct: outside the hard range
    lines[1] = ",".join(cells)
    growth.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.setattr(build, "run_validation", unchecked)
    build_release(copy, out=tmp_path / "dist")
    code, out = verify(tmp_path / "dist" / f"{STEM}.zip")
    assert code == 1, out
    assert "growth-out-of-range" in out and "city_growth.json:2" in out


def test_not_a_release(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("hello", encoding="utf-8")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "datapackage.json").write_text("{not json", encoding="utf-8")
    for target in ("missing", "empty", "file.txt", "bad.zip", "json"):
        code, out = verify(tmp_path / target)
        assert code == 2, (target, out)
        assert "Error:" in out


def test_verify_api(release: Path) -> None:
    result = verify_release(release / f"{STEM}.zip")
    # 29 tables (25 canonical, 4 derived) in 3 formats, the database, the descriptor
    # and SHA256SUMS
    derived = ["zone_overview", "city_indicators", "city_treatment", "city_programme_years"]
    assert result.ok and result.files == 90 and result.tables == 29
    assert result.rows == sum(
        len(json.loads((release / STEM / f"{t}.json").read_text(encoding="utf-8")))
        for t in [*read_package(PACKAGE).table_names, *derived]
    )


def test_changed_checksum_line_is_blamed_on_sha256sums(release: Path) -> None:
    folder = release / STEM
    sums = (folder / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    i = next(i for i, line in enumerate(sums) if line.endswith("  zones.json"))
    sums[i] = "0" * 64 + "  zones.json"
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="ascii")
    code, out = verify(folder)
    assert code == 1
    assert "ALTERED    SHA256SUMS: gives a SHA-256 for zones.json that does not match" in out


def test_checksum_line_removed(release: Path) -> None:
    folder = release / STEM
    sums = (folder / "SHA256SUMS").read_text(encoding="ascii").splitlines()
    kept = [line for line in sums if not line.endswith("  cities.parquet")]
    (folder / "SHA256SUMS").write_text("\n".join(kept) + "\n", encoding="ascii")
    code, out = verify(folder)
    assert code == 1 and "SHA256SUMS: does not list cities.parquet" in out


# --- CSV files and the database ---------------------------------------------------------


def problems(path: Path) -> list[tuple[str, str | None, str]]:
    return [(p.code, p.path, p.message) for p in verify_release(path).errors]


def test_tampered_csv(release: Path) -> None:
    folder = release / STEM
    path = folder / "cities.csv"
    path.write_bytes(path.read_bytes().replace(b"Shenzhen", b"Shenzhem"))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert problems(folder) == [
        (
            "release-altered",
            "cities.csv",
            f"is altered: its SHA-256 {digest}… differs from datapackage.json and SHA256SUMS",
        )
    ]
    # a consistent forgery (hashes recomputed) still differs from the Parquet file
    rehash(folder)
    assert problems(folder) == [
        (
            "release-csv",
            "cities.csv",
            "differs from cities.parquet: row 15 (line 16), field 'name_en': 'Shenzhem' in CSV, "
            "'Shenzhen' in Parquet",
        )
    ]


def test_csv_with_another_header(release: Path) -> None:
    folder = release / STEM
    path = folder / "cities.csv"
    path.write_bytes(path.read_bytes().replace(b"city_id,name_en", b"city_id,name", 1))
    rehash(folder)
    assert problems(folder) == [
        (
            "release-csv",
            "cities.csv",
            "has the header ['city_id', 'name', 'name_zh', 'province_id', 'admin_code'], "
            "expected ['city_id', 'name_en', 'name_zh', 'province_id', 'admin_code']",
        )
    ]


BOUNDED_PROBLEMS = """
import json
from zonedata.release.verify import verify_release
found = [(p.code, p.path, p.message) for p in verify_release({path!r}).errors]
print(json.dumps(found))
"""


def bounded_problems(path: Path) -> list[tuple[str, str | None, str]]:
    """:func:`problems` in a child process under a timeout and a memory limit, for a
    release that holds a hostile database (tests/hostile.py)."""
    out = run_python(BOUNDED_PROBLEMS.format(path=str(path)))
    assert out.code == 0, out.output
    return [tuple(p) for p in json.loads(out.stdout)]  # type: ignore[misc]


def db_path(release: Path) -> Path:
    return release / STEM / f"{STEM}.sqlite"


def forge_database(release: Path, *sql: str) -> None:
    """Change the database with ``sql`` and recompute every hash (a consistent forgery)."""
    con = sqlite3.connect(db_path(release), isolation_level=None)
    for statement in sql:
        con.execute(statement)
    con.close()
    rehash(release / STEM)


def test_tampered_database(release: Path) -> None:
    path = db_path(release)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    digest = hashlib.sha256(data).hexdigest()[:12]
    assert problems(release / STEM) == [
        (
            "release-altered",
            path.name,
            f"is altered: its SHA-256 {digest}… differs from datapackage.json and SHA256SUMS",
        )
    ]


def test_forged_database_rows_are_found(release: Path) -> None:
    forge_database(
        release,
        "UPDATE city_indicators SET gdp_usd_bn = 400 WHERE city_id = 'shenzhen'",
    )
    assert problems(release / STEM) == [
        (
            "release-sqlite",
            db_path(release).name,
            "table 'city_indicators', row 11 in key order: ('shenzhen', 2018, 2422.198, 0, "
            "'qqzyw-2018-shenzhen-communique', 7.6, 0, 'qqzyw-2018-shenzhen-communique', "
            "'nbs-2018-annual', 6.6174, 400.0), where the Parquet file has ('shenzhen', 2018, "
            "2422.198, 0, 'qqzyw-2018-shenzhen-communique', 7.6, 0, "
            "'qqzyw-2018-shenzhen-communique', 'nbs-2018-annual', 6.6174, 366.03)",
        )
    ]


def test_forged_database_schema_is_found(release: Path) -> None:
    name = db_path(release).name
    forge_database(
        release,
        "DELETE FROM _fields WHERE table_name = 'zones' AND field_name = 'note'",
        "CREATE VIEW everything AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
        "SELECT i FROM n",
        "CREATE TABLE extra (x INTEGER)",
        "CREATE TRIGGER t AFTER INSERT ON extra BEGIN DELETE FROM cities; END",
        *ATLANTIS,
    )
    # the schema is compared first; a database whose schema differs has no row read
    assert sorted(bounded_problems(release / STEM)) == sorted(
        [
            ("release-sqlite", name, "holds a view 'everything', which a release never has"),
            ("release-sqlite", name, "holds a trigger 't', which a release never has"),
            ("release-sqlite", name, "has a table 'extra' the release does not describe"),
        ]
    )


#: A city added to the database with a province no table has (temp: not in the file).
ATLANTIS = (
    "PRAGMA foreign_keys = OFF",
    "CREATE TEMP TABLE atlantis AS SELECT * FROM cities LIMIT 1",
    "UPDATE atlantis SET city_id = 'zz-atlantis', province_id = 'nowhere'",
    "INSERT INTO cities SELECT * FROM atlantis",
)


def test_forged_database_rows_behind_a_true_schema_are_found(release: Path) -> None:
    name = db_path(release).name
    con = sqlite3.connect(db_path(release))
    (cities,) = con.execute("SELECT count(*) FROM cities").fetchone()
    (fields,) = con.execute("SELECT count(*) FROM _fields").fetchone()
    con.close()
    forge_database(
        release, "DELETE FROM _fields WHERE table_name = 'zones' AND field_name = 'note'", *ATLANTIS
    )
    con = sqlite3.connect(db_path(release))
    dangling = con.execute("PRAGMA foreign_key_check").fetchall()
    con.close()
    assert [d[:3] for d in dangling] == [("cities", cities + 1, "provinces")]
    assert sorted(bounded_problems(release / STEM)) == sorted(
        [
            ("release-sqlite", name, f"fails PRAGMA foreign_key_check: {dangling!r}"),
            (
                "release-sqlite",
                name,
                f"table 'cities' has {cities + 1} rows, the Parquet file {cities}",
            ),
            (
                "release-sqlite",
                name,
                f"_fields differs from the descriptor's fields: {fields - 1} rows, expected {fields}",
            ),
        ]
    )


def test_a_database_that_is_no_database(release: Path) -> None:
    db_path(release).write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    rehash(release / STEM)
    (problem,) = problems(release / STEM)
    assert problem[:2] == ("release-sqlite", db_path(release).name)
    assert problem[2].startswith("cannot be read as a SQLite database: ")


OPEN_DATABASE = """
import sqlite3
from zonedata.release.database import open_database

def refused(statement, error, words):
    try:
        con.execute(statement).fetchall()
    except error as e:
        assert words in str(e), (statement, e)
    else:
        raise AssertionError(f"not refused: {{statement}}")

with open_database(open({path!r}, "rb").read()) as con:
    assert con.execute("SELECT count(*) FROM zones").fetchone() == (29,)
    for statement in (
        "DELETE FROM zones",
        "ATTACH DATABASE '/tmp/x.sqlite' AS x",
        "PRAGMA writable_schema = ON",
        "SELECT load_extension('x')",
    ):
        refused(statement, sqlite3.DatabaseError, "")
    # a recursive query is refused outright; a huge join is stopped by the work limit
    refused(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n",
        sqlite3.DatabaseError,
        "not authorized",
    )
    runaway = "SELECT count(*) FROM " + ", ".join(f"zones z{{i}}" for i in range(8))
    refused(runaway, sqlite3.OperationalError, "interrupted")
print("ok")
"""


def test_verify_opens_the_database_from_memory_and_refuses_writes(release: Path) -> None:
    """Run in a child process under a timeout and a memory limit: a regression in the
    authorizer or the work limit would otherwise run a runaway query here."""
    out = run_python(OPEN_DATABASE.format(path=str(db_path(release))))
    assert (out.code, out.stdout) == (0, "ok\n"), out.output
