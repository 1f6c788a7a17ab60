"""Layer 3: every cell against its field's type and constraints, keys and foreign keys.

Vectorized: cells are parsed and checked column by column with pyarrow compute
(regular expressions run in RE2) and pandas (keys); no Python loop per row. A check
that fails marks the cells it could not parse as missing in the typed frame, so the
semantic layer sees only values that are what their type says.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from zonedata.descriptor.arrow import (
    BOM,
    NOT_FINITE,
    OUT_OF_RANGE,
    cast_column,
    parse_csv,
    type_range,
)
from zonedata.descriptor.fieldtypes import rules_series
from zonedata.descriptor.package import Field, Table
from zonedata.problems import Problem, make
from zonedata.validate.arrowbytes import bool_numpy
from zonedata.validate.memory import parse_pool
from zonedata.validate.numbers import numbers
from zonedata.validate.structure import FileScan
from zonedata.validate.tabledata import TableData, kept_decimals

DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
#: (year 0000 does not exist in ISO 8601's calendar without an agreement, nor in Python's)
PARTIAL_DATE_RE = r"^([1-9]\d{3}|0[1-9]\d{2}|00[1-9]\d|000[1-9])(-\d{2}(-\d{2})?)?$"
#: report at most this many problems per check and column (the count of the rest is reported)
MAX_PER_CHECK = 1000
#: a column of at least this many rows whose sample has at most this share of distinct
#: values is checked once per distinct value (the results are then mapped to the rows)
ENCODE_MIN_ROWS = 8192
ENCODE_MAX_SHARE = 0.75
ENCODE_SAMPLE = 16384
#: tables of at least this many rows have their columns checked in parallel threads (the
#: Arrow kernels release the GIL)
PARALLEL_MIN_ROWS = 50_000


def read_strings(scan: FileScan, table: Table) -> pa.Table:
    """Parse the records as strings (missing values as null), skipping ragged rows."""
    if scan.parsed is not None:  # the structure layer's fast path parsed them already
        return scan.parsed.slice(1)  # the first record is the header
    data = scan.data[len(BOM) :] if scan.data.startswith(BOM) else scan.data
    # (ragged rows are skipped: the file layer reported them)
    return parse_csv(data, scan.header, table, on_invalid=[], memory_pool=parse_pool()).slice(1)


class _Column:
    """The cells of one column as the checks see them.

    ``text`` holds every row's cell. ``values`` is what the checks run on: ``text`` itself,
    or, for a long column with few distinct values (years, codes, dates, flags), each
    distinct non-missing value once, with ``indices`` giving each row's position in
    ``values`` (null where the cell is missing). A check on ``values`` is mapped back to
    the rows by :meth:`rows` and :meth:`expand`; as every check looks at one cell at a
    time, the outcome is the same as checking every row.
    """

    def __init__(self, text: pa.ChunkedArray) -> None:
        self.text = text
        self.values: pa.ChunkedArray | pa.Array = text
        self.indices: pa.ChunkedArray | None = None
        encoded = _encode(text)
        if encoded is not None:
            self.values, self.indices = encoded

    def rows(self, mask: pa.ChunkedArray | pa.Array | np.ndarray) -> np.ndarray:
        """A boolean mask over ``values`` (null as false) as a numpy mask over the rows."""
        m = bool_numpy(mask)
        if self.indices is None:
            return m
        if not m.any():
            return np.zeros(len(self.text), dtype=bool)
        return bool_numpy(pc.take(pa.array(m), self.indices))

    def expand(self, typed: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
        """Values computed over ``values`` as values over the rows (null where missing)."""
        if self.indices is None:
            return typed
        if typed is self.values:  # the cells themselves: no need to copy them
            return self.text
        return pc.take(typed, self.indices)

    def expand_numpy(self, values: np.ndarray, none: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Numpy arrays over ``values`` as arrays over the rows; ``none`` (a mask) is also
        true where the cell is missing."""
        if self.indices is None:
            return values, none
        if not len(values):  # every cell missing
            n = len(self.text)
            return np.zeros(n, dtype=values.dtype), np.ones(n, dtype=bool)
        at = np.array(pc.fill_null(self.indices, -1).to_numpy(zero_copy_only=False))
        absent = at < 0
        at[absent] = 0
        return values[at], none[at] | absent


