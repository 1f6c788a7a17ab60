"""Compare two releases table by table: schema changes, then rows added, removed and changed.

Rows are matched on the table's primary key (from the release descriptors) with one
pandas merge per table; values are compared exactly (2400 equals 2400.000, and 7.0680
equals 7.068, since they are the same decimal). The text report is Markdown, for a
maintainer to paste into CHANGELOG.md; the JSON report has every value with its type.

Releases are read through :mod:`zonedata.release.reader`, and every file the diff relies
on is checked against the size and SHA-256 its release descriptor records first: a
release whose files were altered is refused (``ReleaseError``), never reported as
"No differences".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from zonedata.descriptor.arrow import arrow_schema
from zonedata.descriptor.fieldtypes import type_label as kind_label
from zonedata.descriptor.package import SUPPORTED_TYPES, DescriptorError, Field, Package, Table
from zonedata.release.errors import NotAReleaseError, ReleaseError
from zonedata.release.formats import (
    JsonTableError,
    NumberToken,
    dump_json,
    encode_scalar,
    parse_json_rows,
)
from zonedata.release.reader import (
    DESCRIPTOR,
    ReleaseFiles,
    check_is_release,
    check_names,
    check_unambiguous,
    open_release,
    parquet_file,
    read_parquet,
)
from zonedata.release.verify import compare_schema, release_package, release_tables

if TYPE_CHECKING:
    import pandas as pd

_N = "__n"  # occurrence number of a key, so that duplicate keys still match one to one
_POS = "__pos"  # row position in its release


@dataclass
class ReleaseSide:
    location: str
    name: str
    version: str
    tables: dict[str, Table]
    values: dict[str, dict[str, list[Any]]]


@dataclass
class TableDiff:
    """The differences in one table. Row frames hold display values (JSON-typed)."""

    name: str
    status: str  # "added", "removed" or "changed"
    key: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fields_added: list[tuple[str, str]] = field(default_factory=list)
    fields_removed: list[tuple[str, str]] = field(default_factory=list)
    fields_retyped: list[tuple[str, str, str]] = field(default_factory=list)
    rows_added: list[dict[str, Any]] = field(default_factory=list)
    rows_removed: list[dict[str, Any]] = field(default_factory=list)
    #: one entry per changed row: (key values, [(field, old, new), ...])
    rows_changed: list[tuple[dict[str, Any], list[tuple[str, Any, Any]]]] = field(
        default_factory=list
    )

    @property
    def cells_changed(self) -> int:
        return sum(len(c) for _, c in self.rows_changed)

    @property
    def schema_changed(self) -> bool:
        return bool(self.fields_added or self.fields_removed or self.fields_retyped or self.notes)

    @property
    def empty(self) -> bool:
        return (
            self.status == "changed"
            and not self.schema_changed
            and not (self.rows_added or self.rows_removed or self.rows_changed)
        )


@dataclass
class DiffResult:
    old: ReleaseSide
    new: ReleaseSide
    tables: list[TableDiff]

    @property
    def differences(self) -> bool:
        return bool(self.tables)


# --- reading ----------------------------------------------------------------------


def _load_side(path: str | Path) -> ReleaseSide:

    with open_release(path) as files:
        descriptor = files.descriptor()
        check_is_release(files)
        check_unambiguous(files)
        check_names(descriptor, files.display(DESCRIPTOR))
        try:
            package = release_package(descriptor, files.location)
        except DescriptorError as e:
            raise NotAReleaseError(f"{files.display(DESCRIPTOR)}: {e}") from e
        tables: dict[str, Table] = {}
        values: dict[str, dict[str, list[Any]]] = {}
        for name, tf in release_tables(package).items():
            tables[name] = tf.table
            values[name] = _read_table(files, tf.table, tf.json, tf.parquet)
            if tf.json is not None and tf.json in files and tf.parquet is not None:
                _check_twin(files, tf.table, package, (tf.parquet, tf.json), values[name])
    return ReleaseSide(
        location=files.location,
        name=str(descriptor.get("name", "")),
        version=str(descriptor.get("version", "")),
        tables=tables,
        values=values,
    )


def _read_table(
    files: ReleaseFiles, table: Table, json_name: str | None, parquet_name: str | None
) -> dict[str, list[Any]]:
    """A table's values: from the JSON file (exact number text), else from the Parquet file."""
    import pyarrow as pa

    name = json_name if json_name in files else parquet_name
    if name is None or name not in files:
        raise ReleaseError(f"{files.location}: table {table.name!r} has no file")
    data = files.read_recorded(name)  # its recorded size and SHA-256, or ReleaseError
    try:
        if name == json_name:
            return parse_json_rows(data, table)
        typed = read_parquet(data, files.display(name), max_bytes=files.limits.max_file_bytes)
    except (OSError, JsonTableError, pa.ArrowException) as e:
        raise ReleaseError(f"cannot read {files.display(name)}: {e}") from e
    out: dict[str, list[Any]] = {}
    for f in table.fields:
        if f.name not in typed.column_names:
            raise ReleaseError(f"{files.display(name)} has no column {f.name!r}")
        out[f.name] = [_from_parquet(v) for v in typed.column(f.name).to_pylist()]
    return out


