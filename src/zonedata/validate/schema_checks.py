"""Layer 3: every cell against its field's type and constraints, keys and foreign keys.

Vectorized: cells are parsed and checked column by column with pyarrow compute
(regular expressions run in RE2) and pandas (keys); no Python loop per row. A check
that fails marks the cells it could not parse as missing in the typed frame, so the
semantic layer sees only values that are what their type says.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from zonedata.model.descriptor import Field, Table
from zonedata.validate.problems import Problem, make
from zonedata.validate.structure import BOM, FileScan
from zonedata.validate.tabledata import TableData

INTEGER_RE = r"^[+-]?\d+$"
NUMBER_RE = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^(NaN|INF|-INF|nan|inf|-inf)$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
PARTIAL_DATE_RE = r"^\d{4}(-\d{2}(-\d{2})?)?$"
#: report at most this many problems per check and column (the count of the rest is reported)
MAX_PER_CHECK = 1000


def read_strings(scan: FileScan, table: Table) -> pa.Table:
    """Parse the records as strings (missing values as null), skipping ragged rows."""
    data = scan.data[len(BOM) :] if scan.data.startswith(BOM) else scan.data
    names = scan.header
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=0, encoding="utf8", block_size=1 << 24
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=table.delimiter, newlines_in_values=True, invalid_row_handler=lambda r: "skip"
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=list(table.missing_values),
        ),
    ).slice(1)  # the first record is the header


class _Reporter:
    """Collects problems for one column, bounded per check."""

    def __init__(
        self, td_kw: dict[str, Any], lines: np.ndarray, text: pa.ChunkedArray, f: Field, num: int
    ):
        self.kw, self.lines, self.text, self.f, self.num = td_kw, lines, text, f, num
        self.problems: list[Problem] = []

    def report(
        self,
        code: str,
        mask: pa.ChunkedArray | pa.Array | np.ndarray,
        message: Callable[[str], str],
    ) -> None:
        m = np.asarray(
            mask.to_numpy(zero_copy_only=False) if not isinstance(mask, np.ndarray) else mask
        )
        idx = np.flatnonzero(m.astype(bool))
        if not len(idx):
            return
        values = self.text.take(pa.array(idx[:MAX_PER_CHECK])).to_pylist()
        for i, v in zip(idx[:MAX_PER_CHECK], values, strict=True):
            self.problems.append(
                make(
                    code,
                    message("" if v is None else v),
                    line=int(self.lines[i]),
                    field=self.f.name,
                    field_number=self.num,
                    value=v,
                    **self.kw,
                )
            )
        if len(idx) > MAX_PER_CHECK:
            self.problems.append(
                make(
                    code,
                    f"... and {len(idx) - MAX_PER_CHECK} more in field {self.f.name!r}.",
                    field=self.f.name,
                    field_number=self.num,
                    **self.kw,
                )
            )


def _fill(mask: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return pc.fill_null(mask, False)


def check_field(rep: _Reporter, f: Field) -> pa.ChunkedArray | pa.Array:
    """Check one column; return its typed values (null where missing or invalid)."""
    col = rep.text
    present = pc.is_valid(col)
    if f.required:
        rep.report(
            "required-missing",
            pc.invert(present),
            lambda v: f"{f.name!r} is required but the cell is empty.",
        )
    kind = f.kind
    typed: pa.ChunkedArray | pa.Array
    if kind in ("integer", "year"):
        ok = _fill(pc.match_substring_regex(col, INTEGER_RE))
        rep.report(
            "type-error",
            pc.and_(present, pc.invert(ok)),
            lambda v: f"{v!r} is not an integer ({f.name} is of type {f.type}).",
        )
        typed = pc.cast(pc.if_else(ok, col, pa.scalar(None, pa.string())), pa.int64())
    elif kind == "number":
        ok = _fill(pc.match_substring_regex(col, NUMBER_RE))
        rep.report(
            "type-error", pc.and_(present, pc.invert(ok)), lambda v: f"{v!r} is not a number."
        )
        clean = pc.if_else(ok, col, pa.scalar(None, pa.string()))
        typed = pc.cast(clean, pa.float64())
        if f.decimals is not None:
            frac = _decimals(clean)
            too_many = _fill(pc.greater(frac, int(f.decimals)))
            rep.report(
                "decimals-exceeded",
                too_many,
                lambda v: (
                    f"{v} has more than {f.decimals} decimal places, the most {f.name!r} keeps."
                ),
            )
    elif kind == "boolean":
        allowed = pa.array(list(f.true_values) + list(f.false_values))
        ok = _fill(pc.is_in(col, value_set=allowed))
        rep.report(
            "type-error",
            pc.and_(present, pc.invert(ok)),
            lambda v: f"{v!r} is not a boolean; use {' or '.join(f.true_values + f.false_values)}.",
        )
        truthy = pc.is_in(col, value_set=pa.array(list(f.true_values)))
        typed = pc.if_else(ok, truthy, pa.scalar(None, pa.bool_()))
    elif kind == "date":
        shaped = _fill(pc.match_substring_regex(col, DATE_RE))
        parsed = _strict_date(pc.if_else(shaped, col, pa.scalar(None, pa.string())))
        ok = pc.is_valid(parsed)
        rep.report(
            "type-error",
            pc.and_(present, pc.invert(ok)),
            lambda v: f"{v!r} is not a date in the form YYYY-MM-DD.",
        )
        typed = pc.cast(parsed, pa.date32())
    elif kind == "partial-date":
        shaped = _fill(pc.match_substring_regex(col, PARTIAL_DATE_RE))
        full = pc.equal(pc.utf8_length(col), 10)
        parsed = _strict_date(pc.if_else(full, col, pa.scalar(None, pa.string())))
        month = pc.cast(pc.utf8_slice_codeunits(col, 5, 7), pa.string())
        month_ok = pc.or_(
            pc.less(pc.utf8_length(col), 7),
            pc.is_in(month, value_set=pa.array([f"{m:02d}" for m in range(1, 13)])),
        )
        ok = _fill(pc.and_(shaped, pc.and_(month_ok, pc.or_(pc.invert(full), pc.is_valid(parsed)))))
        rep.report(
            "date-invalid",
            pc.and_(present, pc.invert(ok)),
            lambda v: f"{v!r} is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD).",
        )
        typed = pc.if_else(ok, col, pa.scalar(None, pa.string()))
    else:
        ok = present
        typed = col
    _check_constraints(rep, f, col, typed, _fill(pc.and_(present, ok)))
    return typed


def _strict_date(text: Any) -> Any:
    """Parse YYYY-MM-DD; null where the date does not exist (strptime rolls 02-30 over to 03-02)."""
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    same = _fill(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text))
    return pc.if_else(same, parsed, pa.scalar(None, parsed.type))


def _decimals(clean: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Number of digits after the decimal point of each numeric string (0 without one)."""
    has_point = _fill(pc.match_substring(clean, "."))
    after = pc.utf8_length(pc.replace_substring_regex(clean, r"^[^.]*\.?|[eE].*$", ""))
    return pc.if_else(has_point, after, pa.scalar(0, pa.int32()))