def _any(mask: pa.ChunkedArray | pa.Array | np.ndarray) -> bool:
    """Whether ``mask`` flags anything (null counts as false)."""
    if isinstance(mask, np.ndarray):
        return bool(mask.any())
    return pc.any(mask).as_py() is True


def _encode(text: pa.ChunkedArray) -> tuple[pa.Array, pa.ChunkedArray] | None:
    """(distinct values, each row's index into them) if worth it, else ``None``."""
    n = len(text)
    if n < ENCODE_MIN_ROWS:
        return None
    sample = _sample(text, min(n, ENCODE_SAMPLE))
    present = len(sample) - sample.null_count
    if pc.count_distinct(sample).as_py() > present * ENCODE_MAX_SHARE:
        return None
    encoded = pc.dictionary_encode(text)
    if encoded.num_chunks == 0:
        return None
    first = encoded.chunk(0).dictionary
    if any(not c.dictionary.equals(first) for c in encoded.chunks[1:]):
        encoded = encoded.unify_dictionaries()
        first = encoded.chunk(0).dictionary
    indices = pa.chunked_array([c.indices for c in encoded.chunks])
    return first, indices


def _sample(text: pa.ChunkedArray, size: int) -> pa.ChunkedArray:
    """``size`` cells spread evenly over the column (taken chunk by chunk, without a copy
    of the whole column)."""
    positions = np.linspace(0, len(text) - 1, size).astype(np.int64)
    bounds = np.cumsum([0] + [len(c) for c in text.chunks])
    parts = []
    for k, chunk in enumerate(text.chunks):
        lo, hi = np.searchsorted(positions, [bounds[k], bounds[k + 1]])
        if hi > lo:
            parts.append(chunk.take(pa.array(positions[lo:hi] - bounds[k])))
    return pa.chunked_array(parts, type=text.type)


class _Reporter:
    """Collects problems for one column, bounded per check."""

    def __init__(self, td_kw: dict[str, Any], lines: np.ndarray, col: _Column, f: Field, num: int):
        self.kw, self.lines, self.col, self.f, self.num = td_kw, lines, col, f, num
        self.text = col.text
        self.problems: list[Problem] = []
        #: a number column's printed decimals over ``col.values``, and where it has none
        #: (see :mod:`zonedata.validate.numbers`)
        self.decimals: tuple[np.ndarray, np.ndarray] | None = None

    def report(
        self,
        code: str,
        mask: pa.ChunkedArray | pa.Array | np.ndarray,
        message: Callable[[str], str],
        *,
        rows: bool = False,
    ) -> None:
        """Report the cells that ``mask`` flags: a mask over the column's ``values``, or
        over its rows with ``rows=True``."""
        if not _any(mask):  # the usual case: nothing to report, no conversion
            return
        m = bool_numpy(mask) if rows else self.col.rows(mask)
        idx = np.flatnonzero(m)
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


@dataclass
class Typed:
    """A column's values as the release holds them (``values``, of
    :func:`~zonedata.descriptor.fieldtypes.arrow_type`) and, for a figure, as floats for the rules
    (``floats``: the same cells' text cast to double, correctly rounded)."""

    values: pa.ChunkedArray | pa.Array
    floats: pa.ChunkedArray | pa.Array | None = None

    @property
    def comparable(self) -> pa.ChunkedArray | pa.Array:
        return self.floats if self.floats is not None else self.values


Values: TypeAlias = pa.ChunkedArray | pa.Array
#: a type's check: (the cells that are values of the type, those values with the rest null)
TypeCheck: TypeAlias = Callable[["_Reporter", Field, Values, Values], tuple[Values, Values]]


def _nulled(ok: Values, col: Values) -> Values:
    return pc.if_else(ok, col, pa.scalar(None, col.type))