def _check_twin(
    files: ReleaseFiles,
    table: Table,
    package: Package,
    names: tuple[str, str],
    values: dict[str, list[Any]],
) -> None:
    """The table's Parquet file has the schema and row count of its JSON twin, read above.

    The diff reads the JSON file (exact number text); a Parquet file that disagrees with
    it (what ``zonedata.load`` reads) would make the diff report on other data.
    """

    parquet_name, json_name = names
    shown = files.display(parquet_name)
    data = files.read_recorded(parquet_name)
    meta = parquet_file(data, shown, max_bytes=files.limits.max_file_bytes)
    schema, rows = meta.schema_arrow, meta.metadata.num_rows
    rows_json = len(next(iter(values.values()), []))
    diffs = compare_schema(schema, arrow_schema(table, package))
    if rows != rows_json:
        diffs.append(f"has {rows} rows, its JSON twin {rows_json}")
    if diffs:
        raise ReleaseError(
            f"{shown} does not match {files.display(json_name)}: {diffs[0]}; the release "
            "is damaged (run 'zonedata verify' on it)",
            file=shown,
        )


def _from_parquet(v: Any) -> Any:
    if isinstance(v, Decimal):
        return NumberToken(format(v, "f"))
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return NumberToken(str(v))
    if isinstance(v, float):
        return NumberToken(repr(v))
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def type_label(f: Field) -> str:
    """A field's type as the report names it: its kind's label, or its own type where the
    release stores it as text (``datetime``, ``geopoint``...)."""
    return kind_label(f) if f.type in SUPPORTED_TYPES else f.type


# --- comparing --------------------------------------------------------------------


def canonical(v: Any) -> str | None:
    """The comparison form of a value: equal numbers compare equal whatever their text."""
    if v is None:
        return None
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, NumberToken):
        try:
            d = Decimal(v)
        except InvalidOperation:
            return str(v)
        if d == 0:
            return "0"
        return format(d.normalize(), "f")
    return str(v)


