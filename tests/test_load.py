"""zonedata.load, tables, describe and rows: dtypes, releases (folder, zip, URL), integrity."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import http.server
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
import warnings
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import zonedata
from zonedata.descriptor.arrow import arrow_schema, read_csv_typed
from zonedata.descriptor.package import Field, read_package
from zonedata.loading.errors import (
    DataValidationError,
    DownloadError,
    IntegrityError,
    MissingDependencyError,
    ReleaseError,
    UnknownTableError,
    ZonedataError,
)

REPO = Path(__file__).resolve().parent.parent
PACKAGE = read_package(REPO / "datapackage.json")
TABLES = PACKAGE.table_names
VERSION = PACKAGE.version


def expected_dtype(f: Field) -> Any:
    """The documented pandas dtype of a field (written out here, independently of the code)."""
    if f.kind in ("integer", "year"):
        return pd.Int64Dtype()
    if f.kind == "number":
        assert f.decimals is not None, "every figure of the package has decimals"
        return pd.ArrowDtype(pa.decimal128(18, int(f.decimals)))
    if f.kind == "boolean":
        return pd.BooleanDtype()
    assert f.kind in ("string", "partial-date"), f.kind
    return pd.StringDtype("pyarrow")


#: The dtype names users see, per kind (the table in the report and the docs).
DTYPE_NAMES = {
    "integer": "Int64",
    "boolean": "boolean",
    "string": "string",
    "partial-date": "string",
}


# --- releases for the tests ------------------------------------------------------------------


def _semantic_available() -> bool:
    return importlib.util.find_spec("zonedata.validate.semantic") is not None


def minimal_release(out: Path, version: str = VERSION) -> Path:
    """A release folder + zip as the release builder lays them out (Parquet only)."""
    folder = out / f"zonedata-{version}"
    folder.mkdir(parents=True)
    resources = []
    for t in PACKAGE.tables:
        pq.write_table(read_csv_typed(PACKAGE.file(t), t, PACKAGE), folder / f"{t.name}.parquet")
        resources.append(parquet_resource(folder, t.name, t.descriptor["schema"]))
    descriptor = {"name": "zonedata", "version": version, "resources": resources}
    write_descriptor(folder, descriptor)
    with zipfile.ZipFile(out / f"zonedata-{version}.zip", "w") as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"{folder.name}/{p.name}")
    return folder


def parquet_resource(folder: Path, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    data = (folder / f"{name}.parquet").read_bytes()
    return {
        "name": name,
        "path": f"{name}.parquet",
        "format": "parquet",
        "bytes": len(data),
        "hash": f"sha256:{hashlib.sha256(data).hexdigest()}",
        "schema": schema,
    }


def write_descriptor(folder: Path, descriptor: dict[str, Any]) -> None:
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=1), encoding="utf-8")
    sums = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(folder.iterdir())
        if p.name != "SHA256SUMS"
    )
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release folder (``zonedata-V/``) with its zip beside it.

    Built by ``zonedata.release.build.build_release``; by :func:`minimal_release` (same
    layout, Parquet files only) where the builder is missing or refuses the package
    because validation is incomplete.
    """
    out = tmp_path_factory.mktemp("release")
    try:
        from zonedata.release.build import build_release
        from zonedata.release.errors import ValidationFailedError
    except ImportError:
        return minimal_release(out)
    try:
        result = build_release(REPO, out=out)
    except ValidationFailedError as e:
        warnings.warn(
            f"build_release refused the package ({e}): using a minimal release", stacklevel=1
        )
        return minimal_release(out / "minimal")
    return Path(result.folder)


