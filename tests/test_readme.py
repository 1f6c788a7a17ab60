"""The README's examples work when pasted: every ```python block runs, against a
release built the way the quick start builds it, and every `zonedata ...` command it
shows is a command the CLI accepts."""

from __future__ import annotations

import re
import shlex
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
    result = subprocess.run(
        [sys.executable, "-c", block], cwd=release_dir, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


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
