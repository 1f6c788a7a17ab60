"""The generated typed API (zonedata.row_types, zonedata.pandera_models) against the descriptor.

- the generated files are up to date (``zonedata docs row-types pandera-models --check``)
- every row type and every Pandera model matches the descriptor field by field
- the generator writes ruff-clean code, even for awkward descriptors
- mypy (strict) accepts tests/row_types_usage.py and rejects a wrong ``assert_type``
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime
import json
import runpy
import shutil
import subprocess
import sys
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

import zonedata
from zonedata.cli import cli
from zonedata.descriptor.package import Field, Package, read_package
from zonedata.docs import codegen
from zonedata.errors import CodegenError
from zonedata.pandera_schemas import rule_codes

REPO = Path(__file__).resolve().parent.parent
DESCRIPTOR = REPO / "datapackage.json"
PACKAGE = read_package(DESCRIPTOR)
TABLES = PACKAGE.table_names
SRC = REPO / "src" / "zonedata"


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, check=False
    )


# --- freshness -------------------------------------------------------------------------------


def docs(*args: str) -> subprocess.CompletedProcess[str]:
    """``zonedata docs row-types pandera-models ARGS`` in process (an exception fails the test)."""
    with contextlib.chdir(REPO):
        r = CliRunner().invoke(
            cli, ["docs", "row-types", "pandera-models", *args], catch_exceptions=False
        )
    return subprocess.CompletedProcess(list(args), r.exit_code, r.stdout, r.stderr)


def test_docs_check_exits_0_when_fresh_and_1_when_stale(tmp_path: Path) -> None:
    fresh = docs("--check")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr

    descriptor = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    descriptor["resources"][2]["schema"]["fields"][1]["title"] = "English name"
    changed = tmp_path / "datapackage.json"
    changed.write_text(json.dumps(descriptor), encoding="utf-8")
    before = {name: (SRC / name).read_bytes() for name in codegen.GENERATED}
    stale = docs("--check", "--package", str(changed), "--out-dir", str(SRC))
    assert stale.returncode == 1
    assert "stale      " in stale.stdout and "row_types.py" in stale.stdout
    assert "pandera_models.py" in stale.stdout
    assert {name: (SRC / name).read_bytes() for name in codegen.GENERATED} == before

    out = tmp_path / "out"
    wrote = docs("--package", str(changed), "--out-dir", str(out))
    assert wrote.returncode == 0, wrote.stderr
    assert "English name" in (out / "row_types.py").read_text(encoding="utf-8")
    again = docs("--check", "--package", str(changed), "--out-dir", str(out))
    assert again.returncode == 0, again.stdout + again.stderr


def test_class_names() -> None:
    assert codegen.class_name("cities") == "City"
    assert codegen.class_name("zone_industries") == "ZoneIndustry"
    assert codegen.class_name("city_gdp") == "CityGdp"
    assert codegen.class_name("province_gdp_ranks") == "ProvinceGdpRank"
    assert codegen.class_name("sources") == "Source"
    assert codegen.class_name("addresses") == "Address"
    assert codegen.class_name("boxes") == "Box"
    assert codegen.model_name("cities") == "CityModel"


# --- row types against the descriptor ---------------------------------------------------------


def expected_row_type(f: Field) -> Any:
    """The Python type of a field in a row (written out here, independently of codegen)."""
    base: Any
    if f.kind in ("integer", "year"):
        base = int
    elif f.kind == "number":
        base = Decimal if f.decimals is not None else float
    elif f.kind == "boolean":
        base = bool
    elif f.kind == "date":
        base = datetime.date
    else:
        base = str
    if f.enum and base in (str, int):
        base = Literal[tuple(f.enum)]
    return base if f.required else base | None


@pytest.mark.parametrize("name", TABLES)
def test_row_type_matches_the_descriptor(name: str) -> None:
    from zonedata import row_types

    table = PACKAGE.table(name)
    cls = row_types.ROW_TYPES[name]
    assert cls.__name__ == codegen.class_name(table)
    assert getattr(row_types, cls.__name__) is cls
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined, union-attr]
    fields = dataclasses.fields(cls)
    assert [f.name for f in fields] == table.field_names
    hints = typing.get_type_hints(cls)
    for f in table.fields:
        assert hints[f.name] == expected_row_type(f), f.name
    assert name in typing.get_args(row_types.TableName)
    assert cls in typing.get_args(row_types.Row)


def test_row_types_cover_exactly_the_tables() -> None:
    from zonedata import row_types

    assert list(row_types.ROW_TYPES) == TABLES
    assert list(typing.get_args(row_types.TableName)) == TABLES
    assert len(typing.get_args(row_types.Row)) == len(TABLES)


def test_typed_module_is_light() -> None:
    probe = "import zonedata.row_types, sys; print(' '.join(sys.modules))"
    loaded = set(run("-c", probe, cwd=REPO.parent).stdout.split())
    assert not loaded & {"pandas", "pyarrow", "pandera", "numpy", "frictionless"}


# --- Pandera models against the descriptor ----------------------------------------------------


def expected_dtype(f: Field) -> Any:
    if f.kind in ("integer", "year"):
        return pd.Int64Dtype()
    if f.kind == "number":
        if f.decimals is None:
            return pd.Float64Dtype()
        return pd.ArrowDtype(pa.decimal128(18, int(f.decimals)))
    if f.kind == "boolean":
        return pd.BooleanDtype()
    if f.kind == "date":
        return pd.ArrowDtype(pa.date32())
    return pd.StringDtype("pyarrow")


@pytest.mark.parametrize("name", TABLES)
def test_model_matches_the_descriptor(name: str) -> None:
    from pandera.engines import pandas_engine

    from zonedata import pandera_models

    table = PACKAGE.table(name)
    model = pandera_models.MODELS[name]
    assert model.__name__ == codegen.model_name(table)
    assert getattr(pandera_models, model.__name__) is model
    schema = model.to_schema()
    assert schema.name == name
    assert schema.strict is True and schema.ordered is True and schema.coerce is False
    # the contract: one check per rule code (keys, required cells, constraints, rules)
    assert [c.name for c in schema.checks] == list(rule_codes())
    assert list(schema.columns) == table.field_names
    for f in table.fields:
        col = schema.columns[f.name]
        assert col.dtype == pandas_engine.Engine.dtype(expected_dtype(f)), f.name
        if not isinstance(expected_dtype(f), pd.StringDtype):
            # (pandera 0.35 maps every StringDtype to pandas 3's NaN-flavoured ``str`` and
            # compares storage only, so ``string`` and ``str`` are the same to it.)
            assert col.dtype.type == expected_dtype(f), f.name
        assert col.nullable is True and not col.checks, f.name  # the rules check cells
        assert col.title == (f.title or None)
        assert col.description == (" ".join(f.description.split()) or None)
        assert (col.metadata or {}).get("unit") == f.unit


@pytest.mark.parametrize("name", TABLES)
def test_model_accepts_the_loaded_frame(name: str) -> None:
    from pandera.engines import pandas_engine

    from zonedata.pandera_models import MODELS

    df = zonedata.load(name)
    for column in df.columns:  # the model's dtypes are exactly load()'s
        dtype = MODELS[name].to_schema().columns[column].dtype
        assert dtype.check(pandas_engine.Engine.dtype(df[column].dtype)), column
    MODELS[name].validate(df, lazy=True)


def test_model_rejects_wrong_dtypes_and_values() -> None:
    import pandera.errors

    from zonedata.pandera_models import CityGdpModel, CityGrowthModel

    df = zonedata.load("city_gdp")
    as_float = df.assign(gdp_cny_bn=df["gdp_cny_bn"].astype("Float64"))
    with pytest.raises(pandera.errors.SchemaError, match="gdp_cny_bn"):
        CityGdpModel.validate(as_float)
    bad = df.copy()
    bad.loc[0, "confidence"] = "Z"
    with pytest.raises(pandera.errors.SchemaError, match="constraint-enum"):
        CityGdpModel.validate(bad)
    with pytest.raises(pandera.errors.SchemaError, match="primary-key-duplicate"):
        CityGdpModel.validate(pd.concat([df, df.iloc[[0]]], ignore_index=True))
    growth = zonedata.load("city_growth")
    growth.loc[0, "growth_pct"] = Decimal("55.0")  # the CLI's hard range, not just >= -100
    with pytest.raises(pandera.errors.SchemaError, match="growth-out-of-range"):
        CityGrowthModel.validate(growth)


def test_models_are_not_imported_by_zonedata() -> None:
    probe = "import zonedata; zonedata.load('cities'); import sys; print(' '.join(sys.modules))"
    loaded = set(run("-c", probe, cwd=REPO.parent).stdout.split())
    assert "zonedata.pandera_models" not in loaded and "pandera" not in loaded


# --- the generator on awkward descriptors -----------------------------------------------------


def awkward_package(tmp_path: Path) -> Package:
    """The package plus a table whose texts and constraints stress the code writer."""
    descriptor = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    extra = copy.deepcopy(descriptor["resources"][0])
    extra["name"] = "odd_addresses"
    extra["title"] = 'Odd "quoted" titles \\ and backslashes'
    extra["description"] = "长的中文描述" * 30 + " with \"quotes\", 'apostrophes' and a \\d escape."
    extra["schema"]["fields"] = [
        {
            "name": "code",
            "type": "string",
            "title": 'Code with a "quote" and a very long title that goes on and on and on and on',
            "description": "x" * 150,
            "constraints": {
                "required": True,
                "pattern": r"[A-Z]{2}\d+",
                "enum": [f"value-number-{i}" for i in range(12)],
                "minLength": 2,
                "maxLength": 40,
            },
        },
        {
            "name": "share",
            "type": "number",
            "decimals": 1,
            "unit": "percent",
            "constraints": {"minimum": 0, "maximum": 100},
        },
        {"name": "ratio", "type": "number", "title": "A float"},
        {"name": "day", "type": "date", "title": "A date"},
        {"name": "rank", "type": "integer", "constraints": {"enum": [1, 2, 3]}},
    ]
    extra["schema"]["primaryKey"] = ["code"]
    descriptor["resources"].append(extra)
    path = tmp_path / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return read_package(path)


def _ruff() -> list[str] | None:
    found = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    if shutil.which("ruff"):
        return ["ruff"]
    return None


def test_generated_code_is_valid_and_ruff_clean(tmp_path: Path) -> None:
    package = awkward_package(tmp_path)
    out = tmp_path / "gen"
    out.mkdir()
    files = codegen.render_all(package)
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        compile(text, name, "exec")
    namespace = runpy.run_path(str(out / "row_types.py"))
    odd = namespace["OddAddress"]
    hints = typing.get_type_hints(odd, globalns=namespace)
    assert hints["share"] == Decimal | None
    assert hints["ratio"] == float | None
    assert hints["day"] == datetime.date | None
    assert hints["rank"] == Literal[1, 2, 3] | None
    models = runpy.run_path(str(out / "pandera_models.py"))
    model = models["OddAddressModel"]
    assert model.Config.name == "odd_addresses"
    assert model.Config.title == 'Odd "quoted" titles \\ and backslashes'
    hints = typing.get_type_hints(model, globalns=models, include_extras=True)
    assert "Float64" in str(hints["ratio"]) and "date32" in str(hints["day"])

    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed")
    shutil.copy(REPO / "pyproject.toml", out / "pyproject.toml")
    fmt = subprocess.run(
        [*ruff, "format", "--check", "--diff", "."], cwd=out, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run([*ruff, "check", "."], cwd=out, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_codegen_refuses_unusable_field_names(tmp_path: Path) -> None:
    descriptor = json.loads(DESCRIPTOR.read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"]["fields"][0]["name"] = "class"
    path = tmp_path / "datapackage.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(CodegenError, match="'class'"):
        codegen.render_all(read_package(path))
    result = docs("--check", "--package", str(path))
    assert result.returncode == 2 and "'class'" in result.stderr
    assert "Traceback" not in result.stderr


# --- mypy --------------------------------------------------------------------------------------

BAD_USAGE = """\
from collections.abc import Iterator
from typing import assert_type

import zonedata
from zonedata.row_types import City, Zone

assert_type(zonedata.rows("cities"), Iterator[Zone])
city: City = next(zonedata.rows("cities"))
city.name_en = "Peking"
print(city.population)
"""


def test_mypy_accepts_row_types_usage_and_rejects_mistakes(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    bad = tmp_path / "bad_usage.py"
    bad.write_text(BAD_USAGE, encoding="utf-8")
    result = run(
        "-m",
        "mypy",
        "--config-file",
        str(REPO / "pyproject.toml"),
        "--no-error-summary",
        "--cache-dir",
        str(REPO / ".mypy_cache"),
        str(REPO / "tests" / "row_types_usage.py"),
        str(bad),
    )
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [line for line in lines if "row_types_usage.py" in line], result.stdout
    errors = "\n".join(lines)
    assert "bad_usage.py:7: error: Expression is of type" in errors  # wrong assert_type
    assert "bad_usage.py:9: error" in errors  # assignment to a frozen dataclass field
    assert "bad_usage.py:10: error" in errors and "population" in errors
    assert result.returncode == 1


def test_row_types_usage_runs() -> None:
    runpy.run_path(str(REPO / "tests" / "row_types_usage.py"))
