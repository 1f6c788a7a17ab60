"""``zonedata docs``: generate the documentation files, or check that they are current."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

if TYPE_CHECKING:
    from collections.abc import Callable

    from zonedata.descriptor.package import Package
    from zonedata.docs import Target
    from zonedata.docs.declared import DeclaredDocs

#: the toolkit's own files, in the order they are written; the documents a package
#: declares (``zonedata:docs``) are written after the first three
TOOLKIT_NAMES = ("dictionary", "cli", "rules", "row-types", "pandera-models")
#: at most this many lines of a staleness diff are shown per file
DIFF_LINES = 40


def all_targets(
    package: Package | None = None, path: str | os.PathLike[str] | None = None
) -> dict[str, Target]:
    """Every file ``zonedata docs`` writes: the toolkit's own (the docs layer's and the CLI
    reference), and the documents ``package`` (read from ``path``) declares.

    Raises :class:`zonedata.errors.DocsError` for a wrong declaration, or a declared
    document that would take the name or file of one of the toolkit's.
    """
    from zonedata.cli.reference import TARGET
    from zonedata.descriptor.docs_declaration import PROPERTY
    from zonedata.docs import TARGETS, Target
    from zonedata.docs.declared import DeclaredDocs
    from zonedata.errors import DocsError

    toolkit = {**TARGETS, TARGET.name: TARGET}
    every = {n: toolkit[n] for n in TOOLKIT_NAMES[:3]}
    if package is not None:
        declared = DeclaredDocs(package, path)
        taken = {t.name for t in toolkit.values()} | {t.filename for t in toolkit.values()}
        for doc in declared.documents:
            if doc.name in taken or doc.path in taken:
                raise DocsError(
                    f"{PROPERTY}: document {doc.name!r} ({doc.path}) takes the name or the "
                    "file of one of the toolkit's documents"
                )
            every[doc.name] = Target(
                doc.name, doc.path, doc.summary, _renderer(declared, doc.name), declared=True
            )
    return {**every, **{n: toolkit[n] for n in TOOLKIT_NAMES[3:]}}


def _renderer(declared: DeclaredDocs, name: str) -> Callable[[Package], bytes]:
    """A declared document's generator (it renders the package it was declared by)."""
    return lambda _package: declared.render(name)


@click.command()
@click.argument("targets", nargs=-1, metavar="[TARGET]...")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 if a file is missing or stale, and show how it differs.",
)
@click.option(
    "--list",
    "list_only",
    is_flag=True,
    help="List the package's targets (the toolkit's and the ones it declares), write nothing.",
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
    targets: tuple[str, ...],
    check: bool,
    list_only: bool,
    out_dir: str | None,
    package_path: str | None,
) -> None:
    """Generate the documentation files, or check that they are up to date.

    TARGETS are any of the files below (default: all of them). Each is generated from
    what it documents, deterministically, so a committed file that differs is stale.

    \b
      dictionary  data-dictionary.md: tables, fields, keys, units, constraints, sources
      cli         cli.md: the --help of every command
      rules       validation.md: validation layers, severities and rule codes
      row-types   zonedata/row_types.py: the row types (package folder)
      pandera-models  zonedata/pandera_models.py: Pandera models (package folder)

    and the documents the package declares in its descriptor ("zonedata:docs": Jinja
    templates and SQL queries of its own, rendered in a sandbox from the validated
    package; `--list` names them).

    \b
    Exit codes:
      0  files written, or (--check) all up to date
      1  (--check) a file is missing or stale: run `zonedata docs` and commit the result
      2  usage or input error; a declared document that cannot be made (a package that
         does not validate, a template or query that fails or is refused)

    \b
    Examples:
      zonedata docs
      zonedata docs --check
      zonedata docs dictionary rules --check
      zonedata docs --list --package path/to/datapackage.json
    """
    from zonedata.descriptor.package import DescriptorError, read_package
    from zonedata.errors import DocsError

    try:
        package = read_package(package_path)
    except DescriptorError as e:
        _fail(f"cannot read the package: {e}")
    every = all_targets()
    if list_only or not targets or any(n not in every for n in targets):
        try:
            every = all_targets(package, package_path)
        except DocsError as e:
            _fail(str(e))
    if list_only:
        width = max(len(n) for n in every)
        for t in every.values():
            where = "zonedata/" if t.location == "package" else ""
            own = " (declared by the package)" if t.declared else ""
            click.echo(f"{t.name:<{width}}  {where}{t.filename}: {t.summary}{own}")
        return
    unknown = [n for n in targets if n not in every]
    if unknown:
        _fail(f"no target {unknown[0]!r}; the targets of this package: {', '.join(every)}")
    chosen = [t for n, t in every.items() if not targets or n in targets]
    if not check:  # (a check writes nothing)
        chosen = _package_modules(chosen, package, out_dir, explicit=bool(targets))
    rendered = _render_all(chosen, package, _folder(package, out_dir, package_path), out_dir)
    _refuse_inputs(rendered, package, package_path)
    stale = 0
    for target, (path, fresh) in zip(chosen, rendered, strict=True):
        if check:
            stale += _check_one(target, path, fresh)
        else:
            _write_one(path, fresh)
    if check and stale:
        click.echo(
            f"{stale} of {len(chosen)} documentation file(s) missing or stale: run the same "
            "command without --check (`zonedata docs`) and commit the result."
        )
        sys.exit(1)