def _check_numbers(rep: _Reporter, f: Field, col: Values, present: Values) -> tuple[Values, Values]:
    integer = f.kind != "number"
    found = numbers(col, integer=integer)
    ok = pa.array(found.ok)
    rep.report(
        "type-error",
        found.present & ~found.ok,
        (
            (lambda v: f"{v!r} is not an integer ({f.name} is of type {f.type}).")
            if integer
            else (lambda v: f"{v!r} is not a number.")
        ),
    )
    if not integer:
        rep.decimals = found.decimals, ~found.ok
        if f.decimals is not None:
            rep.report(
                "decimals-exceeded",
                found.decimals > int(f.decimals),
                lambda v: (
                    f"{v} has more than {f.decimals} decimal places, the most {f.name!r} keeps."
                ),
            )
    # (every value valid: the cells themselves, which spares a copy of the column)
    return ok, col if found.all_ok else _nulled(ok, col)


def _check_boolean(rep: _Reporter, f: Field, col: Values, present: Values) -> tuple[Values, Values]:
    allowed = pa.array(list(f.true_values) + list(f.false_values))
    ok = _fill(pc.is_in(col, value_set=allowed))
    rep.report(
        "type-error",
        pc.and_(present, pc.invert(ok)),
        lambda v: f"{v!r} is not a boolean; use {' or '.join(f.true_values + f.false_values)}.",
    )
    return ok, _nulled(ok, col)


def _check_date(rep: _Reporter, f: Field, col: Values, present: Values) -> tuple[Values, Values]:
    shaped = _fill(pc.match_substring_regex(col, DATE_RE))
    ok = pc.is_valid(_strict_date(_nulled(shaped, col)))
    rep.report(
        "type-error",
        pc.and_(present, pc.invert(ok)),
        lambda v: f"{v!r} is not a date in the form YYYY-MM-DD.",
    )
    return ok, _nulled(ok, col)


def _check_partial_date(
    rep: _Reporter, f: Field, col: Values, present: Values
) -> tuple[Values, Values]:
    shaped = _fill(pc.match_substring_regex(col, PARTIAL_DATE_RE))
    full = pc.equal(pc.utf8_length(col), 10)
    parsed = _strict_date(_nulled(full, col))
    month = pc.cast(pc.utf8_slice_codeunits(col, 5, 7), pa.string())
    month_ok = pc.or_(
        pc.less(pc.utf8_length(col), 7),
        pc.is_in(month, value_set=pa.array([f"{m:02d}" for m in range(1, 13)])),
    )
    ok = _fill(pc.and_(shaped, pc.and_(month_ok, pc.or_(pc.invert(full), pc.is_valid(parsed)))))
    rep.report(
        "date-invalid",
        pc.and_(present, pc.invert(ok)),
        lambda v: f"{v!r} is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD, from year 0001).",
    )
    # (every value valid: the cells themselves, which spares a copy of the column)
    return ok, col if pc.all(ok).as_py() is not False else _nulled(ok, col)


_TYPE_CHECKS: dict[str, TypeCheck] = {
    "integer": _check_numbers,
    "year": _check_numbers,
    "number": _check_numbers,
    "boolean": _check_boolean,
    "date": _check_date,
    "partial-date": _check_partial_date,
}


def check_field(rep: _Reporter, f: Field) -> Typed:
    """Check one column; return its typed values (null where missing or invalid).

    The checks run on ``rep.col.values`` (see :class:`_Column`); the typed values returned
    are over those values too: :meth:`_Column.expand` maps them to the rows. The values
    are :func:`zonedata.descriptor.arrow.cast_column` of the cells that passed the type check:
    the release's own conversion, so a cell it cannot hold is reported here.
    """
    col = rep.col.values
    present = pc.is_valid(col)
    if f.required:
        rep.report(
            "required-missing",
            pc.is_null(rep.col.text),
            lambda v: f"{f.name!r} is required but the cell is empty.",
            rows=True,
        )
    checker = _TYPE_CHECKS.get(f.kind)
    ok, clean = (present, col) if checker is None else checker(rep, f, col, present)
    typed = _cast(rep, f, clean)
    valid = _fill(pc.and_(present, ok))
    if typed.values is not clean:
        valid = _fill(pc.and_(valid, pc.is_valid(typed.values)))
    _check_constraints(rep, f, col, typed.comparable, valid)
    return typed


