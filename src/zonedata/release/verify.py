"""Verify a release folder or zip: every file's size and SHA-256, every table's contents.

1. Integrity: each file named by the release descriptor or by ``SHA256SUMS`` must be
   there, with the size and SHA-256 they give; any other file is reported as extra.
2. Contents: each Parquet file must have the Arrow schema its resource's table schema
   gives (:func:`zonedata.descriptor.arrow.arrow_schema`), and each JSON and CSV file must
   hold the same rows, with JSON types (CSV cells) that fit the schema.
   The SQLite database (:mod:`zonedata.release.database`) must open, pass
   ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``, hold exactly the
   release's tables with their declared types and keys, the same rows, and ``_fields``
   rows equal to the descriptor's fields. It is opened from the verified bytes, in
   memory, read-only and distrusting its schema (:func:`open_database`).
3. Semantic rules: ``zonedata.validate.semantic.check_semantics`` runs on the released
   tables, where that module is installed.

Files are read through :mod:`zonedata.release.reader`: only regular files inside the
release are opened (a FIFO, a device or a symlink leaving the folder is reported as
``release-unsafe``), and no file is read past its recorded size or the reader's caps.
Each problem is a :class:`zonedata.problems.Problem` whose code is registered
in ``RULES`` (``release-missing``, ``release-altered``...; semantic problems keep
their own codes), with the file's name relative to the release in ``path``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zonedata.descriptor.arrow import arrow_schema, cast_to_schema, csv_text
from zonedata.descriptor.fieldtypes import rules_series, sqlite_type
from zonedata.descriptor.package import DescriptorError, Package, Table
from zonedata.errors import IntegrityError, ReleaseError, UnsafeFileError
from zonedata.limits import env_of
from zonedata.paths import is_plain_relative
from zonedata.problems import Problem, make
from zonedata.release import formats
from zonedata.release.build import (
    BYTES_PROPERTY,
    CSV_SUFFIX,
    DATABASE_PROPERTY,
    JSON_SUFFIX,
    TABLE_PROPERTY,
)
from zonedata.release.database import (
    FIELDS_TABLE,
    expected_schema,
    field_rows,
    open_database,
    quote,
    read_schema,
    sorted_rows,
    value_cap,
)
from zonedata.release.derived import rederive
from zonedata.release.reader import (
    CHECKSUMS,
    DESCRIPTOR,
    ReleaseFiles,
    check_is_release,
    file_spec,
    name_problems,
    open_release,
    read_parquet,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from zonedata.validate.tabledata import TableData

#: Problem kinds (codes ``release-<kind>``, and ``semantic`` for the semantic rules'
#: codes), in the order a report lists them.
KINDS = (
    "missing",
    "truncated",
    "size",
    "altered",
    "extra",
    "unreadable",
    "unsafe",
    "checksums",
    "descriptor",
    "schema",
    "json",
    "csv",
    "sqlite",
    "derived",
    "semantic",
)
_SUMS_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


def finding(kind: str, file: str | None, message: str, *, line: int | None = None) -> Problem:
    """A problem of code ``release-<kind>`` about ``file`` (a name relative to the release)."""
    return make(f"release-{kind}", message, path=file, line=line)


#: The name the record constructor had before findings were Problem records.
Finding = finding


def kind(p: Problem) -> str:
    """The kind of a verify problem: ``missing``, ``altered``... or ``semantic``."""
    return p.code[len("release-") :] if p.code.startswith("release-") else "semantic"


@dataclass
class VerifyResult:
    location: str
    name: str = ""
    version: str = ""
    files: int = 0
    tables: int = 0
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[Problem]:
        """The problems found (the name this list had before problems were Problem records)."""
        return self.problems

    @property
    def errors(self) -> list[Problem]:
        return [f for f in self.problems if f.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [f for f in self.problems if f.severity != "error"]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Expected:
    resource: bool = False  # the descriptor names it as a resource's path
    size: int | None = None
    hashes: list[tuple[str, str]] = field(default_factory=list)  # (where, hex)


def _parse_sums(text: str, result: VerifyResult) -> dict[str, str]:
    sums: dict[str, str] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        m = _SUMS_LINE.fullmatch(line)
        if not m:
            result.problems.append(
                finding(
                    "checksums",
                    CHECKSUMS,
                    f"line {i} is not '<sha256>  <file>': {line[:80]!r}",
                    line=i,
                )
            )
            continue
        name = m.group(2)
        if name in sums:
            result.problems.append(
                finding("checksums", CHECKSUMS, f"line {i} lists {name} again", line=i)
            )
        sums[name] = m.group(1).lower()
    return sums


def _expected_files(
    descriptor: dict[str, Any], sums: dict[str, str] | None, result: VerifyResult
) -> dict[str, _Expected]:
    expected: dict[str, _Expected] = {DESCRIPTOR: _Expected(), CHECKSUMS: _Expected()}
    for r in descriptor["resources"]:
        path = r.get("path") if isinstance(r, dict) else None
        if not isinstance(path, str) or not is_plain_relative(path):
            what = "unsafe resource path" if isinstance(path, str) else "no usable path"
            result.problems.append(
                finding(
                    "descriptor",
                    DESCRIPTOR,
                    f"resource {r.get('name') if isinstance(r, dict) else r!r}: {what} ({path!r})",
                )
            )
            continue
        exp = expected.setdefault(path, _Expected())
        exp.resource = True
        try:  # the check load makes: a 'sha256:<hex>' hash, sizes that are integers
            spec = file_spec(r, DESCRIPTOR)
        except ReleaseError as e:
            result.problems.append(
                finding("descriptor", DESCRIPTOR, e.detail.removeprefix(f"{DESCRIPTOR}: "))
            )
            size, h = r.get(BYTES_PROPERTY, r.get("bytes")), r.get("hash")
            if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
                exp.size = size
            m = re.fullmatch(r"(?:sha256:)?([0-9a-fA-F]{64})", h) if isinstance(h, str) else None
            if m:
                exp.hashes.append((DESCRIPTOR, m.group(1).lower()))
            continue
        exp.size = spec.size
        exp.hashes.append((DESCRIPTOR, spec.sha256))
    for name, hexdigest in (sums or {}).items():
        if not is_plain_relative(name):
            result.problems.append(
                finding("checksums", CHECKSUMS, f"{name!r} is not a file of the release")
            )
            continue
        expected.setdefault(name, _Expected()).hashes.append((CHECKSUMS, hexdigest))
    return expected


def check_integrity(
    files: ReleaseFiles, descriptor: dict[str, Any], result: VerifyResult
) -> dict[str, bytes]:
    """Sizes and hashes; returns the bytes of every file that is present and readable."""
    sums = _read_sums(files, result)
    for issue in name_problems(descriptor, paths=False):  # paths: see _expected_files
        result.problems.append(finding("descriptor", DESCRIPTOR, issue))
    result.problems.extend(duplicate_names(descriptor))
    expected = _expected_files(descriptor, sums, result)
    contents: dict[str, bytes] = {}
    for name in sorted(expected):
        exp = expected[name]
        if name not in files:
            listed = sorted(
                {where for where, _ in exp.hashes} | ({DESCRIPTOR} if exp.resource else set())
            )
            why = f" (listed in {' and '.join(listed)})" if listed else ""
            result.problems.append(finding("missing", name, f"is missing{why}"))
            continue
        if sums is not None and name != CHECKSUMS and name not in sums:
            result.problems.append(finding("checksums", CHECKSUMS, f"does not list {name}"))
        data = _read_expected(files, name, exp, result)
        if data is not None and _hash_matches(name, data, exp, result):
            contents[name] = data
    for name in files.names:
        if name not in expected:
            shown = name[3:] + " (outside the release folder)" if name.startswith("../") else name
            result.problems.append(
                finding("extra", shown, f"is not listed in {DESCRIPTOR} or {CHECKSUMS}")
            )
    for note in files.notes:
        result.problems.append(finding("extra", None, note))
    result.files = len(files.names)
    return contents


def duplicate_names(descriptor: dict[str, Any]) -> list[Problem]:
    """Resource names given twice (a release's are unique: which is meant is ambiguous)."""
    from collections import Counter

    counts = Counter(r.get("name") for r in descriptor["resources"] if isinstance(r, dict))
    return [
        finding("descriptor", DESCRIPTOR, f"names {count} resources {name!r}")
        for name, count in counts.items()
        if count > 1 and isinstance(name, str)
    ]


def _read_sums(files: ReleaseFiles, result: VerifyResult) -> dict[str, str] | None:
    """``SHA256SUMS`` parsed (None if it is absent or unreadable: a problem says why)."""
    if CHECKSUMS not in files:
        return None
    try:
        return _parse_sums(
            files.read(CHECKSUMS, files.limits.max_descriptor_bytes).decode("utf-8"), result
        )
    except UnsafeFileError as e:
        result.problems.append(finding("unsafe", CHECKSUMS, e.detail))
    except ReleaseError as e:
        result.problems.append(finding("unreadable", CHECKSUMS, e.detail))
    except UnicodeDecodeError as e:
        result.problems.append(finding("unreadable", CHECKSUMS, f"cannot be read: {e}"))
    return None


def _size_problem(name: str, size: int, expected: int) -> Problem:
    if size < expected:
        return finding("truncated", name, f"is truncated: {size} bytes, expected {expected}")
    return finding("size", name, f"has the wrong size: {size} bytes, expected {expected}")


def _read_expected(
    files: ReleaseFiles, name: str, exp: _Expected, result: VerifyResult
) -> bytes | None:
    """The file's bytes, if it has its recorded size and can be read (else a problem)."""
    on_disk = files.sizes[name]
    if exp.size is not None and on_disk >= 0 and on_disk != exp.size:  # known: not read
        result.problems.append(_size_problem(name, on_disk, exp.size))
        return None
    try:
        data = files.read(name, files.cap(name, exp.size))
    except IntegrityError as e:  # a CRC error in a zip, or more bytes than recorded
        result.problems.append(finding("size" if e.what == "size" else "altered", name, e.detail))
        return None
    except UnsafeFileError as e:  # a FIFO, a device, a symlink leaving the release...
        result.problems.append(finding("unsafe", name, e.detail))
        return None
    except ReleaseError as e:
        result.problems.append(finding("unreadable", name, e.detail))
        return None
    if exp.size is not None and len(data) != exp.size:
        result.problems.append(_size_problem(name, len(data), exp.size))
        return None
    return data


def _hash_matches(name: str, data: bytes, exp: _Expected, result: VerifyResult) -> bool:
    """Whether the file's bytes may be used: their SHA-256 matches a record of it. A file
    that matches one record and not the other is used: the other record was changed."""
    actual = hashlib.sha256(data).hexdigest()
    wrong = [where for where, h in exp.hashes if h != actual]
    if wrong and len(wrong) < len(exp.hashes):
        result.problems.append(
            finding(
                "altered",
                wrong[0],
                f"gives a SHA-256 for {name} that does not match the file "
                f"(which matches {' and '.join(w for w, _ in exp.hashes if w not in wrong)})",
            )
        )
        return True
    if wrong:
        result.problems.append(
            finding(
                "altered",
                name,
                f"is altered: its SHA-256 {actual[:12]}… differs from {' and '.join(wrong)}",
            )
        )
        return False
    return True


# --- contents ----------------------------------------------------------------------


@dataclass
class _TableFiles:
    table: Table
    parquet: str | None = None
    json: str | None = None
    csv: str | None = None


def _format(t: Table) -> str:
    return str(t.descriptor.get("format", "")) or t.path.rpartition(".")[2]


def release_package(descriptor: dict[str, Any], location: str) -> Package:
    """The release's tables as a package: its resources with a table schema.

    The database's resource (no schema: one file holding every table) is not a table.
    Raises :class:`DescriptorError` if a table resource cannot be read.
    """
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        raise DescriptorError("the descriptor has no list of resources")
    tables = [r for r in resources if not (isinstance(r, dict) and is_database(r))]
    return Package.from_descriptor({**descriptor, "resources": tables}, Path(location))


def is_database(resource: dict[str, Any]) -> bool:
    """A resource that is the release's SQLite database."""
    path = resource.get("path")
    return resource.get("format") == "sqlite" or (
        "schema" not in resource and isinstance(path, str) and path.endswith(".sqlite")
    )


def release_tables(package: Package) -> dict[str, _TableFiles]:
    """The release's tables (its Parquet resources) with the file names of each format.

    A JSON or CSV resource holds the table its ``zonedata:table`` property names (a
    release before that property: the table its name gives, ``<table>-json``).
    """
    out: dict[str, _TableFiles] = {}
    for t in package.tables:
        if _format(t) in ("parquet", "parq"):
            out.setdefault(t.name, _TableFiles(t)).parquet = t.path
    for t in package.tables:
        fmt = _format(t)
        if fmt not in ("json", "csv"):
            continue
        setattr(out.setdefault(format_table(t, fmt), _TableFiles(t)), fmt, t.path)
    return out


def format_table(t: Table, fmt: str) -> str:
    """The table a JSON or CSV resource holds (see :func:`release_tables`)."""
    marked = t.descriptor.get(TABLE_PROPERTY)
    if isinstance(marked, str):
        return marked
    suffix = JSON_SUFFIX if fmt == "json" else CSV_SUFFIX
    return t.name[: -len(suffix)] if t.name.endswith(suffix) else t.name


def compare_schema(got: pa.Schema, want: pa.Schema) -> list[str]:
    """Differences between a Parquet file's Arrow schema and the one its table schema gives."""
    if got.names != want.names:
        return [f"has columns {got.names}, expected {want.names}"]
    out = []
    for g, w in zip(got, want, strict=True):
        if not g.type.equals(w.type):
            out.append(f"column {g.name!r} is {g.type}, expected {w.type}")
        elif g.nullable != w.nullable:
            out.append(
                f"column {g.name!r} is {'nullable' if g.nullable else 'not nullable'}, expected otherwise"
            )
        gm, wm = g.metadata or {}, w.metadata or {}
        for key in (b"title", b"description", b"unit"):
            if gm.get(key) != wm.get(key):
                out.append(
                    f"column {g.name!r} has {key.decode()} {gm.get(key)!r}, expected {wm.get(key)!r}"
                )
    return out


def _first_difference(a: pa.Table, b: pa.Table, what: str = "JSON") -> str:
    for name in a.column_names:
        x, y = a.column(name).to_pylist(), b.column(name).to_pylist()
        for i, (u, v) in enumerate(zip(x, y, strict=False), start=1):
            if u != v:
                return f"row {i} (line {i + 1}), field {name!r}: {u!r} in {what}, {v!r} in Parquet"
        if len(x) != len(y):
            return f"{len(x)} rows in {what}, {len(y)} in Parquet"
    return "the tables differ"


def check_csv(
    tf: _TableFiles, package: Package, contents: dict[str, bytes], typed: pa.Table | None
) -> list[Problem]:
    """A table's CSV file: its header and cells fit the schema and equal the Parquet rows."""
    import pyarrow as pa

    name, table = tf.csv, tf.table
    if name is None or name not in contents:
        return []
    data = contents[name]
    try:
        first = data.split(b"\n", 1)[0].decode("utf-8")
        header = next(csv.reader(io.StringIO(first)), [])
    except (UnicodeDecodeError, csv.Error) as e:
        return [finding("csv", name, f"is not a UTF-8 CSV file: {e}")]
    if [h.lstrip("\ufeff").strip() for h in header] != table.field_names:
        return [finding("csv", name, f"has the header {header}, expected {table.field_names}")]
    try:
        text = csv_text(data, table)
        from_csv = cast_to_schema(text, table, package)
    except (pa.ArrowException, ValueError) as e:
        return [finding("csv", name, f"does not fit its schema: {e}")]
    if typed is not None and not from_csv.equals(typed):
        return [
            finding(
                "csv",
                name,
                f"differs from {tf.parquet}: {_first_difference(from_csv, typed, 'CSV')}",
            )
        ]
    return []


def table_data(tf: _TableFiles, files: ReleaseFiles, text: pa.Table, typed: pa.Table) -> TableData:
    """A :class:`zonedata.validate.tabledata.TableData` for the semantic rules.

    Rows are indexed by row number + 1, which is their line in the released JSON file.
    """
    import pandas as pd

    from zonedata.validate.tabledata import TableData

    t = tf.table
    index = pd.Index(range(2, typed.num_rows + 2), name="line")
    text_df = pd.DataFrame(
        {
            f.name: pd.Series(pd.array(text.column(f.name).to_pylist(), dtype="string"))
            for f in t.fields
        }
    )
    typed_df = pd.DataFrame({f.name: rules_series(f, typed.column(f.name)) for f in t.fields})
    text_df.index = index
    typed_df.index = index
    shown = files.display(tf.json or tf.parquet or t.path)
    return TableData(table=t, path=Path(shown), display_path=shown, text=text_df, typed=typed_df)


def check_contents(
    files: ReleaseFiles, package: Package, contents: dict[str, bytes], result: VerifyResult
) -> dict[str, tuple[_TableFiles, pa.Table, pa.Table]]:
    """Check each table's Parquet schema and JSON rows; returns (files, text, typed) per table."""
    import pyarrow as pa

    loaded: dict[str, tuple[_TableFiles, pa.Table, pa.Table]] = {}
    for name, tf in release_tables(package).items():
        table = tf.table
        from_parquet: pa.Table | None = None
        from_json: pa.Table | None = None
        text: pa.Table | None = None
        if tf.parquet is None:
            result.findings.append(
                Finding("descriptor", DESCRIPTOR, f"table {name!r} has no Parquet resource")
            )
        elif tf.parquet in contents:
            try:
                got = read_parquet(
                    contents[tf.parquet], tf.parquet, max_bytes=files.limits.max_file_bytes
                )
            except IntegrityError as e:  # over a cap: a Parquet bomb?
                result.findings.append(Finding("size", tf.parquet, e.detail))
            except ReleaseError as e:
                result.findings.append(
                    Finding("unreadable", tf.parquet, f"is not a readable Parquet file: {e.detail}")
                )
            else:
                diffs = compare_schema(got.schema, arrow_schema(table, package))
                for d in diffs:
                    result.findings.append(Finding("schema", tf.parquet, d))
                if not diffs:
                    from_parquet = got
        if tf.json is None:
            result.findings.append(
                Finding("descriptor", DESCRIPTOR, f"table {name!r} has no JSON resource")
            )
        elif tf.json in contents:
            try:
                columns = formats.parse_json_rows(contents[tf.json], table)
                text = formats.text_table(columns, table)
                from_json = cast_to_schema(text, table, package)
            except (formats.JsonTableError, pa.ArrowException, ValueError) as e:
                result.findings.append(Finding("json", tf.json, f"does not fit its schema: {e}"))
                text = None
        if (
            from_parquet is not None
            and from_json is not None
            and not from_json.equals(from_parquet)
        ):
            result.findings.append(
                Finding(
                    "json",
                    tf.json,
                    f"differs from {tf.parquet}: {_first_difference(from_json, from_parquet)}",
                )
            )
            text = None  # its rows are not the Parquet rows: no semantic rules on them
        typed = from_parquet if from_parquet is not None else from_json
        result.problems.extend(check_csv(tf, package, contents, typed))
        if typed is not None and text is not None:
            loaded[name] = (tf, text, typed)
            result.rows += typed.num_rows
    result.tables = len(release_tables(package))
    return loaded


def run_semantics(
    files: ReleaseFiles,
    package: Package,
    loaded: dict[str, tuple[_TableFiles, pa.Table, pa.Table]],
    result: VerifyResult,
) -> None:
    from zonedata.validate.semantic import check_semantics

    data = {name: table_data(tf, files, text, typed) for name, (tf, text, typed) in loaded.items()}
    # the released tables only, without their JSON twins
    released = Package(
        descriptor=package.descriptor,
        base_path=package.base_path,
        tables=tuple(tf.table for tf, _, _ in loaded.values()),
    )
    try:
        problems = check_semantics(data, package=released)
    except Exception as e:  # a rule that crashes must not hide the integrity report
        result.notes.append(f"semantic rules could not run: {type(e).__name__}: {e}")
        return
    for p in problems:
        result.problems.append(p.with_(path=p.path or p.table or None))


def verify_release(path: str | Path) -> VerifyResult:
    """Verify the release at ``path`` (a folder, its ``datapackage.json``, or a zip).

    Raises :class:`zonedata.release.errors.NotAReleaseError` if it is not a release.
    """
    with open_release(path) as files:
        return _verify(files)


def _verify(files: ReleaseFiles) -> VerifyResult:
    descriptor = files.descriptor()
    check_is_release(files)
    result = VerifyResult(
        location=files.location,
        name=str(descriptor.get("name", "")),
        version=str(descriptor.get("version", "")),
    )
    contents = check_integrity(files, descriptor, result)
    try:
        package = release_package(descriptor, files.location)
    except DescriptorError as e:
        result.problems.append(
            finding("descriptor", DESCRIPTOR, f"cannot be read as a package: {e}")
        )
        return result
    loaded = check_contents(files, package, contents, result)
    if not result.tables:
        result.problems.append(
            finding("descriptor", DESCRIPTOR, "lists no tables: a release has at least one")
        )
    typed = {name: t for name, (_, _, t) in loaded.items()}
    for r in descriptor["resources"]:
        if isinstance(r, dict) and is_database(r) and r.get("path") in contents:
            path = str(r["path"])
            result.problems.extend(check_database(path, contents[path], r, package, typed))
    if len(loaded) == result.tables and loaded:
        check_derived(package, loaded, result)
        run_semantics(files, package, loaded, result)
    elif loaded:
        result.notes.append("semantic rules skipped: not every table could be read")
    result.problems.sort(key=lambda p: (KINDS.index(kind(p)), p.path or ""))
    return result


def check_derived(
    package: Package,
    loaded: dict[str, tuple[_TableFiles, pa.Table, pa.Table]],
    result: VerifyResult,
) -> None:
    """Each derived table is what its SQL gives on the release's other tables
    (:func:`zonedata.release.derived.rederive`, guarded as the database is read)."""

    files = {name: tf.parquet for name, (tf, _, _) in loaded.items()}
    try:
        diffs = rederive(package, {n: (tf.table, x, t) for n, (tf, x, t) in loaded.items()})
    except (ReleaseError, sqlite3.Error, ValueError) as e:
        result.problems.append(finding("derived", DESCRIPTOR, f"cannot derive the tables: {e}"))
        return
    for name, why in diffs:
        message = f"derived table {name!r} is not what its SQL gives: {why}"
        result.problems.append(finding("derived", files[name], message))


# --- the database -------------------------------------------------------------------


def check_database(
    name: str,
    data: bytes,
    resource: dict[str, Any],
    package: Package,
    typed: dict[str, pa.Table],
) -> list[Problem]:
    """The release's SQLite database against the release's tables (see the module's doc).

    Its schema is compared with the one a release writes first: only a database with
    exactly that schema has its rows read. Every query is bounded
    (:func:`zonedata.release.database.open_database`).
    """

    try:
        with open_database(data) as con:
            return _database_problems(name, con, resource, package, typed)
    except sqlite3.DataError as e:
        return [
            finding(
                "sqlite",
                name,
                f"holds a value too long to be read ({e}; bound: {env_of('max_value_bytes')})",
            )
        ]
    except sqlite3.OperationalError as e:
        if "interrupted" not in str(e):
            return [finding("sqlite", name, f"cannot be read as a SQLite database: {e}")]
        return [
            finding(
                "sqlite",
                name,
                "a query on it was stopped: it took more than "
                f"{env_of('max_sql_steps')} steps or {env_of('max_sql_seconds')} seconds",
            )
        ]
    except sqlite3.Error as e:
        return [finding("sqlite", name, f"cannot be read as a SQLite database: {e}")]


def _database_problems(
    name: str,
    con: sqlite3.Connection,
    resource: dict[str, Any],
    package: Package,
    typed: dict[str, pa.Table],
) -> list[Problem]:
    tables = {n: tf.table for n, tf in release_tables(package).items()}
    out = schema_problems(name, con, list(tables.values()))
    if out:  # rows are read only from a database with exactly the release's schema
        return out
    integrity = [str(r[0]) for r in con.execute("PRAGMA integrity_check").fetchall()]
    if integrity != ["ok"]:
        return [finding("sqlite", name, f"fails PRAGMA integrity_check: {_short(integrity[:3])}")]
    dangling = con.execute("PRAGMA foreign_key_check").fetchmany(3)
    if dangling:
        out.append(finding("sqlite", name, f"fails PRAGMA foreign_key_check: {_short(dangling)}"))
    recorded = (
        resource.get(DATABASE_PROPERTY, {}).get("tables")
        if isinstance(resource.get(DATABASE_PROPERTY), dict)
        else None
    )
    for table_name, table in tables.items():
        out += _table_problems(name, con, table, typed.get(table_name))
        if (
            isinstance(recorded, dict)
            and table_name in typed
            and recorded.get(table_name) != typed[table_name].num_rows
        ):
            out.append(
                finding(
                    "sqlite",
                    DESCRIPTOR,
                    f"records {_short(recorded.get(table_name))} rows of {table_name!r} in "
                    f"{name}; the table has {typed[table_name].num_rows}",
                )
            )
    out += _fields_problems(name, con, list(tables.values()))
    return out


def _short(value: object, width: int = 200) -> str:
    """``repr(value)``, cut to ``width`` characters: a hostile value never fills a report."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def schema_problems(name: str, con: sqlite3.Connection, tables: list[Table]) -> list[Problem]:
    """How the database's schema (``sqlite_schema``) differs from the one a release writes
    for ``tables``: objects missing, extra or declared otherwise, one problem each (the
    command line prints the first ones and counts the rest). No row is read."""

    try:
        want = {(t, n): sql for t, n, _, sql in expected_schema(tables)}
    except sqlite3.Error as e:
        return [finding("sqlite", DESCRIPTOR, f"describes tables no SQLite database holds: {e}")]
    got = {(t, n): sql for t, n, _, sql in read_schema(con)}
    return [
        finding("sqlite", name, m)
        for key in sorted(got.keys() | want.keys())
        if (m := _schema_difference(key, got.get(key, _MISSING), want.get(key, _MISSING)))
    ]


#: An object one schema has and the other has not.
_MISSING = object()


def _schema_difference(key: tuple[str, str], got: object, want: object) -> str:
    """What differs in one schema object ("" if nothing)."""
    kind_, obj = key
    shown = _short(obj, 80)
    if got == want:
        return ""
    if got is _MISSING:
        return f"has no {kind_} {shown}"
    if want is _MISSING:
        if kind_ == "table":
            return f"has a table {shown} the release does not describe"
        return f"holds {'an' if kind_[0] in 'aeiou' else 'a'} {kind_} {shown}, which a release never has"
    g, w = _clauses(str(got)), _clauses(str(want))
    extra = [c for c in g if c not in w]
    lacking = [c for c in w if c not in g]
    said = [f"it has {_short(extra[0], 160)}"] if extra else []
    said += [f"it lacks {_short(lacking[0], 160)}"] if lacking else []
    return f"{kind_} {shown} is declared otherwise than a release declares it: " + (
        "; ".join(said) or "in another order"
    )


def _clauses(sql: str) -> list[str]:
    """The lines of a ``CREATE`` statement, without indentation and trailing commas."""
    return [line.strip().rstrip(",").strip() for line in sql.splitlines()]


def _table_problems(
    name: str, con: sqlite3.Connection, table: Table, typed: pa.Table | None
) -> list[Problem]:
    """A database table's columns (names, declared types, NOT NULL, key) and rows."""

    info = con.execute(f"PRAGMA table_xinfo({quote(table.name)})").fetchall()
    got = [(r[1], r[2], bool(r[3]), int(r[5]), int(r[6])) for r in info]
    pk = list(table.primary_key)
    want = [
        (f.name, sqlite_type(f), f.required, pk.index(f.name) + 1 if f.name in pk else 0, 0)
        for f in table.fields
    ]
    if got != want:
        diff = next((f"{g} (expected {w})" for g, w in zip(got, want, strict=False) if g != w), "")
        return [
            finding(
                "sqlite",
                name,
                f"table {table.name!r} has the columns (name, type, not null, key position, "
                f"hidden) {_short(diff or [g[0] for g in got])}; expected "
                f"{_short([w[0] for w in want])}",
            )
        ]
    if typed is None:
        return []
    order = ", ".join(quote(c) for c in (pk or table.field_names))
    expected = [row for batch in sorted_rows(table, typed) for row in batch]
    key = [table.field_names.index(c) for c in (pk or table.field_names)]
    expected.sort(key=lambda row: tuple((row[i] is not None, row[i] or 0) for i in key))
    cursor = con.execute(f"SELECT * FROM {quote(table.name)} ORDER BY {order}")
    line = 0
    for line, (g, w) in enumerate(zip(cursor, expected, strict=False), start=1):
        if tuple(g) != tuple(w):
            return [
                finding(
                    "sqlite",
                    name,
                    f"table {table.name!r}, row {line} in key order: {_short(tuple(g), 400)}, "
                    f"where the Parquet file has {_short(tuple(w), 400)}",
                )
            ]
    count = con.execute(f"SELECT count(*) FROM {quote(table.name)}").fetchone()[0]
    if count != len(expected):
        return [
            finding(
                "sqlite",
                name,
                f"table {table.name!r} has {count} rows, the Parquet file {len(expected)}",
            )
        ]
    return []


def _fields_problems(name: str, con: sqlite3.Connection, tables: list[Table]) -> list[Problem]:
    """``_fields`` against the descriptor's fields: no value longer than the longest
    expected one is read, nor more rows than expected (and one)."""

    want = sorted(
        (row for t in tables for row in field_rows(t)), key=lambda r: (str(r[0]), int(str(r[1])))
    )
    # SQLite's length limit bounds a row's record too: each value's bytes and header
    longest = max((sum(len(str(v).encode()) + 16 for v in row) for row in want), default=0)
    try:
        with value_cap(con, longest + 64):
            got = con.execute(
                f"SELECT * FROM {quote(FIELDS_TABLE)} ORDER BY table_name, position"
            ).fetchmany(len(want) + 1)
    except sqlite3.DataError:
        return [
            finding(
                "sqlite",
                name,
                f"{FIELDS_TABLE} holds a row longer than any the descriptor's fields give "
                f"(about {longest} bytes)",
            )
        ]
    if [tuple(r) for r in got] == want:
        return []
    diff = next(
        (
            f"{_short(tuple(g))} (expected {_short(w)})"
            for g, w in zip(got, want, strict=False)
            if tuple(g) != w
        ),
        "",
    )
    count = f"more than {len(want)} rows" if len(got) > len(want) else f"{len(got)} rows"
    return [
        finding(
            "sqlite",
            name,
            f"{FIELDS_TABLE} differs from the descriptor's fields: "
            f"{diff or f'{count}, expected {len(want)}'}",
        )
    ]