def _is_bundled(package: Package) -> bool:
    from zonedata.descriptor.package import bundled_package_path
    from zonedata.errors import ZonedataError

    try:
        return package.base_path.resolve() == bundled_package_path().resolve().parent
    except (OSError, ZonedataError):
        return False


def _package_modules(
    chosen: list[Target], package: Package, out_dir: str | None, *, explicit: bool
) -> list[Target]:
    """The chosen targets; the generated Python modules of another package than the
    bundled one only when they are named and --out-dir says where (they are written into
    the installed zonedata package otherwise, and a package's names need not be Python
    names: its documents are what ``zonedata docs`` makes of it by default)."""
    modules = [t.name for t in chosen if t.location == "package"]
    if _is_bundled(package) or not modules:
        return chosen
    if not explicit:
        return [t for t in chosen if t.location != "package"]
    if out_dir is None:
        _fail(
            f"{modules[0]}: the generated modules of another package than zonedata's own "
            "are written only with --out-dir (they would replace zonedata's)"
        )
    from zonedata.docs import package_folder

    if _resolved(Path(out_dir)) == _resolved(package_folder()):
        _fail(
            f"--out-dir {out_dir} is the zonedata package: another package's modules "
            "would replace its own"
        )
    return chosen


def _refuse_inputs(rendered: list[tuple[Path, bytes]], package: Package, path: str | None) -> None:
    """Refuse to write over what the documents are made from: the descriptor, a table's
    file, a declared template, query or declaration file (nothing is written)."""
    from zonedata.descriptor.docs_declaration import PROPERTY
    from zonedata.docs.declared import DeclaredDocs
    from zonedata.errors import DocsError

    inputs = {package.base_path / "datapackage.json"}
    inputs |= {package.file(t) for t in package.tables if t.path}
    chosen_declared = package.descriptor.get(PROPERTY) is not None
    try:
        declared = DeclaredDocs(package, path).declaration if chosen_declared else None
    except DocsError:  # (no declared document was chosen: all_targets refused it otherwise)
        declared = None
    if declared is not None:
        inputs |= {package.base_path / rel for rel in [*declared.templates, *declared.sql]}
        if isinstance(package.descriptor[PROPERTY], str):
            inputs.add(package.base_path / package.descriptor[PROPERTY])
    resolved = {_resolved(p) for p in inputs}
    for target, _ in rendered:
        if _resolved(target) in resolved:
            _fail(f"{_display(target)} is one of the package's own files: not written over")


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return path


def _folder(package: Package, out_dir: str | None, package_path: str | None) -> Path:
    """Where the docs go: --out-dir, ./docs for the bundled copy, or docs/ beside it."""
    if out_dir is not None:
        return Path(out_dir)
    if package.base_path.name == "_data" and package_path is None:
        return Path("docs")
    folder = package.base_path / "docs"
    if folder.is_symlink():  # a package's docs/ that leads elsewhere is not followed
        _fail(f"{_display(folder)} is a symlink: the documents are written only inside the package")
    return folder


def _render_all(
    chosen: list[Target], package: Package, folder: Path, out_dir: str | None
) -> list[tuple[Path, bytes]]:
    """Every chosen file's path and bytes, rendered before anything is written (so a
    file that cannot be made leaves every file as it was)."""
    from zonedata.docs import MissingDependencyError, package_folder
    from zonedata.errors import ZonedataError

    rendered: list[tuple[Path, bytes]] = []
    for target in chosen:
        where = package_folder() if target.location == "package" and out_dir is None else folder
        try:
            rendered.append((where / target.filename, target.render(package)))
        except ZonedataError as e:  # a missing tool, a descriptor or declaration it cannot use
            others = [t.name for t in chosen if t is not target and not t.declared]
            hint = ""
            if others and (target.declared or isinstance(e, MissingDependencyError)):
                hint = f" (or generate the others only: zonedata docs {' '.join(others)})"
            _fail(f"{target.name}: {e}{hint}")
    return rendered


def _committed(path: Path) -> bytes | None:
    """The file's bytes, None if there is none; a symlink or other non-regular file is
    refused (neither read nor written through), and the read is bounded."""
    from zonedata import safeio
    from zonedata.errors import InputError
    from zonedata.limits import current_limits

    if not os.path.lexists(path):
        return None
    if os.path.islink(path):
        _fail(f"{_display(path)} is not written over: it is a symlink")
    try:
        return safeio.read_regular(path, current_limits().max_file_bytes, _display(path))
    except InputError as e:
        _fail(f"{_display(path)} is not written over: {e}")


def _write_one(path: Path, fresh: bytes) -> None:
    from zonedata import safeio

    shown = _display(path)
    committed = _committed(path)
    if committed == fresh:
        click.echo(f"unchanged  {shown}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    safeio.write_replacing(path, fresh)  # replaces a file, never writes through a link
    click.echo(f"{'created' if committed is None else 'updated':<10} {shown}")


def _check_one(target: Target, path: Path, fresh: bytes) -> int:
    """Say whether the committed file is current; 1 if it is missing or stale, else 0."""
    shown = _display(path)
    committed = _committed(path)
    if committed is None:
        click.echo(f"missing    {shown}")
        return 1
    if committed == fresh:
        click.echo(f"up to date {shown}")
        return 0
    click.echo(f"stale      {shown}")
    if target.text:
        _show_diff(shown, committed, fresh)
    else:
        click.echo("    the generated file differs")
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
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _fail(message: str) -> NoReturn:
    click.echo(f"zonedata docs: {message}", err=True)
    sys.exit(2)
