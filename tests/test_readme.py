"""The README's examples work when pasted: every ```python block runs, against a
release built the way the quick start builds it, every `zonedata ...` command it
shows is a command the CLI accepts, and every `sqlite3 ...` command runs. The release
examples (pandas, polars, DuckDB, sqlite3) give the same answers."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from zonedata import __version__
from zonedata.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
PYTHON_BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)
COMMANDS = sorted(
    {
        line.split("#")[0].strip()
        for block in re.findall(r"```console\n(.*?)```", TEXT, flags=re.S)
        for line in block.splitlines()
        if line.strip().startswith("zonedata")
    }
)

SQLITE_COMMANDS = [
    line.strip()
    for block in re.findall(r"```console\n(.*?)```", TEXT, flags=re.S)
    for line in block.splitlines()
    if line.strip().startswith("sqlite3 ")
]
#: the README's release examples answer these questions in every library
ANSWER_BLOCKS = [b for b in PYTHON_BLOCKS if "zone_overview" in b and "city_indicators" in b]
#: MIIT zones by approval date (ties in file order are not asserted), 2018 GDP in USD
ZONE_ORDER = ["miit-shanghai-pudong", "miit-beijing", "miit-changsha"]
USD_ORDER = ["493.85", "457.88", "366.03", "345.44"]  # Shanghai, Beijing, Shenzhen, Guangzhou


def _in_order(text: str, items: list[str]) -> bool:
    positions = [text.find(i) for i in items]
    return -1 not in positions and positions == sorted(positions)


@pytest.fixture(scope="module")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = tmp_path_factory.mktemp("readme")
    subprocess.run(
        [sys.executable, "-m", "zonedata", "release", "--out", "dist"],
        cwd=cwd,
        check=True,
        capture_output=True,
    )
    assert (cwd / "dist" / f"zonedata-{__version__}" / "cities.parquet").is_file()
    return cwd


def test_readme_has_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 2
    assert "pip install . && zonedata release" in TEXT
    assert 'pip install -e ".[test]" && pytest' in TEXT


@pytest.mark.parametrize(
    "block", PYTHON_BLOCKS, ids=[f"block{i}" for i in range(len(PYTHON_BLOCKS))]
)
def test_python_block_runs(block: str, release_dir: Path) -> None:
    for library in ("polars", "duckdb"):
        if f"import {library}" in block:
            pytest.importorskip(library)
    result = subprocess.run(
        [sys.executable, "-c", block], cwd=release_dir, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    if block in ANSWER_BLOCKS:
        assert _in_order(result.stdout, ZONE_ORDER), result.stdout
        assert _in_order(result.stdout, USD_ORDER), result.stdout
        assert "most-" not in result.stdout  # MIIT zones only
        assert "qqzyw-2018-shenzhen-communique" in result.stdout


def test_the_release_examples_cover_every_library() -> None:
    imports = sorted(
        lib
        for b in ANSWER_BLOCKS
        for lib in ("pandas", "polars", "duckdb", "sqlite3")
        if f"import {lib}" in b
    )
    assert imports == ["duckdb", "pandas", "polars", "sqlite3"]
    for block in ANSWER_BLOCKS:  # one line per question
        assert len([line for line in block.splitlines() if "zone_overview" in line]) == 1
        assert len([line for line in block.splitlines() if "city_indicators" in line]) == 1
    assert len(SQLITE_COMMANDS) == 2


@pytest.mark.parametrize("command", SQLITE_COMMANDS)
def test_sqlite3_command_runs(command: str, release_dir: Path) -> None:
    if shutil.which("sqlite3") is None:
        pytest.skip("no sqlite3 command on this machine")
    result = subprocess.run(
        shlex.split(command), cwd=release_dir, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    items = ZONE_ORDER if "zone_overview" in command else USD_ORDER
    assert _in_order(result.stdout, items), result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_console_command_is_accepted(command: str) -> None:
    args = shlex.split(command)[1:]
    # ask for the subcommand's help with the same options: a parse error would exit 2
    options = [a for a in args if a.startswith("--")]
    sub = [a for a in args if not a.startswith("-")][:1]
    result = CliRunner().invoke(cli, [*sub, "--help"])
    assert result.exit_code == 0, result.output
    for opt in options:
        assert opt in result.output, (
            f"{command}: {opt} is not an option of zonedata {' '.join(sub)}"
        )
