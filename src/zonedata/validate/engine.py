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
import copy
import datetime as dt
import hashlib
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata.model.descriptor import Package, Table, bundled_package_path
from zonedata.validate import descriptor_checks, structure
from zonedata.validate.locate import locate
from zonedata.validate.memory import release_unused
from zonedata.validate.problems import Problem, make

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
    if p.is_dir():
        p = p / "datapackage.json"
    shown = display_path(p)
    report = Report(package=shown)
    descriptor, problems = descriptor_checks.read_descriptor(p, shown)
    report.problems.extend(problems)
    if descriptor is None:
        return report
    # The schema layer needs pandas, the profile check frictionless and the semantic rules
    # pandera: half a second or more of imports, which run in a thread while this one
    # reads and parses the files (in Arrow, which releases the GIL). pandas comes first,
    # as the schema layer needs it soonest. The profile's problems go where they would
    # have gone.
    with ThreadPoolExecutor(max_workers=1) as pool:
        profile = pool.submit(_imports_and_profile, copy.deepcopy(descriptor), shown, semantic)
        slot = len(report.problems)
        try:
            package = _layers(report, descriptor, p, shown, allow_remote=allow_remote)
        finally:
            report.problems[slot:slot] = profile.result()
    if package is None:
        return report
    if semantic and report.data:
        report.problems.extend(_semantic(report.data, today, package))
    report.problems = locate(report.problems)
    return report


def _imports_and_profile(descriptor: dict[str, Any], shown: str, semantic: bool) -> list[Problem]:
    # A warm-up: the schema layer imports the module (and so pandas) when it first runs;
    # Python's import lock makes it wait for this import rather than start its own.
    import zonedata.validate.schema_checks  # noqa: F401

    problems = descriptor_checks.check_profile(descriptor, shown)
    if semantic:
        with contextlib.suppress(ImportError):  # a warm-up: the rules import it when they run
            import pandera.pandas  # noqa: F401
    return problems


def _layers(
    report: Report, descriptor: dict[str, Any], p: Path, shown: str, *, allow_remote: bool
) -> Package | None:
    """Layers 1 (the engine's reading of the descriptor, paths) to 3, into ``report``."""
    package, problems = descriptor_checks.check_engine(descriptor, p.parent, shown)
    report.problems.extend(problems)
    if package is None:
        return None
    checks = descriptor_checks.check_resources(package, shown)
    checks += descriptor_checks.check_references(package, shown)
    report.problems.extend(descriptor_checks.with_lines(checks, p))
    report.problems.extend(descriptor_checks.check_paths(package, shown, allow_remote=allow_remote))
    unsafe = {q.table for q in report.problems if q.code in UNSAFE}
    report.tables = len(package.tables)

    with tempfile.TemporaryDirectory(prefix="zonedata-remote-") as tmp:
        # Layer 2 for every table, then layer 3: the scans need only Arrow, so they run
        # while the schema layer's imports are still under way (see validate_package).
        # The problems are reported table by table, as if each table went through both.
        scans: list[tuple[Table, Path, str, structure.FileScan] | Problem] = []
        for table in package.tables:
            if table.name in unsafe:
                continue
            file = _local_file(package, table.path, Path(tmp), table.name)
            if isinstance(file, Problem):
                scans.append(file)
                continue
            shown_file = (
                table.path if descriptor_checks.is_remote(table.path) else display_path(file)
            )
            scans.append((table, file, shown_file, structure.scan_file(file, table, shown_file)))
        from zonedata.validate import schema_checks  # waits for the thread's import

        release_unused()  # what the parser used and let go of

        scans.reverse()
        while scans:  # each file's bytes are let go once its table is checked
            _check_table(report, scans.pop(), schema_checks.check_table)
        if not any(q.code == "foreign-key-invalid" for q in report.problems):
            # (a key that names no table or field cannot be followed: fix it first)
            report.problems.extend(schema_checks.check_foreign_keys(report.data))
        for td in report.data.values():  # (the foreign keys were their only reader)
            td.distinct.clear()
        release_unused()
    return package


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

    Downloads go through :func:`zonedata.release.reader.download`: http(s) only, an
    overall deadline, a size cap, same-host redirects (see that module for the settings).
    The file is written under a fixed name derived from the URL, never from the
    resource's name, so a hostile name cannot leave ``tmp``.
    """
    if not descriptor_checks.is_remote(path):
        return package.base_path / path
    from zonedata.errors import ReleaseError
    from zonedata.release.reader import Limits, download

    target = tmp / f"remote-{hashlib.sha256(path.encode('utf-8')).hexdigest()[:32]}.csv"
    try:
        if not target.exists():  # another resource with the same URL downloaded it already
            limits = Limits.from_env()
            data = download(path, limit=limits.max_bytes, limits=limits)
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
