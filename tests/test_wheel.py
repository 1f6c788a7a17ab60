"""The wheel alone is enough: built with ``python -m build``, installed into a fresh
virtual environment with no checkout in sight, ``zonedata.load("cities")`` works.

How the environment is made, quickly and offline:

1. ``python -m build --wheel`` builds the wheel (``--no-isolation`` when hatchling is
   installed, so no download is needed; otherwise build fetches it as usual).
2. ``python -m venv --without-pip`` creates the environment (no ensurepip: fast), and the
   test's own pip installs the wheel into it with ``pip --python VENV install --no-deps``.
3. The dependencies (pandas, pyarrow, ...) are not downloaded: a ``.pth`` file in the new
   environment appends the test interpreter's site-packages folders to ``sys.path``. A
   path line in a ``.pth`` file adds only that folder: the ``.pth`` files inside it (such
   as the editable install's pointer to ``src/``) are not processed, and the new
   environment's own site-packages comes first, so ``zonedata`` is the wheel's.
   (``--system-site-packages`` would not do: it exposes the base interpreter's packages,
   not those of the virtual environment the tests run in.)
4. The probe runs with ``python -I`` (isolated: no ``PYTHONPATH``, no user site, no
   current directory on ``sys.path``) from a folder outside the checkout, and checks
   that zonedata and its data come from the new environment, and that nothing else of
   the checkout is on ``sys.path`` (the lent site-packages may lie inside it, as with
   ``python -m venv .venv`` in the checkout).
"""

from __future__ import annotations

import importlib.util
import json
import os
import site
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys
from pathlib import Path

venv, repo = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
# the test environment's site-packages, which lend the dependencies: inside the checkout
# when the virtualenv is (python -m venv .venv), and holding no zonedata of their own
deps = {Path(p).resolve() for p in json.loads(sys.argv[3])}
import zonedata
from zonedata.descriptor.package import bundled_package_path

here = Path(zonedata.__file__).resolve()
data = bundled_package_path().resolve()
assert here.is_relative_to(venv), here
assert data.is_relative_to(venv) and data.parent.name == "_data", data
outside = [Path(p).resolve() for p in sys.path if p and Path(p).resolve() not in deps]
assert not any(p.is_relative_to(repo) for p in outside), sys.path
assert not any((d / "zonedata" / "__init__.py").exists() for d in deps), deps

cities = zonedata.load("cities")
rows = list(zonedata.rows("cities"))
assert len(rows) == len(cities) > 0
gdp = zonedata.load("city_gdp", backend="arrow")
from zonedata.pandera_models import MODELS
MODELS["city_gdp"].validate(zonedata.load("city_gdp"))
print(json.dumps({
    "module": str(here),
    "data": str(data),
    "tables": len(zonedata.tables()),
    "cities": len(cities),
    "dtypes": {c: str(t) for c, t in cities.dtypes.items()},
    "gdp_type": str(gdp.schema.field("gdp_cny_bn").type),
}))
"""


def _run(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result


def _bin(venv: Path, name: str) -> Path:
    return (
        venv
        / ("Scripts" if os.name == "nt" else "bin")
        / (name + (".exe" if os.name == "nt" else ""))
    )


def test_wheel_alone_loads_the_data(tmp_path: Path) -> None:
    pytest.importorskip("build")
    timings: dict[str, float] = {}
    started = time.perf_counter()

    dist = tmp_path / "dist"
    cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist)]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.insert(4, "--no-isolation")
    _run([*cmd, str(REPO)], cwd=tmp_path)
    [wheel] = dist.glob("zonedata-*.whl")
    timings["build"] = time.perf_counter() - started

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    expected = {"zonedata/_data/datapackage.json"} | {
        f"zonedata/_data/{r['path']}" for r in descriptor["resources"]
    }
    # the SQL files of the derived tables the descriptor declares
    expected |= {f"zonedata/_data/{d['sqlPath']}" for d in descriptor["zonedata:derived"]}
    assert expected <= names, sorted(expected - names)
    for module in (
        "__init__.py",
        "row_types.py",
        "pandera_models.py",
        "py.typed",
        "loading/api.py",
    ):
        assert f"zonedata/{module}" in names, module
    assert not [n for n in names if n.startswith(("tests/", "zonedata/tests/"))]
    # the site's templates, and the dataset's own site pages it declares (zonedata:site)
    for shipped in ("site/templates/page.html", "site/assets/site.js", "_data/site/site.json"):
        assert f"zonedata/{shipped}" in names, shipped
    # and the templates and queries of the documents it declares (zonedata:docs)
    declared = json.loads((REPO / descriptor["zonedata:docs"]).read_text(encoding="utf-8"))
    shipped_docs = {descriptor["zonedata:docs"]}
    for doc in declared["documents"]:
        shipped_docs |= {doc["template"], *doc.get("queries", {}).values()}
    assert {f"zonedata/_data/{x}" for x in shipped_docs} <= names

    mark = time.perf_counter()
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = _bin(venv, "python")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    _run([*pip, "install", "--no-deps", "--no-index", "--quiet", str(wheel)])
    [venv_site] = [
        Path(p)
        for p in _run(
            [str(python), "-I", "-c", "import site; print(site.getsitepackages()[0])"]
        ).stdout.split("\n")
        if p
    ]
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (venv_site / "_zonedata_test_deps.pth").write_text("\n".join(parents) + "\n", encoding="utf-8")
    timings["venv+install"] = time.perf_counter() - mark

    mark = time.perf_counter()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    probe = _run(
        [str(python), "-I", "-c", PROBE, str(venv), str(REPO), json.dumps(parents)],
        cwd=outside,
        env=env,
    )
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    timings["probe"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started

    assert report["tables"] == len(descriptor["resources"])
    assert report["dtypes"]["city_id"] == "string"
    assert report["gdp_type"] == "decimal128(18, 3)"
    version = _run([str(_bin(venv, "zonedata")), "--version"], cwd=outside, env=env)
    assert "0.1.0" in version.stdout
    # the site's assets are package data: the installed wheel builds the site alone
    _run([str(_bin(venv, "zonedata")), "site", "--out", "site"], cwd=outside, env=env)
    for page in ("index.html", "site.css", "site.js", "tables/cities.html", "claims.html"):
        assert (outside / "site" / page).is_file(), page
    # and makes the documents the bundled package declares, as the checkout has them
    _run([str(_bin(venv, "zonedata")), "docs", "coverage", "chart"], cwd=outside, env=env)
    for doc in ("coverage.md", "gdp-chart.svg"):
        assert (outside / "docs" / doc).read_bytes() == (REPO / "docs" / doc).read_bytes(), doc
    print("wheel test timings (s):", {k: round(v, 2) for k, v in timings.items()})