def _check_constraints(rep: _Reporter, f: Field, text: Any, typed: Any, valid: Any) -> None:
    def bound(code: str, value: Any, op: Callable[[Any, Any], Any], word: str) -> None:
        if value is None:
            return
        if f.kind in ("integer", "year", "number"):
            cmp = op(typed, pa.scalar(value))
        elif f.kind in ("date",):
            cmp = op(typed, pa.scalar(pd.Timestamp(value).date()))
        else:
            cmp = op(text, pa.scalar(str(value)))
        rep.report(
            code,
            pc.and_(valid, _fill(cmp)),
            lambda v: (
                f"{v} is {word} {value}, the {'minimum' if word == 'below' else 'maximum'} "
                f"of {f.name!r}."
            ),
        )

    bound("constraint-minimum", f.minimum, pc.less, "below")
    bound("constraint-maximum", f.maximum, pc.greater, "above")
    if f.enum is not None:
        allowed = (
            pa.array([str(x) for x in f.enum]) if f.kind in ("string", "partial-date") else None
        )
        if allowed is not None:
            bad = pc.invert(_fill(pc.is_in(text, value_set=allowed)))
        else:
            bad = pc.invert(
                _fill(pc.is_in(typed, value_set=pa.array(list(f.enum)).cast(typed.type)))
            )
        shown = ", ".join(map(str, f.enum[:12])) + (", ..." if len(f.enum) > 12 else "")
        rep.report(
            "constraint-enum", pc.and_(valid, bad), lambda v: f"{v!r} is not one of: {shown}."
        )
    if f.pattern is not None:
        try:
            matched = pc.match_substring_regex(text, f"^(?:{f.pattern})$")
        except pa.ArrowInvalid:  # not RE2 syntax: fall back to Python's re
            s = pd.Series(text.to_pandas() if hasattr(text, "to_pandas") else text, dtype="string")
            matched = pa.array(s.str.fullmatch(f.pattern).fillna(False).astype(bool).to_numpy())
        rep.report(
            "constraint-pattern",
            pc.and_(valid, pc.invert(_fill(matched))),
            lambda v: f"{v!r} does not match the pattern {f.pattern} of {f.name!r}.",
        )
    if f.min_length is not None or f.max_length is not None:
        n = pc.utf8_length(text)
        bad = pc.or_(
            pc.less(n, f.min_length or 0),
            pc.greater(n, f.max_length if f.max_length is not None else 2**31),
        )
        rep.report(
            "constraint-length",
            pc.and_(valid, _fill(bad)),
            lambda v: (
                f"{v!r} has {len(v)} characters; {f.name!r} allows "
                f"{f.min_length or 0} to {f.max_length if f.max_length is not None else 'any'}."
            ),
        )
    if f.unique:
        s = pd.Series(text.to_pandas() if hasattr(text, "to_pandas") else text)
        dup = s.duplicated(keep="first") & s.notna()
        rep.report(
            "constraint-unique",
            dup.to_numpy(),
            lambda v: f"{v!r} appears more than once in {f.name!r}.",
        )