@pytest.fixture
def release_copy(release: Path, tmp_path: Path) -> Path:
    dest = tmp_path / release.name
    shutil.copytree(release, dest)
    return dest


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ZONEDATA_CACHE", str(folder))
    return folder


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(folder) -> base URL of an http.server on 127.0.0.1 serving that folder."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def _serve(folder: Path) -> str:
        handler = partial(_Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield _serve
    for server in servers:
        server.shutdown()
        server.server_close()


def tamper(path: Path) -> None:
    """Change one byte in the middle of a file (same size)."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


# --- tables, describe, errors ----------------------------------------------------------------


def test_tables_are_the_descriptor_tables_in_order() -> None:
    assert zonedata.tables() == TABLES
    assert len(TABLES) == 25


def test_describe_gives_each_field() -> None:
    fields = zonedata.describe("city_gdp")
    assert [f.name for f in fields] == PACKAGE.table("city_gdp").field_names
    gdp = {f.name: f for f in fields}["gdp_cny_bn"]
    assert (gdp.type, gdp.unit, gdp.decimals, gdp.required) == ("number", "billion CNY", 3, True)
    assert gdp.description.startswith("Nominal GDP")
    with pytest.raises(dataclasses.FrozenInstanceError):
        gdp.unit = "CNY"  # type: ignore[misc]
    assert {f.name: f for f in zonedata.describe("zone_dates")}["date"].partial_date


@pytest.mark.parametrize(
    "call",
    [
        lambda: zonedata.load("citys"),
        lambda: zonedata.describe("citys"),
        lambda: zonedata.rows("citys"),
    ],
    ids=["load", "describe", "rows"],
)
def test_unknown_table_lists_the_valid_names(call: Any) -> None:
    with pytest.raises(UnknownTableError) as info:
        call()
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, ZonedataError)
    message = str(info.value)
    assert "'citys'" in message
    assert all(name in message for name in TABLES)


def test_unknown_backend_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="pandas, polars, arrow"):
        zonedata.load("cities", backend="numpy")


def test_exceptions_are_exported() -> None:
    for name in (
        "ZonedataError",
        "UnknownTableError",
        "ReleaseError",
        "IntegrityError",
        "DownloadError",
        "MissingDependencyError",
        "DataValidationError",
    ):
        assert issubclass(getattr(zonedata, name), zonedata.ZonedataError)
    assert issubclass(zonedata.IntegrityError, zonedata.ReleaseError)
    assert issubclass(zonedata.MissingDependencyError, ImportError)
    assert "load" in dir(zonedata)
    with pytest.raises(AttributeError):
        _ = zonedata.no_such_name  # type: ignore[attr-defined]


# --- dtypes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLES)
def test_pandas_dtypes_are_the_documented_ones(name: str) -> None:
    df = zonedata.load(name)
    table = PACKAGE.table(name)
    assert list(df.columns) == table.field_names
    assert isinstance(df.index, pd.RangeIndex)
    for f in table.fields:
        assert df[f.name].dtype == expected_dtype(f), f.name
        if f.kind in DTYPE_NAMES:
            assert str(df[f.name].dtype) == DTYPE_NAMES[f.kind]
        else:
            assert str(df[f.name].dtype) == f"decimal128(18, {f.decimals})[pyarrow]"
        if f.required:
            assert not df[f.name].isna().any(), f.name


@pytest.mark.parametrize("name", TABLES)
def test_arrow_and_polars_have_the_same_schema(name: str) -> None:
    import polars as pl

    table = PACKAGE.table(name)
    arrow = zonedata.load(name, backend="arrow")
    assert isinstance(arrow, pa.Table)
    assert arrow.schema.equals(arrow_schema(table, PACKAGE), check_metadata=True)
    polars = zonedata.load(name, backend="polars")
    assert isinstance(polars, pl.DataFrame)
    expected = {
        "integer": pl.Int64,
        "boolean": pl.Boolean,
        "string": pl.String,
        "partial-date": pl.String,
    }
    for f in table.fields:
        want = expected.get(f.kind) or pl.Decimal(18, int(f.decimals or 0))
        assert polars.schema[f.name] == want, f.name
    assert polars.to_arrow().cast(arrow.schema).equals(arrow)


@pytest.mark.parametrize("name", TABLES)
def test_values_are_the_csv_cells_exactly(name: str) -> None:
    """Every cell equals its CSV text: decimals exact, missing cells <NA>."""
    table = PACKAGE.table(name)
    df = zonedata.load(name)
    with PACKAGE.file(table).open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert len(df) == len(records)
    for f in table.fields:
        for got, text in zip(df[f.name].tolist(), (r[f.name] for r in records), strict=True):
            if text == "":
                assert got is pd.NA, (f.name, got)
            elif f.kind in ("integer", "year"):
                assert got == int(text)
            elif f.kind == "number":
                assert isinstance(got, Decimal) and got == Decimal(text), (f.name, got, text)
            elif f.kind == "boolean":
                assert got is (text in f.true_values)
            else:
                assert got == text


def test_decimals_stay_exact() -> None:
    df = zonedata.load("city_gdp")
    total = df["gdp_cny_bn"].sum()
    assert isinstance(total, Decimal)
    assert total == sum((Decimal(str(v)) for v in df["gdp_cny_bn"]), Decimal(0))


def test_polars_missing_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "polars", None)  # makes `import polars` fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'zonedata\[polars\]'"):
        zonedata.load("cities", backend="polars")
    with pytest.raises(ImportError):
        zonedata.load("cities", backend="polars")


# --- typed rows ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLES)
def test_rows_match_the_frame(name: str) -> None:
    from zonedata.row_types import ROW_TYPES

    rows = list(zonedata.rows(name))
    arrow = zonedata.load(name, backend="arrow")
    assert all(type(r) is ROW_TYPES[name] for r in rows)
    assert [dataclasses.astuple(r) for r in rows] == [tuple(d.values()) for d in arrow.to_pylist()]


def test_rows_are_frozen_with_python_values() -> None:
    gdp = next(r for r in zonedata.rows("city_gdp") if r.gdp_usd_bn is not None)
    assert isinstance(gdp.gdp_cny_bn, Decimal) and isinstance(gdp.gdp_usd_bn, Decimal)
    assert isinstance(gdp.year, int) and isinstance(gdp.preferred, bool)
    with pytest.raises(dataclasses.FrozenInstanceError):
        gdp.year = 1999  # type: ignore[misc]


# --- releases --------------------------------------------------------------------------------


def assert_same(name: str, **kwargs: Any) -> None:
    pd.testing.assert_frame_equal(
        zonedata.load(name, **kwargs), zonedata.load(name), check_exact=True
    )
    arrow = zonedata.load(name, backend="arrow", **kwargs)
    assert arrow.equals(zonedata.load(name, backend="arrow"))


@pytest.mark.parametrize("name", TABLES)
def test_release_folder_and_zip_give_the_bundled_frames(release: Path, name: str) -> None:
    zip_path = release.parent / f"{release.name}.zip"
    assert_same(name, release=release)
    assert_same(name, release=str(zip_path))
    assert_same(name, release=release / "datapackage.json")


def test_release_url_gives_the_same_frames_and_caches(
    release: Path, cache: Path, serve: Any
) -> None:
    base = serve(release.parent)
    folder_url = f"{base}{release.name}"  # without the trailing slash
    for name in ("cities", "city_gdp", "zone_dates"):
        assert_same(name, release=folder_url)
    descriptor_url = f"{base}{release.name}/datapackage.json"
    assert_same("exchange_rates", release=descriptor_url)
    assert list(zonedata.rows("cities", release=folder_url)) == list(zonedata.rows("cities"))
    cached = {p.name for p in cache.rglob("*") if p.is_file()}
    assert {"datapackage.json", "cities.parquet", "city_gdp.parquet"} <= cached
    assert not any(n.startswith(".part-") for n in cached)


def test_cached_release_is_read_offline(
    release: Path, cache: Path, serve: Any, tmp_path: Path
) -> None:
    served = tmp_path / "served"
    shutil.copytree(release, served / release.name)
    url = serve(served) + release.name + "/"
    expected = zonedata.load("cities", release=url)
    shutil.rmtree(served)  # the server now answers 404 to everything
    pd.testing.assert_frame_equal(zonedata.load("cities", release=url), expected)
    with pytest.raises(DownloadError, match="404"):
        zonedata.load("zones", release=url)


def test_tampered_release_file_is_refused(release_copy: Path) -> None:
    tamper(release_copy / "cities.parquet")
    with pytest.raises(IntegrityError, match=r"cities\.parquet.*SHA-256 mismatch") as info:
        zonedata.load("cities", release=release_copy)
    assert info.value.file.endswith("cities.parquet")
    assert isinstance(info.value, ReleaseError)
    assert_same("zones", release=release_copy)  # the other files are still fine


def test_truncated_release_file_is_refused(release_copy: Path) -> None:
    path = release_copy / "city_gdp.parquet"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(IntegrityError, match="size mismatch"):
        zonedata.load("city_gdp", release=release_copy)


def test_tampered_zip_member_is_refused(release_copy: Path, tmp_path: Path) -> None:
    tamper(release_copy / "zones.parquet")
    zip_path = tmp_path / "tampered.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        for p in sorted(release_copy.iterdir()):
            zf.write(p, f"{release_copy.name}/{p.name}")
    with pytest.raises(IntegrityError, match=r"zones\.parquet"):
        zonedata.load("zones", release=zip_path)


def test_tampered_download_is_refused_and_never_cached(
    release_copy: Path, cache: Path, serve: Any
) -> None:
    original = (release_copy / "cities.parquet").read_bytes()
    tamper(release_copy / "cities.parquet")
    url = serve(release_copy.parent) + release_copy.name + "/"
    with pytest.raises(IntegrityError, match=r"cities\.parquet"):
        zonedata.load("cities", release=url)
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.endswith(".parquet") or p.name.startswith(".part-")]
    (release_copy / "cities.parquet").write_bytes(original)  # the server is fixed
    assert_same("cities", release=url)


def test_damaged_cache_entry_is_downloaded_again(release: Path, cache: Path, serve: Any) -> None:
    url = serve(release.parent) + release.name + "/"
    zonedata.load("zones", release=url)
    [cached] = cache.rglob("zones.parquet")
    tamper(cached)
    assert_same("zones", release=url)
    assert cached.read_bytes() == (release / "zones.parquet").read_bytes()


def test_release_resource_without_hash_is_refused(release_copy: Path) -> None:
    path = release_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for r in descriptor["resources"]:
        r.pop("hash", None)
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(ReleaseError, match="no SHA-256 hash"):
        zonedata.load("cities", release=release_copy)


@pytest.mark.parametrize("bad", ["../cities.parquet", "/etc/passwd", "https://x.org/a.parquet"])
def test_release_path_leaving_the_release_is_refused(release_copy: Path, bad: str) -> None:
    path = release_copy / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for r in descriptor["resources"]:
        if r["name"] == "cities":
            r["path"] = bad
            r["format"] = "parquet"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(ReleaseError, match="unsafe resource path"):
        zonedata.load("cities", release=release_copy)


def test_release_with_wrong_column_types_is_refused(release_copy: Path) -> None:
    table = PACKAGE.table("city_gdp")
    typed = zonedata.load("city_gdp", backend="arrow")
    as_float = typed.set_column(3, "gdp_cny_bn", typed.column(3).cast(pa.float64()))
    pq.write_table(as_float, release_copy / "city_gdp.parquet")
    descriptor = json.loads((release_copy / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [
        parquet_resource(release_copy, "city_gdp", table.descriptor["schema"])
        if r["name"] == "city_gdp"
        else r
        for r in descriptor["resources"]
    ]
    write_descriptor(release_copy, descriptor)
    with pytest.raises(ReleaseError, match=r"'gdp_cny_bn' is double, the descriptor says decimal"):
        zonedata.load("city_gdp", release=release_copy)


def test_release_errors_are_clear(release: Path, tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="no such release"):
        zonedata.load("cities", release=tmp_path / "nowhere")
    with pytest.raises(ReleaseError, match="not a release folder"):
        zonedata.load("cities", release=tmp_path)
    with pytest.raises(ReleaseError, match="unsupported URL scheme"):
        zonedata.load("cities", release="ftp://example.org/zonedata-1/")
    with pytest.raises(UnknownTableError, match=r"valid tables: .*cities"):
        zonedata.load("citys", release=release)


def test_unreachable_url_is_a_download_error(cache: Path) -> None:
    import socket

    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match="cannot download"):
        zonedata.load("cities", release=f"http://127.0.0.1:{port}/zonedata-1/")
    assert not cache.exists() or not any(cache.rglob("*.parquet"))


# --- validate=True ---------------------------------------------------------------------------

needs_semantic = pytest.mark.skipif(
    not _semantic_available(),
    reason="zonedata.validate.semantic (check_semantics) has not landed yet",
)


@needs_semantic
@pytest.mark.parametrize("name", ["cities", "city_gdp", "exchange_rates"])
def test_validate_true_passes_on_the_package(name: str) -> None:
    pd.testing.assert_frame_equal(zonedata.load(name, validate=True), zonedata.load(name))


@needs_semantic
def test_validate_true_passes_on_a_release(release: Path) -> None:
    zonedata.load("city_gdp", release=release, validate=True, backend="arrow")


@needs_semantic
def test_validate_true_rejects_bad_data(release_copy: Path) -> None:
    table = PACKAGE.table("cities")
    typed = zonedata.load("cities", backend="arrow")
    bad = typed.set_column(0, "city_id", pa.array(["Not An Id"] * typed.num_rows))
    pq.write_table(bad, release_copy / "cities.parquet")
    descriptor = json.loads((release_copy / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [
        parquet_resource(release_copy, "cities", table.descriptor["schema"])
        if r["name"] == "cities"
        else r
        for r in descriptor["resources"]
    ]
    write_descriptor(release_copy, descriptor)
    zonedata.load("cities", release=release_copy)  # loads without validation
    with pytest.raises(DataValidationError, match="cities") as info:
        zonedata.load("cities", release=release_copy, validate=True)
    assert isinstance(info.value, ValueError)
    assert info.value.problems


@needs_semantic
def test_validate_true_on_a_release_applies_the_releases_declared_rules(
    release_copy: Path,
) -> None:
    table = PACKAGE.table("city_growth")
    typed = zonedata.load("city_growth", backend="arrow")
    at = typed.schema.get_field_index("growth_pct")
    growth = typed.column(at).to_pylist()
    growth[0] = Decimal("55.0")  # outside the declared hard range
    bad = typed.set_column(at, typed.schema.field(at), pa.array(growth, typed.column(at).type))
    pq.write_table(bad, release_copy / "city_growth.parquet")
    descriptor = json.loads((release_copy / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"] = [
        parquet_resource(release_copy, "city_growth", table.descriptor["schema"])
        if r["name"] == "city_growth"
        else r
        for r in descriptor["resources"]
    ]
    write_descriptor(release_copy, descriptor)
    with pytest.raises(DataValidationError) as info:
        zonedata.load("city_growth", release=release_copy, validate=True)
    assert [(p.code, p.line) for p in info.value.problems] == [("growth-out-of-range", 2)]
    # the release's own declarations decide: without this one, the frame passes
    descriptor["zonedata:rules"] = [
        d for d in descriptor["zonedata:rules"] if d["code"] != "growth-out-of-range"
    ]
    write_descriptor(release_copy, descriptor)
    zonedata.load("city_growth", release=release_copy, validate=True)


# --- import cost -----------------------------------------------------------------------------

HEAVY = ("pandas", "pyarrow", "polars", "pandera", "frictionless", "numpy")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO.parent
    )
    return set(out.stdout.split())


def test_import_zonedata_imports_nothing_heavy() -> None:
    loaded = _modules_after("import zonedata")
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
    assert "zonedata" in loaded


def test_load_without_validation_imports_neither_frictionless_nor_pandera() -> None:
    loaded = _modules_after("import zonedata\nzonedata.load('cities')\nzonedata.describe('cities')")
    assert {"pandas", "pyarrow"} <= loaded
    assert not loaded & {"frictionless", "pandera", "polars"}


def test_rows_import_neither_frictionless_nor_pandera() -> None:
    # (pyarrow itself imports pandas when it builds an array from a Python list.)
    loaded = _modules_after("import zonedata\nlist(zonedata.rows('city_gdp'))")
    assert "pyarrow" in loaded
    assert not loaded & {"frictionless", "pandera", "polars"}
