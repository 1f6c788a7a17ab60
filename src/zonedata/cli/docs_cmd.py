"""``zonedata docs``: generate the documentation files, or check that they are current."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

#: the generated files, in the order they are written (see zonedata.docs.TARGETS)
TARGET_NAMES = ("dictionary", "cli", "rules", "chart", "coverage", "typed", "models")
#: at most this many lines of a staleness diff are shown per file
DIFF_LINES = 40


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
    "for typed.py and models.py.",
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
      typed       zonedata/typed.py: the row types (in the package folder)
      models      zonedata/models.py: the Pandera models (in the package folder)

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
    import difflib

    from zonedata.docs import TARGETS, MissingDependencyError, package_folder
    from zonedata.errors import ZonedataError
    from zonedata.model.descriptor import DescriptorError, read_package

    chosen = [TARGETS[n] for n in TARGET_NAMES if not targets or n in targets]
    try:
        package = read_package(package_path)
    except DescriptorError as e:
        _fail(f"cannot read the package: {e}")
    if out_dir is not None:
        folder = Path(out_dir)
    elif package.base_path.name == "_data" and package_path is None:
        folder = Path("docs")
    else:
        folder = package.base_path / "docs"

    # Render everything before writing anything: a missing dependency writes no file.
    rendered: list[tuple[Path, bytes]] = []
    for target in chosen:
        try:
            where = folder
            if target.location == "package" and out_dir is None:
                where = package_folder()
            rendered.append((where / target.filename, target.render(package)))
        except MissingDependencyError as e:
            others = " ".join(t.name for t in chosen if t.name != target.name)
            hint = f" (or generate the others only: zonedata docs {others})" if others else ""
            _fail(f"{e}{hint}")
        except ZonedataError as e:  # a descriptor the generators cannot use
            _fail(f"{target.name}: {e}")

    stale = 0
    for target, (path, fresh) in zip(chosen, rendered, strict=True):
        shown = _display(path)
        committed = path.read_bytes() if path.is_file() else None
        current, note = (False, "") if committed is None else target.is_current(committed, fresh)
        suffix = f" ({note})" if note and current else ""
        if not check:
            if current:  # a chart redrawn by another matplotlib only is left alone
                click.echo(f"unchanged  {shown}{suffix}")
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(fresh)
                click.echo(f"{'created' if committed is None else 'updated':<10} {shown}")
            continue
        if committed is None:
            stale += 1
            click.echo(f"missing    {shown}")
            continue
        if current:
            click.echo(f"up to date {shown}{suffix}")
            continue
        stale += 1
        click.echo(f"stale      {shown}")
        if target.text:
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
        else:
            click.echo(f"    {note or 'the generated file differs'}")
    if check and stale:
        click.echo(
            f"{stale} of {len(chosen)} documentation file(s) missing or stale: run the same "
            "command without --check (`zonedata docs`) and commit the result."
        )
        sys.exit(1)


def _display(path: Path) -> str:
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _fail(message: str) -> NoReturn:
    click.echo(f"zonedata docs: {message}", err=True)
    sys.exit(2)