#: what a cell the release type cannot hold is told
_CAST_MESSAGES: dict[str, Callable[[Field], Callable[[str], str]]] = {
    NOT_FINITE: lambda f: (
        lambda v: (
            f"{v!r} is not a finite number; {f.name!r} is released as "
            f"{'an exact decimal' if f.decimals is not None else 'a JSON number'}, which cannot hold it."
        )
    ),
    OUT_OF_RANGE: lambda f: (
        lambda v: f"{v!r} does not fit the type {f.name!r} is released as: {type_range(f)}."
    ),
}


def _cast(rep: _Reporter, f: Field, clean: pa.ChunkedArray | pa.Array) -> Typed:
    """Cast the accepted cells to the release type; report those it cannot hold."""
    cast = cast_column(f, clean)
    for code, mask in cast.rejected.items():
        rep.report(code, mask, _CAST_MESSAGES[code](f))
    floats = None
    if pa.types.is_decimal(cast.values.type):
        held = clean if not cast.rejected else pc.if_else(pc.is_valid(cast.values), clean, None)
        floats = pc.cast(held, pa.float64())
    return Typed(cast.values, floats)


def _strict_date(text: Any) -> Any:
    """Parse YYYY-MM-DD; null where the date does not exist (strptime rolls 02-30 over to 03-02)."""
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    same = _fill(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text))
    return pc.if_else(same, parsed, pa.scalar(None, parsed.type))


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
        rows = rep.col.text  # duplicates are a matter of rows, not of distinct values
        s = pd.Series(rows.to_pandas() if hasattr(rows, "to_pandas") else rows)
        dup = s.duplicated(keep="first") & s.notna()
        rep.report(
            "constraint-unique",
            dup.to_numpy(),
            lambda v: f"{v!r} appears more than once in {f.name!r}.",
        )


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
    problems: list[Problem] = []
    if raw.num_rows != len(lines):
        # the file layer and the parser read different rows: no row may be lost silently
        problems.append(
            make(
                "rows-disagree",
                f"{display}: the CSV parser reads {raw.num_rows} rows where the file layer "
                f"counts {len(lines)}; lines are given by row position.",
                **kw,
            )
        )
        lines = np.arange(2, raw.num_rows + 2, dtype=np.int64)
    td, found = check_records(raw, lines, table, display, path)
    return td, problems + found


def check_records(
    raw: pa.Table, lines: np.ndarray, table: Table, display: str, path: Any
) -> tuple[TableData, list[Problem]]:
    """Check the records of a table (text cells, null where missing; each record's line):
    types, constraints, the primary key and the order of the rows."""
    kw = {"table": table.name, "path": display}
    problems: list[Problem] = []
    text_cols: dict[str, pd.Series] = {}
    typed_cols: dict[str, pd.Series] = {}
    distinct: dict[str, tuple[pa.Array, pa.ChunkedArray]] = {}
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    index = pd.Index(lines, name="line")

    def one(item: tuple[int, Field]) -> tuple[list[Problem], pd.Series, pd.Series, _Column, Any]:
        num, f = item
        col = raw.column(f.name)
        column = _Column(col)
        rep = _Reporter(kw, lines, column, f, num)
        typed = check_field(rep, f)
        values = column.expand(typed.values)
        floats = None if typed.floats is None else column.expand(typed.floats)
        text = pd.Series(pd.arrays.ArrowStringArray(col))  # the parsed cells, not a copy
        rules = rules_series(f, values if floats is None else floats)
        if rep.decimals is not None:  # kept for the rules (TableData.decimals)
            cache[f"decimals:{f.name}"] = kept_decimals(*column.expand_numpy(*rep.decimals))
        return rep.problems, text, rules, column, values

    items = list(enumerate(table.fields, start=1))
    workers = min(len(items), os.cpu_count() or 1)
    if raw.num_rows >= PARALLEL_MIN_ROWS and workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, items))
    else:
        results = [one(item) for item in items]
    typed_arrow: dict[str, Any] = {}
    single_keys = {fk.fields[0] for fk in table.foreign_keys if len(fk.fields) == 1}
    for (_, f), (found, text_col, typed_col, column, typed) in zip(items, results, strict=True):
        problems.extend(found)
        text_cols[f.name] = text_col
        typed_cols[f.name] = typed_col
        typed_arrow[f.name] = typed
        if column.indices is not None and f.name in single_keys:  # (only _dangling reads them)
            distinct[f.name] = (column.values, column.indices)
    # the columns are new: the frames can own them without a copy
    text = pd.DataFrame(text_cols, copy=False)
    text.index = index
    typed_df = pd.DataFrame(typed_cols, copy=False)
    typed_df.index = index
    problems = _blank_rows(raw, lines, table, kw, problems)
    order = _key_order([typed_arrow[n] for n in table.primary_key if n in typed_arrow])
    distinct_keys = order is not None and order.strictly_increasing
    problems.extend(check_primary_key(text, table, kw, distinct=distinct_keys))
    if "sorted" in table.conventions:
        problems.extend(check_sorted(typed_df, table, kw, order=order))
    arrow = pa.Table.from_arrays([typed_arrow[f.name] for f in table.fields], table.field_names)
    return TableData(
        table=table,
        path=path,
        display_path=display,
        text=text,
        typed=typed_df,
        distinct=distinct,
        cache=cache,
        raw=raw,
        arrow=arrow,
    ), problems


