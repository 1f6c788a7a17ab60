"""``zonedata docs``: generate the documentation files, or check that they are current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from zonedata.descriptor.package import Package
    from zonedata.docs import Target

#: the generated files, in the order they are written (see :func:`all_targets`)
TARGET_NAMES = ("dictionary", "cli", "rules", "chart", "coverage", "row-types", "pandera-models")
#: at most this many lines of a staleness diff are shown per file
DIFF_LINES = 40


def all_targets() -> dict[str, Target]:
    """Every file ``zonedata docs`` writes: the docs layer's, and the CLI reference."""
    from zonedata.cli.reference import TARGET
    from zonedata.docs import TARGETS

    return {**TARGETS, TARGET.name: TARGET}


@click.command()
@click.argument("targets", nargs=-1, type=click.Choice(TARGET_NAMES), metavar="[TARGET]...")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if a file is missing or stale, and show how it differs.",
)
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    metavar="DIR",
    help="Folder of the generated files. Default: docs/ beside the datapackage.json "
    "(./docs for the copy bundled in an installed wheel), and the zonedata package folder "
    "for row_types.py and pandera_models.py.",
)
@click.option(
    "--package",
    "package_path",
    type=click.Path(path_type=str),
    default=None,
    metavar="PATH",
    help="The datapackage.json (or its folder) to document. Default: the zonedata package.",
)
def docs(
    targets: tuple[str, ...], check: bool, out_dir: str | None, package_path: str | None
) -> None:
    """Generate the documentation files, or check that they are up to date.

    TARGETS are any of the files below (default: all of them). Each is generated from
    what it documents, deterministically, so a committed file that differs is stale.

    \b
      dictionary  data-dictionary.md: tables, fields, keys, units, constraints, sources
      cli         cli.md: the --help of every command
      rules       validation.md: validation layers, severities and rule codes
      chart       gdp-chart.svg: host cities' 2018 GDP by source (needs matplotlib)
      coverage    coverage.md: facts per city, zone and year, and the known gaps
      row-types   zonedata/row_types.py: the row types (package folder)
      pandera-models  zonedata/pandera_models.py: Pandera models (package folder)

    \b
    Exit codes:
      0  files written, or (--check) all up to date
      1  (--check) a file is missing or stale: run `zonedata docs` and commit the result
      2  usage or input error, or matplotlib missing for the chart

    \b
    Examples:
      zonedata docs
      zonedata docs --check
      zonedata docs dictionary rules --check
    """
    from zonedata.descriptor.package import DescriptorError, read_package

    every = all_targets()
    chosen = [every[n] for n in TARGET_NAMES if not targets or n in targets]
    try:
        package = read_package(package_path)
    except DescriptorError as e:
        _fail(f"cannot read the package: {e}")
    rendered = _render_all(chosen, package, _folder(package, out_dir, package_path), out_dir)
    stale = 0
    for target, (path, fresh) in zip(chosen, rendered, strict=True):
        if check:
            stale += _check_one(target, path, fresh)
        else:
            _write_one(target, path, fresh)
    if check and stale:
        click.echo(
            f"{stale} of {len(chosen)} documentation file(s) missing or stale: run the same "
            "command without --check (`zonedata docs`) and commit the result."
        )
        sys.exit(1)


def _folder(package: Package, out_dir: str | None, package_path: str | None) -> Path:
    """Where the docs go: --out-dir, ./docs for the bundled copy, or docs/ beside it."""
    if out_dir is not None:
        return Path(out_dir)
    if package.base_path.name == "_data" and package_path is None:
        return Path("docs")
    return package.base_path / "docs"


def _render_all(
    chosen: list[Target], package: Package, folder: Path, out_dir: str | None
) -> list[tuple[Path, bytes]]:
    """Every chosen file's path and bytes, rendered before anything is written (so a
    missing dependency writes no file)."""
    from zonedata.docs import MissingDependencyError, package_folder
    from zonedata.errors import ZonedataError

    rendered: list[tuple[Path, bytes]] = []
    for target in chosen:
        where = package_folder() if target.location == "package" and out_dir is None else folder
        try:
            rendered.append((where / target.filename, target.render(package)))
        except MissingDependencyError as e:
            others = " ".join(t.name for t in chosen if t.name != target.name)
            hint = f" (or generate the others only: zonedata docs {others})" if others else ""
            _fail(f"{e}{hint}")
        except ZonedataError as e:  # a descriptor the generators cannot use
            _fail(f"{target.name}: {e}")
    return rendered


def _write_one(target: Target, path: Path, fresh: bytes) -> None:
    shown = _display(path)
    committed = path.read_bytes() if path.is_file() else None
    current, note = (False, "") if committed is None else target.is_current(committed, fresh)
    if current:  # a chart redrawn by another matplotlib only is left alone
        click.echo(f"unchanged  {shown}{f' ({note})' if note else ''}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fresh)
    click.echo(f"{'created' if committed is None else 'updated':<10} {shown}")


def _check_one(target: Target, path: Path, fresh: bytes) -> int:
    """Say whether the committed file is current; 1 if it is missing or stale, else 0."""
    shown = _display(path)
    if not path.is_file():
        click.echo(f"missing    {shown}")
        return 1
    committed = path.read_bytes()
    current, note = target.is_current(committed, fresh)
    if current:
        click.echo(f"up to date {shown}{f' ({note})' if note else ''}")
        return 0
    click.echo(f"stale      {shown}")
    if target.text:
        _show_diff(shown, committed, fresh)
    else:
        click.echo(f"    {note or 'the generated file differs'}")
    return 1


def _show_diff(shown: str, committed: bytes, fresh: bytes) -> None:
    import difflib

    diff = list(
        difflib.unified_diff(
            committed.decode("utf-8", errors="replace").splitlines(),
            fresh.decode("utf-8").splitlines(),
            fromfile=f"{shown} (committed)",
            tofile=f"{shown} (generated)",
            n=1,
            lineterm="",
        )
    )
    for line in diff[:DIFF_LINES]:
        click.echo(f"    {line}")
    if len(diff) > DIFF_LINES:
        click.echo(f"    ... {len(diff) - DIFF_LINES} more diff lines")


def _display(path: Path) -> str:
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _fail(message: str) -> NoReturn:
    click.echo(f"zonedata docs: {message}", err=True)
    sys.exit(2)