def _pandas_typed(f: Field, typed: Any) -> pd.Series:
    kind = f.kind
    if kind in ("integer", "year"):
        return pd.Series(
            typed.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get), dtype="Int64"
        )
    if kind == "number":
        return pd.Series(typed.to_numpy(zero_copy_only=False), dtype="Float64")
    if kind == "boolean":
        return pd.Series(typed.to_pandas(), dtype="boolean")
    if kind == "date":
        return pd.Series(pd.to_datetime(typed.to_pandas()), dtype="datetime64[s]")
    return pd.Series(typed.to_pandas(), dtype="string")


def check_table(
    scan: FileScan, table: Table, display: str, path: Any
) -> tuple[TableData | None, list[Problem]]:
    """Parse the table's records and check types, constraints and the primary key."""
    kw = {"table": table.name, "path": display}
    try:
        raw = read_strings(scan, table)
    except (pa.ArrowInvalid, ValueError) as e:
        return None, [make("file-unreadable", f"{display} cannot be parsed as CSV: {e}", **kw)]
    lines = scan.lines
    if raw.num_rows != len(
        lines
    ):  # the scanner and the parser disagree: fall back to row positions
        lines = np.arange(2, raw.num_rows + 2, dtype=np.int64)
    problems: list[Problem] = []
    text_cols: dict[str, pd.Series] = {}
    typed_cols: dict[str, pd.Series] = {}
    index = pd.Index(lines, name="line")
    for num, f in enumerate(table.fields, start=1):
        col = raw.column(f.name)
        rep = _Reporter(kw, lines, col, f, num)
        typed = check_field(rep, f)
        problems.extend(rep.problems)
        text_cols[f.name] = pd.Series(col.to_pandas(), dtype="string")
        typed_cols[f.name] = _pandas_typed(f, typed)
    text = pd.DataFrame(text_cols)
    text.index = index
    typed_df = pd.DataFrame(typed_cols)
    typed_df.index = index
    problems.extend(check_primary_key(text, table, kw))
    problems.extend(check_sorted(typed_df, table, kw))
    return TableData(
        table=table, path=path, display_path=display, text=text, typed=typed_df
    ), problems