def _blank_rows(
    raw: pa.Table, lines: np.ndarray, table: Table, kw: dict[str, str], problems: list[Problem]
) -> list[Problem]:
    """Report rows whose cells are all missing as ``blank-row`` (as frictionless does), in
    place of the problems their cells have (a required field's, for one)."""
    if not raw.num_rows or not raw.num_columns:
        return problems
    if any(raw.column(i).null_count == 0 for i in range(raw.num_columns)):
        return problems  # a column without a missing cell: no row is blank
    blank = bool_numpy(pc.is_null(raw.column(0)))
    for i in range(1, raw.num_columns):
        blank &= bool_numpy(pc.is_null(raw.column(i)))
    if not blank.any():
        return problems
    blank_lines = {int(x) for x in lines[blank]}
    kept = [p for p in problems if p.line not in blank_lines]
    return kept + [
        make("blank-row", f"Row at line {ln} has no value in any cell.", line=ln, **kw)
        for ln in sorted(blank_lines)[:MAX_PER_CHECK]
    ]


def check_primary_key(
    text: pd.DataFrame, table: Table, kw: dict[str, str], *, distinct: bool = False
) -> list[Problem]:
    """Report rows whose primary key repeats an earlier row's.

    ``distinct=True`` says the keys are known to be pairwise distinct (see
    :attr:`KeyOrder.strictly_increasing`), so there is nothing to look for.
    """
    pk = [n for n in table.primary_key if n in text.columns]
    if not pk:
        return []
    missing = _missing_keys(text[pk], table, kw)
    if distinct:
        return missing
    keys = text[pk]
    dup = keys.duplicated(keep=False) & keys.notna().all(axis=1)
    if not dup.any():
        return missing
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
    return missing + out


def _missing_keys(keys: pd.DataFrame, table: Table, kw: dict[str, str]) -> list[Problem]:
    """Rows whose primary key cells are all empty: no key identifies them (frictionless'
    ``primary-key`` error too). Where a key field is required, such a row is already a
    ``required-missing`` error: nothing to add."""
    if any(table.field(n).required for n in keys.columns):
        return []
    empty = keys.isna().all(axis=1)
    if not empty.any():
        return []
    pk = list(keys.columns)
    num = table.field_names.index(pk[0]) + 1
    return [
        make(
            "primary-key-missing",
            f"Row at line {line} has no primary key: ({', '.join(pk)}) is empty.",
            line=int(line),
            field=pk[0],
            field_number=num,
            **kw,
        )
        for line in keys.index[empty][:MAX_PER_CHECK]
    ]


@dataclass
class KeyOrder:
    """Each row's typed primary key compared with the previous row's (lexicographically).

    ``less``: it sorts before the previous row's; ``equal``: it is equal (a missing value
    compares as neither; the first row is neither); ``complete``: no key cell is missing.
    """

    less: np.ndarray
    equal: np.ndarray
    complete: bool

    @property
    def strictly_increasing(self) -> bool:
        """Every row's key sorts strictly after the previous row's.

        Then the typed keys are pairwise distinct, and so are the key cells as text (equal
        text parses to equal values): no primary key repeats. Without missing values, "not
        less and not equal" is "greater", as the key types (strings, integers, numbers,
        booleans, dates) are totally ordered.
        """
        return self.complete and not self.less.any() and not self.equal.any()


