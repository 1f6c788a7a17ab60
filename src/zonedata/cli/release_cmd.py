"""``zonedata release``, ``zonedata verify`` and ``zonedata diff``."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

from zonedata.validate.render import counted

if TYPE_CHECKING:
    from zonedata.release.build import BuildResult


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def _render_report(report: Any) -> str:
    from zonedata.validate.render import render

    return str(render(report, fmt="text"))


def _size(n: int) -> str:
    return f"{n:,} bytes"


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=str))
@click.option(
    "--version",
    "version",
    metavar="V",
    help="Release version, used in the folder and zip names (letters, digits, '.', '+', '_' "
    "and '-')  [default: the descriptor's version, escaped in the names if it holds others]",
)
@click.option(
    "-o",
    "--out",
    metavar="DIR",
    default="dist",
    show_default=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Folder to write the release into (nothing is written outside it); "
    "it may not be or hold the package's folder or sources, nor lie in its data folder",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing release of the same version (only one that zonedata wrote)",
)
def release(path: str | None, version: str | None, out: str, force: bool) -> None:
    """Build a typed, checksummed, reproducible release of a data package.

    PATH is a datapackage.json or the folder that holds it (default: the zonedata
    package itself). The package is validated first; a package with errors is not
    released. The derived tables the descriptor declares (zonedata:derived, each an
    SQL file run on the release's database) are checked against their schemas, and
    released with them. For package N and version V the release is (each table's
    files named by its file stem, the table's name made safe as a file name):

    \b
      DIR/N-V/<table>.parquet   typed: int64, decimal128(18, decimals), bool,
                                date32; partial dates and the types Arrow has
                                no exact equivalent for as their text
      DIR/N-V/<table>.json      an array of objects, numbers exactly as in
                                the CSV, null for missing values
      DIR/N-V/<table>.csv       the CSV file itself (the canonical bytes)
      DIR/N-V/N-V.sqlite        every table in one SQLite database, with
                                keys, declared types, _tables and _fields
      DIR/N-V/datapackage.json  the release descriptor, sizes and hashes
      DIR/N-V/SHA256SUMS        for: sha256sum --check SHA256SUMS
      DIR/N-V.zip               the folder above, in one file

    Builds are byte-for-byte reproducible: the only timestamp (in the zip) comes from
    SOURCE_DATE_EPOCH, else from the last git commit that touched the data. A build
    is written to a temporary folder and renamed into place, so an interrupted build
    leaves no partial release.

    \b
    Exit codes:
      0  release built
      1  the package has validation errors (the report is printed)
      2  usage error, unreadable package, or the release already exists

    \b
    Examples:
      zonedata release
      zonedata release --version 1.2.0 --out dist/
      zonedata release path/to/datapackage.json --version 1.2.0 --force
    """
    from zonedata.release.build import build_release
    from zonedata.release.errors import ReleaseError, ReleaseExistsError, ValidationFailedError

    try:
        result = build_release(path, version=version, out=out, force=force)
    except ValidationFailedError as e:
        click.echo(_render_report(e.report), err=True)
        _fail(f"release not built: {e}. Run 'zonedata validate' for details.", 1)
    except ReleaseExistsError as e:
        _fail(str(e), 2)
    except ReleaseError as e:
        _fail(f"release not built: {e}", 2)
    _print_summary(result)


def _print_summary(result: BuildResult) -> None:
    """What was built: tables and their files, the database, the zip and its timestamp."""
    import datetime as dt

    when = dt.datetime.fromtimestamp(result.epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    total = sum(f.bytes for f in result.files)
    sizes = {f.name: f.bytes for f in result.files}
    click.echo(
        f"Built {result.name or 'zonedata'} {result.version} in {result.seconds:.1f}s: "
        f"{counted(len(result.tables), 'table')}, {counted(result.rows, 'row', grouped=True)}"
        + (f" ({counted(result.warnings, 'validation warning')})" if result.warnings else "")
        + (" (replaced the previous build)" if result.replaced else "")
        + "."
    )
    click.echo(f"  {result.folder}{'/' if not str(result.folder).endswith('/') else ''}")
    width = max(len(name) for name, _ in result.tables)
    for name, rows in result.tables:
        formats = ", ".join(
            f"{ext} {_size(sizes[f'{name}.{ext}'])}"
            for ext in ("parquet", "json", "csv")
            if f"{name}.{ext}" in sizes
        )
        click.echo(f"    {name:<{width}}  {rows:>6,} row{'s' * (rows != 1)}  {formats}")
    for db in (f for f in result.files if f.name.endswith(".sqlite")):
        click.echo(f"    {db.name} {_size(db.bytes)}: every table, with keys and types")
    click.echo(
        f"    datapackage.json, SHA256SUMS; {len(result.files)} files, {_size(total)} in all"
    )
    click.echo(f"  {result.zip_path}  {_size(result.zip_bytes)}, sha256 {result.zip_sha256}")
    click.echo(f"Zip timestamp {when}, from {result.epoch_source}.")
    for note in result.notes:
        click.echo(f"Note: {note}.")
    click.echo(f"Check it with: zonedata verify {result.zip_path}")


#: The most problems ``zonedata verify`` prints (the rest are counted).
MAX_SHOWN = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def _printable(text: str) -> str:
    """``text`` with control and bidirectional-override characters shown as escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


@click.command()
@click.argument("release_path", metavar="RELEASE", type=click.Path(path_type=str))
def verify(release_path: str) -> None:
    """Check a release folder or zip against its checksums and schemas.

    RELEASE is a release folder (dist/N-V), its datapackage.json, or its zip.
    Every file's size and SHA-256 are recomputed and compared with the release
    descriptor and SHA256SUMS; every Parquet file must have the Arrow types its table
    schema gives, every JSON and CSV file the same rows; the SQLite database (opened
    read-only, in memory) must pass integrity_check and foreign_key_check and hold the
    same tables, types, keys and rows; then the semantic rules run on the released
    tables. Each file that is missing, truncated, altered or extra is named.
    Only regular files inside the release are read: a FIFO, a device or a symlink
    leaving the release is reported as UNSAFE, unread.

    \b
    Exit codes:
      0  the release is intact
      1  a file is missing, truncated, altered, extra or unsafe, or a table is wrong
      2  RELEASE is not a release (or cannot be read)

    \b
    Examples:
      zonedata verify dist/zonedata-1.2.0
      zonedata verify zonedata-1.2.0.zip
    """
    from zonedata.release.errors import ReleaseError
    from zonedata.release.verify import kind, verify_release

    try:
        result = verify_release(release_path)
    except ReleaseError as e:
        _fail(str(e), 2)
    label = _printable(f"{result.name} {result.version}".strip())
    click.echo(f"Verifying {_printable(result.location)} ({label or 'release'})")
    for p in result.problems[:MAX_SHOWN]:
        where = p.path or "release"
        if p.line is not None:
            where += f":{p.line}"
        tag = kind(p).upper() if p.severity == "error" else "WARNING"
        message = p.message if p.code.startswith("release-") else f"{p.code}: {p.message}"
        click.echo(_printable(f"{tag:<10} {where}: {message}"))
    if len(result.problems) > MAX_SHOWN:
        click.echo(f"... and {len(result.problems) - MAX_SHOWN:,} more problems not shown.")
    for note in result.notes:
        click.echo(f"Note: {note}.")
    if result.ok:
        warn = f"; {counted(len(result.warnings), 'warning')}" if result.warnings else ""
        click.echo(
            f"OK: {counted(result.files, 'file')} intact; {counted(result.tables, 'table')}, "
            f"{counted(result.rows, 'row', grouped=True)} match their schemas{warn}."
        )
        sys.exit(0)
    n = len(result.errors)
    click.echo(f"FAILED: {n:,} problem{'s' if n != 1 else ''} in {result.location}.")
    sys.exit(1)


@click.command()
@click.argument("old", type=click.Path(path_type=str))
@click.argument("new", type=click.Path(path_type=str))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: Markdown for CHANGELOG.md; json: every value with its JSON type",
)
def diff(old: str, new: str, fmt: str) -> None:
    """Compare two releases table by table.

    OLD and NEW are release folders or zips. For each table: schema changes (fields
    added, removed or retyped), then rows added, removed and changed, matched on the
    primary key, with the old and new value of every changed cell. Numbers compare
    by value: 2400 and 2400.000 are equal. Every file read is first checked against
    the size and SHA-256 its release descriptor records: an altered release is an
    error (exit 2), never "No differences".

    \b
    Exit codes:
      0  no differences
      1  differences found
      2  error (OLD or NEW is not a readable release)

    \b
    Examples:
      zonedata diff dist/zonedata-1.1.0.zip dist/zonedata-1.2.0.zip
      zonedata diff old/ new/ --format json > changes.json
    """
    from zonedata.release.diff import diff_releases, render_json, render_text
    from zonedata.release.errors import ReleaseError

    try:
        result = diff_releases(old, new)
    except ReleaseError as e:
        _fail(str(e), 2)
    click.echo(render_json(result) if fmt == "json" else render_text(result), nl=False)
    sys.exit(1 if result.differences else 0)