def _frames(values: dict[str, list[Any]], names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    display = pd.DataFrame({n: pd.Series(values[n], dtype=object) for n in names})
    canon = pd.DataFrame(
        {n: pd.Series(display[n].map(canonical), dtype="string") for n in names},
        index=display.index,
    )
    return canon, display


def _rows(display: pd.DataFrame, positions: Any) -> list[dict[str, Any]]:
    picked = display.iloc[sorted(int(p) for p in positions)]
    return [dict(zip(picked.columns, row, strict=True)) for row in picked.itertuples(index=False)]


def diff_table(
    name: str,
    old: Table,
    new: Table,
    old_values: dict[str, list[Any]],
    new_values: dict[str, list[Any]],
) -> TableDiff:
    """The differences between two versions of a table, matched on the primary key."""
    import numpy as np

    td = TableDiff(name=name, status="changed")
    common = [n for n in new.field_names if n in old.field_names]
    _schema_changes(td, old, new, common)
    on = _match_on(td, old, new, common)
    if not on:  # nothing in common: every row is removed and added
        td.rows_removed = _rows(
            _frames(old_values, old.field_names)[1], range(len(old_values[old.field_names[0]]))
        )
        td.rows_added = _rows(
            _frames(new_values, new.field_names)[1], range(len(new_values[new.field_names[0]]))
        )
        return td
    old_canon, old_display = _frames(old_values, old.field_names)
    new_canon, new_display = _frames(new_values, new.field_names)
    left = old_canon[common].copy()
    right = new_canon[common].copy()
    for frame in (left, right):
        frame[_N] = frame.groupby(on, dropna=False, sort=False).cumcount()
        frame[_POS] = np.arange(len(frame))
    merged = left.merge(
        right, on=[*on, _N], how="outer", suffixes=("__old", "__new"), indicator=True
    )
    td.rows_removed = _rows(
        old_display, merged.loc[merged["_merge"] == "left_only", f"{_POS}__old"]
    )
    td.rows_added = _rows(new_display, merged.loc[merged["_merge"] == "right_only", f"{_POS}__new"])
    both = merged[merged["_merge"] == "both"]
    td.rows_changed = _changed_rows(
        both, [c for c in common if c not in on], on, old_display, new_display
    )
    return td


def _schema_changes(td: TableDiff, old: Table, new: Table, common: list[str]) -> None:
    """The fields added, removed and retyped between ``old`` and ``new``, into ``td``."""
    old_fields = {f.name: f for f in old.fields}
    new_fields = {f.name: f for f in new.fields}
    td.fields_added = [
        (n, type_label(new_fields[n])) for n in new.field_names if n not in old_fields
    ]
    td.fields_removed = [
        (n, type_label(old_fields[n])) for n in old.field_names if n not in new_fields
    ]
    td.fields_retyped = [
        (n, type_label(old_fields[n]), type_label(new_fields[n]))
        for n in common
        if type_label(old_fields[n]) != type_label(new_fields[n])
    ]


def _match_on(td: TableDiff, old: Table, new: Table, common: list[str]) -> list[str]:
    """The columns rows are matched on: the new primary key, else the old, else all common
    columns (``td.key`` is the key used, empty if none)."""
    old_pk, new_pk = list(old.primary_key), list(new.primary_key)
    if old_pk != new_pk:
        td.notes.append(f"primary key changed from {old_pk or 'none'} to {new_pk or 'none'}")
    if new_pk and all(k in common for k in new_pk):
        td.key = new_pk
    elif old_pk and all(k in common for k in old_pk):
        td.key = old_pk
    else:
        td.key = []
        if old_pk or new_pk:  # (a table that never had a key is matched on its values)
            td.notes.append(
                "no primary key common to both versions: rows are matched on all their values"
            )
    return td.key or common


def _changed_rows(
    both: pd.DataFrame,
    compared: list[str],
    on: list[str],
    old_display: pd.DataFrame,
    new_display: pd.DataFrame,
) -> list[tuple[dict[str, Any], list[tuple[str, Any, Any]]]]:
    """Each matched row with a changed cell: its key values and (field, old, new) per cell,
    in the new table's row order and the field order."""
    import pandas as pd

    pos_old = both[f"{_POS}__old"].astype("int64").to_numpy()
    pos_new = both[f"{_POS}__new"].astype("int64").to_numpy()
    parts = []
    for order, n in enumerate(compared):
        a, b = both[f"{n}__old"], both[f"{n}__new"]
        changed = ((a != b).fillna(True) & ~(a.isna() & b.isna())).to_numpy(dtype=bool)
        if not changed.any():
            continue
        parts.append(
            pd.DataFrame(
                {
                    "pos": pos_new[changed],
                    "order": order,
                    "field": n,
                    # object dtype: pandas would turn number tokens into plain strings
                    "old": pd.Series(old_display[n].to_numpy()[pos_old[changed]], dtype=object),
                    "new": pd.Series(new_display[n].to_numpy()[pos_new[changed]], dtype=object),
                }
            )
        )
    if not parts:
        return []
    out = []
    cells = pd.concat(parts, ignore_index=True).sort_values(["pos", "order"], kind="stable")
    for pos, group in cells.groupby("pos", sort=True):
        row = new_display.iloc[cast(int, pos)]
        changes = list(zip(group["field"], group["old"], group["new"], strict=True))
        out.append(({k: row[k] for k in on}, changes))
    return out


def diff_releases(old: str | Path, new: str | Path) -> DiffResult:
    """Compare two releases (folders or zips). Raises ``ReleaseError`` if one cannot be read."""
    a, b = _load_side(old), _load_side(new)
    tables: list[TableDiff] = []
    for name, table in b.tables.items():
        if name not in a.tables:
            td = TableDiff(name=name, status="added", key=list(table.primary_key))
            td.fields_added = [(f.name, type_label(f)) for f in table.fields]
            td.rows_added = _rows(
                _frames(b.values[name], table.field_names)[1], range(_count(b.values[name]))
            )
            tables.append(td)
            continue
        td = diff_table(name, a.tables[name], table, a.values[name], b.values[name])
        if not td.empty:
            tables.append(td)
    for name, table in a.tables.items():
        if name not in b.tables:
            td = TableDiff(name=name, status="removed", key=list(table.primary_key))
            td.fields_removed = [(f.name, type_label(f)) for f in table.fields]
            td.rows_removed = _rows(
                _frames(a.values[name], table.field_names)[1], range(_count(a.values[name]))
            )
            tables.append(td)
    return DiffResult(old=a, new=b, tables=tables)


def _count(values: dict[str, list[Any]]) -> int:
    return len(next(iter(values.values()))) if values else 0


# --- reports ----------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


#: What a value may not carry into Markdown as it is: HTML (``<img onerror>``), links
#: (``[x](javascript:...)``, ``<javascript:...>``), code spans, table cells, line breaks.
_MARKDOWN_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "`": "\\`",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "\r": " ",
        "\n": " ",
    }
)


def markdown_text(text: str) -> str:
    """``text`` as inert Markdown: no HTML, link, code span, table cell or line break."""
    return text.translate(_MARKDOWN_ESCAPES)