def _key_order(columns: list[pa.ChunkedArray | pa.Array]) -> KeyOrder | None:
    """Compare each row's key (typed ``columns``) with the previous row's, in Arrow.

    ``None`` without key columns or with fewer than two rows.
    """
    n = len(columns[0]) if columns else 0
    if n < 2:
        return None
    less = np.zeros(n, dtype=bool)
    equal = np.ones(n, dtype=bool)
    equal[0] = False
    for col in columns:
        cur, prev = col.slice(1), col.slice(0, n - 1)
        lt = bool_numpy(pc.less(cur, prev))
        less[1:] |= equal[1:] & lt
        equal[1:] &= bool_numpy(pc.equal(cur, prev))
    return KeyOrder(less, equal, all(_no_missing(c) for c in columns))


def _no_missing(col: pa.ChunkedArray | pa.Array) -> bool:
    if col.null_count:
        return False
    if pa.types.is_floating(col.type):  # NaN compares unequal to itself
        return not pc.any(pc.is_nan(col)).as_py()
    return True


def _frame_key_order(typed: pd.DataFrame, table: Table) -> KeyOrder | None:
    pk = [n for n in table.primary_key if n in typed.columns]
    return _key_order([pa.array(typed[n].array) for n in pk]) if pk else None


def check_sorted(
    typed: pd.DataFrame, table: Table, kw: dict[str, str], *, order: KeyOrder | None = None
) -> list[Problem]:
    """Warn at the first row whose primary key sorts before the previous row's."""
    pk = [n for n in table.primary_key if n in typed.columns]
    if not pk or len(typed) < 2:
        return []
    if order is None:
        order = _frame_key_order(typed, table)
    if order is None or not order.less.any():
        return []
    keys = typed[pk].reset_index(drop=True)
    i = int(np.flatnonzero(order.less)[0])
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
            if not fk.fields or len(fk.fields) != len(fk.reference_fields):
                continue  # foreign-key-invalid: a key that cannot be followed
            parent = data.get(fk.resource)
            if parent is None or not all(c in parent.text.columns for c in fk.reference_fields):
                continue  # the referenced table could not be read: its own problems say why
            cols = list(fk.fields)
            if not all(c in td.text.columns for c in cols):
                continue
            child = td.text[cols]
            dangling = _dangling(td, parent, cols, list(fk.reference_fields))
            if not dangling.any():
                continue
            bad = child[dangling]
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


def _dangling(td: TableData, parent: TableData, cols: list[str], refs: list[str]) -> np.ndarray:
    """Mask of ``td``'s rows whose complete key ``cols`` is not among ``parent``'s ``refs``."""
    child = td.text[cols]
    if len(cols) == 1:  # exact string matches, as Series.isin, in Arrow
        known = pa.array(parent.text[refs[0]].dropna().array, type=pa.large_string())
        if cols[0] in td.distinct:
            # look up each distinct value once, then map to the rows (missing: not dangling)
            values, indices = td.distinct[cols[0]]
            missing = pc.invert(pc.is_in(values.cast(pa.large_string()), value_set=known))
            if not pc.any(missing).as_py():
                return np.zeros(len(child), dtype=bool)
            return bool_numpy(pc.take(missing, indices))
        cells = pa.array(child[cols[0]].array, type=pa.large_string())
        return bool_numpy(pc.and_(pc.is_valid(cells), pc.invert(pc.is_in(cells, value_set=known))))
    present = child.notna().all(axis=1)
    ref = pd.MultiIndex.from_frame(parent.text[refs].dropna())
    matched = pd.Series(pd.MultiIndex.from_frame(child).isin(ref), index=child.index)
    return np.asarray((present & ~matched.fillna(False).astype(bool)).to_numpy(), dtype=bool)


def _limited(it: Iterable[Any], n: int) -> Iterable[Any]:
    for i, x in enumerate(it):
        if i >= n:
            return
        yield x
