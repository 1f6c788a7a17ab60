"""Run the validation layers in order and collect a :class:`Report`.

1. descriptor: JSON, Data Package profile, safe paths
2. file structure: encoding, BOM, NUL bytes, line endings, header, row lengths
3. schema: types, constraints, primary keys, foreign keys
4. semantic rules (Pandera)

A later layer runs only on what the earlier layers could read. Validation only reads:
it never writes to the package folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata.descriptor import resolve, sources
from zonedata.descriptor.files import descriptor_in
from zonedata.descriptor.package import DescriptorError, Package, Table, bundled_package_path
from zonedata.download import download
from zonedata.errors import ReleaseError
from zonedata.limits import current_limits
from zonedata.problems import Problem, make
from zonedata.validate import (
    declarations,
    derived_checks,
    descriptor_checks,
    docs_checks,
    foreign,
    foreign_read,
    profile,
    publishable,
    site_checks,
    structure,
)
from zonedata.validate.locate import locate
from zonedata.validate.memory import release_unused

if TYPE_CHECKING:  # the schema layer imports pandas: see validate_package
    from zonedata.validate.tabledata import TableData

#: codes that mean the input could not be read at all (exit 2 rather than 1)
UNREADABLE = frozenset(
    {"descriptor-missing", "descriptor-json", "descriptor-not-regular", "descriptor-too-large"}
)
#: codes that keep a resource's file from being read at all
UNSAFE = frozenset({"path-unsafe", "path-remote", "name-unsafe"})


@dataclass
class Report:
    """The outcome of a validation run."""

    package: str
    problems: list[Problem] = field(default_factory=list)
    tables: int = 0
    rows: int = 0
    data: dict[str, TableData] = field(default_factory=dict, repr=False)
    #: files whose problems' lines are not lines of the file as it is on disk (compressed,
    #: multipart, not CSV): no column is looked up in them
    unlocated: set[str] = field(default_factory=set, repr=False)
    #: multipart files: where each later part starts (see :attr:`structure.FileScan.parts`)
    parts: dict[str, list[tuple[int, str, int]]] = field(default_factory=dict, repr=False)
    #: the descriptor as the checks read it (:func:`zonedata.descriptor.resolve.resolve`: every
    #: schema inline, an inferred one where none was given), without the resources that
    #: are not read as tables; ``None`` if it could not be read
    descriptor: dict[str, Any] | None = field(default=None, repr=False)
    #: the tables frictionless read (:mod:`zonedata.validate.foreign_read`), as their
    #: release describes them; their :attr:`data` holds the cells it read
    released: dict[str, Table] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def unreadable(self) -> bool:
        return any(p.code in UNREADABLE for p in self.problems)

    def valid(self, *, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def exit_code(self, *, strict: bool = False) -> int:
        if self.unreadable:
            return 2
        return 0 if self.valid(strict=strict) else 1


def display_path(p: Path) -> str:
    """Relative to the working directory when inside it, else absolute."""
    try:
        rel = os.path.relpath(p)
    except ValueError:  # another drive on Windows
        return str(p.absolute())
    return str(p.absolute()) if rel.startswith("..") else rel


def validate_package(
    path: str | Path | None = None,
    *,
    allow_remote: bool = False,
    semantic: bool = True,
    today: dt.date | None = None,
) -> Report:
    """Validate the package at ``path`` (a ``datapackage.json`` or its folder; default: bundled)."""
    p = Path(path) if path is not None else bundled_package_path()
    with contextlib.suppress(OSError, ValueError):  # too long, a NUL: read_descriptor says
        p = descriptor_in(p)
    shown = display_path(p)
    report = Report(package=shown)
    report.problems.extend(descriptor_checks.check_beside(p, shown))
    descriptor, problems = descriptor_checks.read_descriptor(p, shown)
    report.problems.extend(problems)
    if descriptor is None:
        return report
    # The profile check imports frictionless: a child process does it on another core
    # while this one checks the files and runs the rules (see profile.py). The profile's
    # problems go where they would have gone.
    check = profile.start(descriptor, shown)
    slot = len(report.problems)
    semantic_problems: list[Problem] = []
    try:
        package = _layers(report, descriptor, p, shown, allow_remote=allow_remote)
        if package is not None and semantic and report.data:
            semantic_problems = _semantic(report.data, today, package)
    finally:
        report.problems[slot:slot] = check.result()
    report.problems = descriptor_checks.with_lines(report.problems, p, shown, descriptor)
    if package is None:
        return report
    report.problems.extend(_at_rows(semantic_problems, report))
    report.problems = locate(_in_parts(report.problems, report.parts), skip=report.unlocated)
    return report


def _imports() -> None:
    # The schema layer imports the module (and so pandas) when it first runs; Python's
    # import lock makes it wait for this import rather than start its own. The rules
    # need pandera only for a check whose verdict is in doubt (rules/_base.py).
    import zonedata.validate.schema_checks  # noqa: F401


#: Local files of at least this many bytes in all make the schema layer's and the rules'
#: imports run in a thread while the files are parsed. Below it, the two threads would
#: mostly wait for each other's GIL: the canonical package validates 0.5 s faster without.
WARM_UP_BYTES = 8 << 20


@contextlib.contextmanager
def _warm_up(package: Package, unsafe: set[str | None]) -> Iterator[None]:
    """Import pandas in a thread while the block runs, if the files are large: the schema
    layer needs it, and the block parses the files in Arrow, which releases the GIL."""
    if _local_bytes(package, unsafe) < WARM_UP_BYTES:
        yield
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        done = pool.submit(_imports)
        try:
            yield
        finally:
            done.result()


def _local_bytes(package: Package, unsafe: set[str | None]) -> int:
    """The size of the local files of the tables whose paths passed the path checks (no
    other path is looked at, not even with ``stat``)."""
    total = 0
    for table in package.tables:
        if table.name in unsafe:
            continue
        for part in table.parts:
            if not descriptor_checks.is_remote(part):
                with contextlib.suppress(OSError, ValueError):
                    total += os.stat(package.base_path / part).st_size
    return total


def _layers(
    report: Report, descriptor: dict[str, Any], p: Path, shown: str, *, allow_remote: bool
) -> Package | None:
    """Layers 1 (the engine's reading of the descriptor, paths) to 3, into ``report``."""
    given = descriptor
    resolved = resolve.resolve(descriptor, p.parent, shown)
    descriptor, skipped = resolved.descriptor, resolved.skipped
    package, problems = descriptor_checks.check_engine(descriptor, p.parent, shown)
    report.problems.extend(problems)
    report.problems.extend(resolved.problems)
    if package is None:
        return None
    report.descriptor = resolved.tables_descriptor()
    # (a resource that is not read as a table has a stand-in schema: nothing to publish)
    tables = replace(package, tables=tuple(t for t in package.tables if t.name not in skipped))
    checks = descriptor_checks.check_resources(package, shown)
    checks += publishable.check_publishable(tables, shown)
    checks += descriptor_checks.check_references(package, shown)
    checks += descriptor_checks.check_conventions(package, shown)
    malformed = derived_checks.check_derived(given, package, shown)
    checks += malformed
    slow = _slow_tables(package)
    if not malformed:  # the SQL, on the tables a release derives from: those read here
        derives_from = replace(
            package, tables=tuple(t for t in tables.tables if t.name not in slow)
        )
        checks += derived_checks.check_queries(given, derives_from, shown, slow)
    checks += declarations.check(package, shown)
    checks += site_checks.check_site(given, _site_tables(given, tables), p, shown)
    checks += docs_checks.check_docs(package, shown)
    report.problems.extend(checks)
    report.problems.extend(descriptor_checks.check_paths(package, shown, allow_remote=allow_remote))
    unsafe = {q.table for q in report.problems if q.code in UNSAFE} | skipped
    report.tables = len(package.tables) - len(resolved.documents)

    with _warm_up(package, unsafe), tempfile.TemporaryDirectory(prefix="zonedata-remote-") as tmp:
        # Layer 2 for every table, then layer 3: the scans need only Arrow, so they run
        # while the schema layer's imports are still under way (see validate_package).
        # The problems are reported table by table, as if each table went through both.
        scans: list[tuple[Table, Path, str, structure.FileScan] | Problem] = []
        valid_foreign: list[tuple[Table, str]] = []
        for i, table in enumerate(package.tables):
            if table.name in resolved.documents and table.name not in unsafe - skipped:
                # a document, not a table: frictionless checks its file
                document = given["resources"][i]
                shown_file = _shown_file(package, table)
                report.unlocated.add(shown_file)
                scans.extend(
                    foreign.check_document(
                        document, package.base_path, table.name, shown_file
                    ).problems
                )
                continue
            if table.name in unsafe:
                continue
            if table.name in slow:  # read and checked by frictionless
                shown_file = _shown_file(package, table)
                report.unlocated.add(shown_file)
                checked = foreign.check_with_frictionless(
                    descriptor, package.base_path, table, shown_file, slow[table.name]
                )
                scans.extend(checked.problems)
                report.rows += checked.rows
                if not any(q.severity == "error" for q in checked.problems):
                    valid_foreign.append((table, shown_file))
                continue
            if sources.compression(table.descriptor, table.path):
                report.unlocated.add(_shown_file(package, table))
            file = _local_file(package, table.path, Path(tmp), table.name)
            if isinstance(file, Problem):
                scans.append(file)
                continue
            shown_file = (
                table.path if descriptor_checks.is_remote(table.path) else display_path(file)
            )
            more = tuple(
                (package.base_path / part, display_path(package.base_path / part))
                for part in table.parts[1:]
            )
            scan = structure.scan_file(file, table, shown_file, more=more)
            scans.append((table, file, shown_file, scan))
        from zonedata.validate import schema_checks  # waits for the thread's import

        release_unused()  # what the parser used and let go of

        scans.reverse()
        while scans:  # each file's bytes are let go once its table is checked
            _check_table(report, scans.pop(), schema_checks.check_table)
        # (a key that names no table or field cannot be followed; the others are)
        report.problems.extend(schema_checks.check_foreign_keys(report.data))
        for td in report.data.values():  # (the foreign keys were their only reader)
            td.distinct.clear()
        # the tables frictionless found valid (and so their keys), read as a release
        # writes them, for the rules
        _read_foreign(report, descriptor, package.base_path, valid_foreign)
        release_unused()
    return package


def _read_foreign(
    report: Report, descriptor: dict[str, Any], base: Path, tables: list[tuple[Table, str]]
) -> None:
    """The tables frictionless found valid, read into ``report.data`` (see
    :mod:`zonedata.validate.foreign_read`); what keeps one from being read is reported."""
    if not tables:
        return
    for table, shown_file in tables:
        td, problems = foreign_read.table_data(descriptor, base, table, shown_file)
        report.problems.extend(problems)
        if td is not None:
            report.data[table.name] = td
            report.released[table.name] = Table.from_descriptor(
                foreign_read.release_descriptor(table.descriptor)
            )


def _at_rows(problems: list[Problem], report: Report) -> list[Problem]:
    """The rules' problems in a table frictionless read: at its row (frictionless' row
    number, the rules' "line"), and at that line only in a CSV file."""
    if not report.released:
        return problems
    known = {
        name: foreign_read.lines_known(td.table)
        for name, td in report.data.items()
        if name in report.released
    }
    out = []
    for p in problems:
        if p.table in known and p.line is not None:
            p = p.with_(row=p.line, line=p.line if known[p.table] else None)
        out.append(p)
    return out


def _site_tables(descriptor: dict[str, Any], package: Package) -> dict[str, list[str]]:
    """Each table a site page may be written for, with its fields: the package's tables
    and the derived tables it declares (a site shows their rows too)."""
    tables = {t.name: t.field_names for t in package.tables}
    with contextlib.suppress(DescriptorError):  # (derived-invalid says why)
        tables.update(
            {d.name: d.table.field_names for d in derived_checks.declarations(descriptor)}
        )
    return tables


def _in_parts(
    problems: list[Problem], parts: dict[str, list[tuple[int, str, int]]]
) -> list[Problem]:
    """Problems at a line of a multipart stream, moved to that line of its part's file."""
    if not parts:
        return problems
    out = []
    for p in problems:
        starts = parts.get(p.path or "") if p.line is not None else None
        for start, shown, first in reversed(starts or []):
            if p.line is not None and p.line >= start:
                # (row: the row number in the whole stream, as frictionless counts it)
                p = p.with_(path=shown, line=p.line - start + first, row=p.row or p.line)
                break
        out.append(p)
    return out


def _slow_tables(package: Package) -> dict[str, str]:
    """The tables frictionless reads (see :mod:`zonedata.validate.foreign`), with why.

    A table with a foreign key to one of them is read by frictionless too, which then
    checks the key (the fast path's check needs both tables' cells).
    """
    slow = {
        t.name: reason for t in package.tables if (reason := foreign.slow_reason(t)) is not None
    }
    grew = bool(slow)
    while grew:
        grew = False
        for t in package.tables:
            if t.name not in slow and any(fk.resource in slow for fk in t.foreign_keys):
                slow[t.name] = "a foreign key to a resource frictionless reads"
                grew = True
    return slow


def _shown_file(package: Package, table: Table) -> str:
    if not table.parts:
        return f"{table.name} (inline data)"
    if descriptor_checks.is_remote(table.path):
        return table.path
    return display_path(package.base_path / table.path)


def _check_table(
    report: Report,
    item: tuple[Table, Path, str, structure.FileScan] | Problem,
    check_table: Callable[..., tuple[TableData | None, list[Problem]]],
) -> None:
    """Layer 3 for one scanned file, into ``report``."""
    if isinstance(item, Problem):
        report.problems.append(item)
        return
    table, file, shown_file, scan = item
    if scan.parts:
        report.parts[shown_file] = scan.parts
    report.problems.extend(scan.problems)
    if not scan.readable:
        return
    td, problems = check_table(scan, table, shown_file, file)
    report.problems.extend(problems)
    if td is not None:
        report.data[table.name] = td
        report.rows += len(td.text)


def _local_file(package: Package, path: str, tmp: Path, name: str) -> Path | Problem:
    """The file to read for a resource path; a remote one is downloaded into ``tmp``.

    Downloads go through :func:`zonedata.download.download`: http(s) only, an
    overall deadline, a size cap, same-host redirects (see that module for the settings).
    The file is written under a fixed name derived from the URL, never from the
    resource's name, so a hostile name cannot leave ``tmp``.
    """
    if not descriptor_checks.is_remote(path):
        return package.base_path / path

    target = tmp / f"remote-{hashlib.sha256(path.encode('utf-8')).hexdigest()[:32]}.csv"
    try:
        if not target.exists():  # another resource with the same URL downloaded it already
            limits = current_limits()
            data = download(path, limit=limits.max_file_bytes, limits=limits)
            with open(target, "xb") as f:  # a fresh file in our private temp folder
                f.write(data)
    except ReleaseError as e:  # its message names the URL
        text = str(e).rstrip(".")
        return make("file-unreadable", f"{text[:1].upper()}{text[1:]}.", table=name, path=path)
    except OSError as e:
        return make("file-unreadable", f"Cannot download {path}: {e}.", table=name, path=path)
    return target


def _semantic(data: dict[str, TableData], today: dt.date | None, package: Package) -> list[Problem]:
    from zonedata.validate.semantic import check_semantics

    problems: list[Problem] = check_semantics(data, today=today, package=package)
    return problems