def _cell(v: Any) -> str:
    """A value in a Markdown table cell."""
    if v is None:
        return "*missing*"
    return markdown_text(encode_scalar(v) if isinstance(v, bool) else str(v))


def _code(name: str) -> str:
    """A table or field name, as code where it can be, else as escaped text."""
    if "`" in name or "\r" in name or "\n" in name:
        return markdown_text(name)
    return f"`{name}`"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _label(side: ReleaseSide) -> str:
    return markdown_text(f"{side.name or 'release'} {side.version}".strip())


def summary(result: DiffResult) -> dict[str, int]:
    return {
        "tables_changed": len(result.tables),
        "rows_added": sum(len(t.rows_added) for t in result.tables),
        "rows_removed": sum(len(t.rows_removed) for t in result.tables),
        "rows_changed": sum(len(t.rows_changed) for t in result.tables),
        "cells_changed": sum(t.cells_changed for t in result.tables),
    }


def render_text(result: DiffResult) -> str:
    """A Markdown report, to paste under a release's heading in CHANGELOG.md.

    A "### Data changes" section with a "####" heading per table that differs.
    """
    old, new = _label(result.old), _label(result.new)
    if not result.differences:
        return f"No differences between {old} and {new}.\n"
    s = summary(result)
    out = [
        "### Data changes",
        "",
        f"From {old} to {new}: {_plural(s['tables_changed'], 'table')} changed; "
        f"{_plural(s['rows_added'], 'row')} added, {s['rows_removed']} removed, "
        f"{s['rows_changed']} changed.",
    ]
    for t in result.tables:
        out += ["", f"#### {_code(t.name)}", ""]
        if t.status == "added":
            out.append(
                f"New table, {_plural(len(t.rows_added), 'row')}; fields: "
                + ", ".join(f"{_code(n)} ({ty})" for n, ty in t.fields_added)
                + "."
            )
            continue
        if t.status == "removed":
            out.append(f"Table removed (it had {_plural(len(t.rows_removed), 'row')}).")
            continue
        if t.schema_changed:
            out += [f"- Field added: {_code(n)} ({ty})" for n, ty in t.fields_added]
            out += [f"- Field removed: {_code(n)} ({ty})" for n, ty in t.fields_removed]
            out += [f"- Field retyped: {_code(n)}: {a} → {b}" for n, a, b in t.fields_retyped]
            out += [f"- Note: {markdown_text(note)}" for note in t.notes]
            out.append("")
        counts = [
            f"{_plural(n, 'row')} {what}"
            for n, what in (
                (len(t.rows_added), "added"),
                (len(t.rows_removed), "removed"),
                (len(t.rows_changed), f"changed ({_plural(t.cells_changed, 'cell')})"),
            )
            if n
        ]
        out.append((", ".join(counts) or "No row added, removed or changed") + ".")
        key = t.key or (
            list(t.rows_added[0])
            if t.rows_added
            else list(t.rows_removed[0])
            if t.rows_removed
            else []
        )
        for title, rows in (("Added", t.rows_added), ("Removed", t.rows_removed)):
            if rows:
                out += ["", f"{title}:", ""]
                out += _table(key, [[r.get(k) for k in key] for r in rows])
        if t.rows_changed:
            out += ["", "Changed:", ""]
            out += _table(
                [*t.key, "field", "old", "new"],
                [[*kv.values(), f, a, b] for kv, changes in t.rows_changed for f, a, b in changes],
            )
    return "\n".join(out) + "\n"


def to_dict(result: DiffResult) -> dict[str, Any]:
    def side(s: ReleaseSide) -> dict[str, Any]:
        return {"name": s.name, "version": s.version, "location": s.location}

    tables = []
    for t in result.tables:
        tables.append(
            {
                "table": t.name,
                "status": t.status,
                "primary_key": t.key,
                "notes": t.notes,
                "fields_added": [{"name": n, "type": ty} for n, ty in t.fields_added],
                "fields_removed": [{"name": n, "type": ty} for n, ty in t.fields_removed],
                "fields_retyped": [{"name": n, "old": a, "new": b} for n, a, b in t.fields_retyped],
                "rows_added": t.rows_added,
                "rows_removed": t.rows_removed,
                "rows_changed": [
                    {"key": kv, "changes": {f: {"old": a, "new": b} for f, a, b in changes}}
                    for kv, changes in t.rows_changed
                ],
            }
        )
    return {
        "old": side(result.old),
        "new": side(result.new),
        "differences": result.differences,
        "summary": summary(result),
        "tables": tables,
    }


def render_json(result: DiffResult) -> str:
    """The JSON report: numbers as the releases print them, with their JSON types."""
    return dump_json(to_dict(result)) + "\n"


__all__ = ["DiffResult", "TableDiff", "diff_releases", "render_json", "render_text"]