def check_primary_key(text: pd.DataFrame, table: Table, kw: dict[str, str]) -> list[Problem]:
    pk = [n for n in table.primary_key if n in text.columns]
    if not pk:
        return []
    keys = text[pk]
    dup = keys.duplicated(keep=False) & keys.notna().all(axis=1)
    if not dup.any():
        return []
    first_line = keys[dup].reset_index().groupby(pk, dropna=False)["line"].transform("min")
    rows = keys[dup].reset_index().assign(first=first_line.to_numpy())
    rows = rows[rows["line"] != rows["first"]]
    out = []
    num = table.field_names.index(pk[0]) + 1
    for rec in rows.head(MAX_PER_CHECK).itertuples(index=False):
        value = ", ".join(str(getattr(rec, n)) for n in pk)
        out.append(
            make(
                "primary-key-duplicate",
                f"Primary key ({', '.join(pk)}) = ({value}) repeats the row at line {rec.first}.",
                line=int(str(rec.line)),
                field=pk[0],
                field_number=num,
                value=value,
                **kw,
            )
        )
    return out


def check_sorted(typed: pd.DataFrame, table: Table, kw: dict[str, str]) -> list[Problem]:
    """Warn at the first row whose primary key sorts before the previous row's."""
    pk = [n for n in table.primary_key if n in typed.columns]
    if not pk or len(typed) < 2:
        return []
    keys = typed[pk].reset_index(drop=True)
    prev = keys.shift(1)
    # lexicographic "current < previous", column by column, vectorized
    less = pd.Series(False, index=keys.index)
    equal_so_far = pd.Series(True, index=keys.index)
    for n in pk:
        a, b = keys[n], prev[n]
        lt = (a < b).fillna(False).astype(bool)
        eq = (a == b).fillna(False).astype(bool)
        less |= equal_so_far & lt
        equal_so_far &= eq
    less.iloc[0] = False
    if not less.any():
        return []
    i = int(np.flatnonzero(less.to_numpy())[0])
    line = int(typed.index[i])
    value = ", ".join(str(keys.at[i, n]) for n in pk)
    return [
        make(
            "rows-unsorted",
            f"Row ({value}) at line {line} sorts before the row above it; keep rows sorted by "
            f"({', '.join(pk)}).",
            line=line,
            field=pk[0],
            field_number=table.field_names.index(pk[0]) + 1,
            value=value,
            **kw,
        )
    ]


def check_foreign_keys(data: dict[str, TableData]) -> list[Problem]:
    """Every foreign key of every loaded table must resolve in its (loaded) reference table."""
    out: list[Problem] = []
    for td in data.values():
        for fk in td.table.foreign_keys:
            parent = data.get(fk.resource)
            if parent is None or not all(c in parent.text.columns for c in fk.reference_fields):
                continue  # the referenced table could not be read: its own problems say why
            cols = list(fk.fields)
            if not all(c in td.text.columns for c in cols):
                continue
            child = td.text[cols]
            present = child.notna().all(axis=1)
            if len(cols) == 1:
                found = child[cols[0]].isin(parent.text[fk.reference_fields[0]].dropna())
            else:
                ref = pd.MultiIndex.from_frame(parent.text[list(fk.reference_fields)].dropna())
                found = pd.Series(pd.MultiIndex.from_frame(child).isin(ref), index=child.index)
            bad = child[present & ~found.fillna(False).astype(bool)]
            num = td.field_number(cols[0])
            target = f"{fk.resource}.{'+'.join(fk.reference_fields)}"
            for line, row in _limited(bad.iterrows(), MAX_PER_CHECK):
                value = ", ".join(str(v) for v in row.tolist())
                out.append(
                    make(
                        "foreign-key-dangling",
                        f"{'+'.join(cols)} = {value!r} has no match in {target}.",
                        table=td.name,
                        path=td.display_path,
                        line=int(line),
                        field=cols[0],
                        field_number=num,
                        value=value,
                    )
                )
            if len(bad) > MAX_PER_CHECK:
                out.append(
                    make(
                        "foreign-key-dangling",
                        f"... and {len(bad) - MAX_PER_CHECK} more.",
                        table=td.name,
                        path=td.display_path,
                        field=cols[0],
                        field_number=num,
                    )
                )
    return out


def _limited(it: Iterable[Any], n: int) -> Iterable[Any]:
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x
