"""The machinery the semantic rules share: registry, context, Pandera runner, helpers.

A rule is a function ``(ctx) -> list[Problem]`` registered with :func:`rule`. It builds a
frame indexed by the 1-based line of the row it reports on (joining other tables as
needed), expresses its condition as Pandera checks that return a boolean Series over the
whole frame (``True`` = the row passes), runs them with :func:`failing_lines` /
:func:`failing_cells`, and turns the failing lines into :class:`Problem` records. No rule
loops over data rows; loops run only over the (few) failures to word their messages.

The runners evaluate each check once directly; a clean verdict (a boolean Series aligned
to the data, no missing value) gives the failing rows as Pandera would, and only a
verdict in doubt goes to Pandera, which then collects its failure cases
(:func:`failing_labels`). That spares Pandera's fixed cost per column and check (about a
millisecond, which on a package of twenty small tables is most of the semantic layer's
time) and, on valid data, its import.

The rules that compare figures on every row of a large table (currency, alternatives)
compute their verdicts in float64 numpy over the rows they look at only, a slice at a
time (:func:`floats_at`, :func:`in_chunks`), and give the runners a frame of boolean
flags indexed by line (:func:`flag_frame`, :func:`flagged`): joined frames of nullable
columns over a million rows cost hundreds of megabytes.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, SupportsFloat, SupportsInt, cast

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.typing import NAType

from zonedata.problems import RULES, Problem, Severity
from zonedata.validate.arrowbytes import string_bytes
from zonedata.validate.declarations import Declaration
from zonedata.validate.kindspec import KINDS
from zonedata.validate.tabledata import TableData

if TYPE_CHECKING:
    import pandera.pandas as pa

#: A row check: whole frame in, boolean Series aligned to the frame out (True = passes).
FrameCheck = Callable[[pd.DataFrame], "pd.Series[bool]"]
#: A cell check: one column in, boolean Series aligned to it out (True = passes).
SeriesCheck = Callable[[pd.Series], "pd.Series[bool]"]


@dataclass(frozen=True)
class Context:
    """What every rule sees: the tables that could be read, and today's date."""

    data: Mapping[str, TableData]
    today: datetime.date
    #: Names of all the package's tables, if the caller knows them (else ``None``).
    expected: frozenset[str] | None = None
    #: Intermediate results shared between the rules of one run.
    cache: dict[object, object] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def missing_tables(self) -> set[str]:
        """Tables known to exist in the package but absent from ``data`` (unreadable).

        With ``expected`` this is exact; without, it is the tables that a foreign key of a
        table that was read refers to.
        """
        if self.expected is not None:
            return set(self.expected) - set(self.data)
        referenced = {fk.resource for td in self.data.values() for fk in td.table.foreign_keys}
        return referenced - set(self.data)

    def table(self, name: str, *columns: str) -> TableData | None:
        """The table, or ``None`` when it or one of ``columns`` is missing (rule skips)."""
        td = self.data.get(name)
        if td is None:
            return None
        if any(c not in td.typed.columns or c not in td.text.columns for c in columns):
            return None
        return td


#: A rule kind's implementation: the context and one declaration in, problems out.
Implementation = Callable[[Context, Declaration], list[Problem]]

#: The implementation of each rule kind (see :mod:`zonedata.validate.kinds`).
IMPLEMENTATIONS: dict[str, Implementation] = {}


def implements(kind: str) -> Callable[[Implementation], Implementation]:
    """Register the implementation of the rule kind ``kind`` (declared in ``KINDS``)."""
    if kind not in KINDS:
        raise KeyError(f"unknown rule kind {kind!r}")

    def register(func: Implementation) -> Implementation:
        if kind in IMPLEMENTATIONS:
            raise ValueError(f"rule kind {kind!r} implemented twice")
        IMPLEMENTATIONS[kind] = func
        return func

    return register


def tables_of(ctx: Context, decl: Declaration) -> list[TableData]:
    """The declaration's ``tables`` that could be read (default: every table), in order."""
    names = decl.get("tables")
    if names is None:
        return list(ctx.data.values())
    return [ctx.data[n] for n in names if n in ctx.data]


# ---------------------------------------------------------------------------------------
# Running Pandera checks


def _failure_cases(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Validate lazily; return failure cases as columns ``check``, ``column``, ``index``.

    A check that raised (or a failure with no row) is a bug in the rule: it is re-raised
    as ``RuntimeError`` so that the rule's wrapper reports an ``internal-error``.
    """
    import pandera.pandas as pa

    empty = pd.DataFrame({"check": [], "column": [], "index": []})
    try:
        schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as e:
        fc = e.failure_cases
    else:
        return empty
    if fc is None or len(fc) == 0:
        return empty
    fc = fc[["check", "column", "index", "failure_case"]]
    broken = fc["index"].isna()
    if broken.any():
        first = fc[broken].iloc[0]
        raise RuntimeError(f"check {first['check']!r} could not run: {first['failure_case']}")
    out: pd.DataFrame = fc[["check", "column", "index"]].drop_duplicates()
    return out


def failing_labels(
    check: Callable[..., object], data: pd.DataFrame | pd.Series, *, skip_missing: bool = False
) -> pd.Index | None:
    """The sorted index labels (lines) of the rows of ``data`` where ``check`` fails, found
    by calling it directly; ``None`` when in doubt.

    Pandera's machinery costs about a millisecond per column and check (and its import a
    third of a second), which on a package of many small tables outweighs the checks
    themselves; so the runners below evaluate each check directly and hand Pandera only
    the checks whose verdict is in doubt: an exception, a result that is not a boolean
    Series aligned to ``data``, a missing verdict. A clean verdict is what Pandera would
    make of it: the rows where the check is ``False``. ``skip_missing``: the check sees
    the column without its missing cells, as Pandera gives it to a column check
    (``ignore_na``).
    """
    if skip_missing:
        data = data.dropna()
    try:
        result = check(data)
    except Exception:
        return None
    if (
        not isinstance(result, pd.Series)
        or not pd.api.types.is_bool_dtype(result.dtype)
        or len(result) != len(data)
        or not result.index.equals(data.index)
        or result.hasnans
    ):
        return None
    failing = np.asarray(data.index[~bool_array(result, False)], dtype="int64")
    lines: pd.Index = pd.Index(np.unique(failing))
    return lines


def failing_lines(frame: pd.DataFrame, checks: Mapping[str, FrameCheck]) -> dict[str, pd.Index]:
    """Run wide row checks on ``frame`` (a ``DataFrameSchema`` of ``pa.Check`` s).

    Returns, for each check name, the index labels (lines) of the rows that fail, sorted.
    Only the checks whose verdict is in doubt go through Pandera (see
    :func:`failing_labels`).
    """
    out: dict[str, pd.Index] = {name: pd.Index([], dtype="int64") for name in checks}
    if frame.empty or not checks:
        return out
    doubtful: dict[str, FrameCheck] = {}
    for check, fn in checks.items():
        failing = failing_labels(fn, frame)
        if failing is None:
            doubtful[check] = fn
        else:
            out[check] = failing
    if not doubtful:
        return out
    import pandera.pandas as pa

    schema = pa.DataFrameSchema(
        checks=[pa.Check(fn, name=name, ignore_na=False) for name, fn in doubtful.items()]
    )
    fc = _failure_cases(frame, schema)
    for name, rows in fc.groupby("check", sort=False)["index"]:
        out[str(name)] = pd.Index(rows.unique().astype("int64")).sort_values()
    return out


def failing_cells(
    frame: pd.DataFrame, checks: Mapping[str, Mapping[str, SeriesCheck]]
) -> dict[str, list[tuple[str, pd.Index]]]:
    """Run per-column checks: ``checks[column][check name] = fn(series)``.

    Missing cells are skipped (Pandera's ``ignore_na``). Returns, for each check name,
    ``(column, failing lines)`` pairs, columns in the order of ``checks``. Only the checks
    whose verdict is in doubt go through Pandera (see :func:`failing_labels`).
    """
    found: dict[tuple[str, str], pd.Index] = {}
    doubtful: dict[str, dict[str, SeriesCheck]] = {}
    columns = [c for c in checks if c in frame.columns] if not frame.empty else []
    for c in columns:
        for n, fn in checks[c].items():
            failing = failing_labels(fn, frame[c], skip_missing=True)
            if failing is None:
                doubtful.setdefault(c, {})[n] = fn
            elif len(failing):
                found[n, c] = failing
    if doubtful:
        found.update(_doubtful_cells(frame, doubtful))
    out: dict[str, list[tuple[str, pd.Index]]] = {}
    for c in columns:
        for n in checks[c]:
            if (n, c) in found:
                out.setdefault(n, []).append((c, found[n, c]))
    return out


def _doubtful_cells(
    frame: pd.DataFrame, cols: Mapping[str, Mapping[str, SeriesCheck]]
) -> dict[tuple[str, str], pd.Index]:
    """The failing lines of column checks by (check name, column), found by Pandera."""
    import pandera.pandas as pa

    schema = pa.DataFrameSchema(
        {
            c: pa.Column(nullable=True, checks=[pa.Check(fn, name=n) for n, fn in v.items()])
            for c, v in cols.items()
        }
    )
    fc = _failure_cases(frame[list(cols)], schema)
    return {
        (str(name), str(column)): pd.Index(rows.unique().astype("int64")).sort_values()
        for (name, column), rows in fc.groupby(["check", "column"], sort=False)["index"]
    }


# ---------------------------------------------------------------------------------------
# Building problems


def cell_text(td: TableData, line: int, field: str) -> str | None:
    """The cell as the file gives it (``None`` if missing)."""
    if field not in td.text.columns:
        return None
    v: Any = td.text.at[line, field]
    return None if pd.isna(v) else str(v)


def problem(
    code: str,
    message: str,
    td: TableData,
    line: int,
    field: str,
    *,
    value: str | None = None,
    severity: Severity | None = None,
) -> Problem:
    """A problem located at ``line``/``field`` of ``td`` (value: the cell's text);
    ``severity``: default, the catalogue's for ``code``, else ``error``."""
    known_rule = RULES.get(code)
    return Problem(
        code=code,
        severity=severity or (known_rule.severity if known_rule else "error"),
        message=message,
        table=td.name,
        path=td.display_path,
        line=int(line),
        field=field,
        field_number=td.field_number(field) if field in td.table.field_names else None,
        value=value if value is not None else cell_text(td, line, field),
    )


def line_frame(
    td: TableData,
    columns: Sequence[str],
    *,
    text: Sequence[str] = (),
    decimals: Sequence[str] = (),
    positions: bool = False,
    complete: Sequence[str] = (),
) -> pd.DataFrame:
    """Typed ``columns`` plus the text of ``text`` columns (as ``<name>__text``), index = line.

    The line is also kept as a column ``_line`` so that it survives merges. ``decimals``
    adds each named column's printed decimals (``<name>__dec``, see
    :meth:`TableData.decimals`); ``positions`` adds ``_pos``, the row's 0-based position
    in ``td``. ``complete`` keeps only the rows where these typed columns have a value
    (the rows are picked before the columns are gathered: one copy, not two).
    """
    keep: np.ndarray | None = None
    if complete:
        mask = np.ones(len(td.typed), dtype=bool)
        for c in complete:
            mask &= td.typed[c].notna().to_numpy(dtype=bool)
        if not mask.all():
            keep = np.flatnonzero(mask)
    pairs: list[tuple[str, pd.Series]] = [(c, td.typed[c]) for c in columns]
    pairs += [(f"{c}__text", td.text[c]) for c in text]
    pairs += [(f"{c}__dec", td.decimals(c)) for c in decimals]
    if keep is None:
        frame = pd.DataFrame(dict(pairs), index=td.typed.index)
    else:
        frame = pd.DataFrame(
            {name: s.array.take(keep) for name, s in pairs}, index=td.typed.index.take(keep)
        )
    frame["_line"] = frame.index.to_numpy(dtype=np.int64)
    if positions:
        frame["_pos"] = keep if keep is not None else np.arange(len(frame), dtype=np.int64)
    return frame


#: Rows per step of a rule's float64 arithmetic (see :func:`in_chunks`).
CHUNK_ROWS = 1 << 16


def in_chunks(n: int, verdict: Callable[[slice], np.ndarray]) -> np.ndarray:
    """A boolean mask over ``n`` rows, ``verdict(rows)`` computed a slice of at most
    :data:`CHUNK_ROWS` rows at a time.

    A rule's arithmetic makes a dozen temporary arrays; over a million rows at once they
    cost tens of megabytes at the peak (and the allocator keeps some of them), over 65,536
    rows half a megabyte each. Every operation is row by row, so the verdicts are the same.
    """
    out = np.zeros(n, dtype=bool)
    for start in range(0, n, CHUNK_ROWS):
        rows = slice(start, min(start + CHUNK_ROWS, n))
        out[rows] = verdict(rows)
    return out


def complete_rows(td: TableData, columns: Sequence[str]) -> np.ndarray:
    """Positions (0-based, in line order) of ``td``'s rows where each typed column of
    ``columns`` has a value."""
    mask = np.ones(len(td.typed), dtype=bool)
    for c in columns:
        mask &= td.typed[c].notna().to_numpy(dtype=bool)
    return np.flatnonzero(mask)


def floats_at(series: pd.Series, pos: np.ndarray) -> np.ndarray:
    """The values of a numeric ``series`` at row positions ``pos`` as plain float64, NaN
    where missing: the inputs of a rule's arithmetic, for the rows it looks at only.

    NaN stands for pandas' ``<NA>``: the nullable ``Float64`` arithmetic the rules used
    to do turns a NaN result into ``<NA>`` too, and a numpy comparison with NaN is
    ``False`` where pandas' is ``<NA>``; see :func:`failing` for the verdicts.
    """
    taken = series.array.take(pos)
    return np.asarray(taken.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)


def half_units(decimals: np.ndarray) -> np.ndarray:
    """:func:`half_unit` over plain float64 decimals (NaN where missing); a figure printed
    to beyond float64's range (``0e400``: -400 decimals) has an infinite tolerance."""
    with np.errstate(over="ignore"):
        return np.asarray(0.5 * (10.0 ** (-decimals)), dtype=np.float64)


def na_float(x: float) -> float | NAType:
    """A float for a message as the rules' nullable frames gave it: NaN is ``<NA>``."""
    return pd.NA if math.isnan(x) else float(x)


def flag_frame(lines: np.ndarray, flags: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """A frame of boolean columns (``True`` = the row fails the check) indexed by
    ``lines``, without a copy of the arrays: what the rules whose verdicts are computed
    in numpy hand to :func:`failing_lines`, with :func:`flagged` checks."""
    frame = pd.DataFrame(dict(flags), index=pd.Index(lines, dtype=np.int64), copy=False)
    return frame


def flagged(column: str) -> FrameCheck:
    """The row check of a :func:`flag_frame` column: a row passes unless it is flagged."""

    def check(d: pd.DataFrame) -> pd.Series:
        return ~known(d[column])

    return check


def positions_of(lines: np.ndarray, wanted: pd.Index) -> np.ndarray:
    """The positions in ``lines`` (distinct) of the lines ``wanted`` (all among them)."""
    want = wanted.to_numpy(dtype=np.int64)
    if len(lines) < 2 or bool((lines[1:] > lines[:-1]).all()):
        return np.asarray(np.searchsorted(lines, want), dtype=np.int64)
    return np.asarray(pd.Index(lines).get_indexer(want), dtype=np.int64)


def lookup(keys: pd.Series, targets: pd.Series) -> np.ndarray:
    """For each key, the position of the equal value in ``targets`` (distinct), else -1.

    The hash lookup runs once per distinct key (missing keys: -1).
    """
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(keys), -1, dtype=np.int64)
    found = pd.Index(targets).get_indexer(pd.Index(uniques, dtype=targets.dtype))
    return np.where(codes >= 0, found[np.maximum(codes, 0)], -1)


def merge_keep_index(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    on: str | list[str],
    how: Literal["inner", "left"],
) -> pd.DataFrame:
    """``left.merge(right)`` keeping ``left``'s index (line numbers) for the rows kept."""
    idx_name = "__idx"
    merged = left.rename_axis(idx_name).reset_index().merge(right, on=on, how=how)
    return merged.set_index(idx_name).rename_axis(None)


class Row(dict[str, object]):
    """One row of a rule's frame, {column: value}, for a message; the accessors convert
    as ``int(...)`` and a message's number would (``<NA>`` stays ``<NA>``)."""

    def integer(self, column: str) -> int:
        return int(cast(SupportsInt, self[column]))

    def number(self, column: str) -> float | NAType:
        v = self[column]
        return v if isinstance(v, NAType) else float(cast(SupportsFloat, v))

    def missing(self, column: str) -> bool:
        """``pd.isna`` of the value."""
        return bool(pd.isna(cast("str | float | None", self[column])))

    def text(self, column: str) -> str:
        """A value known to be a string (a date, an id)."""
        return cast(str, self[column])


def records(frame: pd.DataFrame, lines: pd.Index) -> list[tuple[int, Row]]:
    """The rows of ``frame`` at ``lines`` as (line, {column: value}) pairs, for messages."""
    rows = frame.loc[lines].to_dict("records")
    return [
        (int(line), Row((str(k), v) for k, v in row.items()))
        for line, row in zip(lines, rows, strict=True)
    ]


def records_at(
    td: TableData, columns: Sequence[str], pos: np.ndarray, lines: Iterable[int]
) -> list[tuple[int, Row]]:
    """The typed ``columns`` of ``td``'s rows at positions ``pos`` as (line, {column:
    value}) pairs, for messages: :func:`records` without a frame of every row."""
    rows = td.typed[list(columns)].iloc[pos].to_dict("records")
    return [
        (int(line), Row((str(k), v) for k, v in row.items()))
        for line, row in zip(lines, rows, strict=True)
    ]


def fmt_num(x: float | NAType, decimals: int | None = None) -> str:
    """A number for a message: fixed decimals, or the shortest exact form. Negative
    decimals round to tens, hundreds...: ``fmt_num(6.9, -1)`` is ``"10"``."""
    if decimals is not None:
        d = int(decimals)
        if d < 0 and isinstance(x, float) and math.isfinite(x):
            return f"{round(x, d):.0f}"
        return f"{x:.{max(d, 0)}f}"
    return f"{x:.10g}"


def precision(decimals: int) -> str:
    """How a figure with ``decimals`` printed decimals is rounded, for a message:
    ``"2 decimals"``, or ``"the nearest 100"`` for -2."""
    return f"{decimals} decimals" if decimals >= 0 else f"the nearest {10**-decimals}"


def join_limited(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return ", ".join(items)


def bool_array(mask: pd.Series | np.ndarray, missing: bool) -> np.ndarray:
    """A boolean mask as a plain numpy array, with missing (``<NA>``) as ``missing``.

    A direct conversion: going through pandas' ``boolean`` dtype costs about 30 times as
    much (90 ms per million rows against 3 ms).
    """
    if isinstance(mask, np.ndarray):
        if mask.dtype == bool:
            return mask
        mask = pd.Series(mask)
    try:
        return np.asarray(mask.to_numpy(dtype=bool, na_value=missing), dtype=bool)
    except (TypeError, ValueError):  # an unusual dtype: take the long way
        series = pd.Series(mask)
        return np.asarray(series.astype("boolean").fillna(missing).astype(bool), dtype=bool)


def known(mask: pd.Series) -> pd.Series:
    """A boolean mask with missing (``<NA>``) as ``False``, as a plain ``bool`` Series.

    Comparisons of pandas' string or nullable columns give ``boolean`` or Arrow ``bool``
    masks with ``<NA>``; they cannot be combined with ``&``/``|`` until normalised.
    """
    return pd.Series(bool_array(mask, False), index=mask.index)


def member_of(s: pd.Series, values: pd.Series) -> pd.Series:
    """Whether each value of ``s`` is among ``values`` (missing: ``False``).

    A hash lookup in the distinct values: ``Series.isin`` with a large set of Arrow-backed
    strings is two orders of magnitude slower in pandas 3.
    """
    distinct = pd.Index(values.dropna().unique())
    return pd.Series(distinct.get_indexer(s) >= 0, index=s.index) & s.notna().to_numpy()


def on_distinct(s: pd.Series, check: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Run a boolean ``check`` once per distinct value of ``s``; missing cells: ``False``.

    ``check`` gets the distinct values as a Series and returns a plain ``bool`` Series
    aligned to it; the result is spread back to the rows of ``s`` as a numpy array.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    verdict = bool_array(check(pd.Series(uniques, dtype=s.dtype)), False)
    out = np.zeros(len(s), dtype=bool)
    present = codes >= 0
    out[present] = verdict[codes[present]]
    return out


def starts_with_any(s: pd.Series, chars: str) -> pd.Series:
    """Whether each text cell starts with one of the ASCII characters ``chars`` (missing: False).

    Reads the first byte of each cell straight from the Arrow string buffer (an ASCII
    character is one byte in UTF-8, and no other character's encoding contains it);
    other storage falls back to pandas' ``str.startswith``.
    """
    wanted = np.frombuffer(chars.encode("ascii"), dtype=np.uint8)
    text = s.astype("string")
    try:
        arrow = pa.array(text.array)
    except (TypeError, pa.ArrowException):
        return known(text.str.startswith(tuple(chars)))
    if arrow.type not in (pa.string(), pa.large_string()):
        return known(text.str.startswith(tuple(chars)))
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    parts = []
    for chunk in chunks:
        hit = np.zeros(len(chunk), dtype=bool)
        raw = string_bytes(chunk)
        if raw is not None:
            data, starts, ends = raw
            nonempty = ends > starts
            hit[nonempty] = np.isin(data[starts[nonempty]], wanted)
        if chunk.null_count:
            hit &= np.asarray(chunk.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        parts.append(hit)
    mask = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    return pd.Series(mask, index=s.index)


def passes(ok: pd.Series) -> pd.Series:
    """A check result with undecidable rows (``<NA>``: a value is missing) as passing."""
    return pd.Series(bool_array(ok, True), index=ok.index)


def half_unit(decimals: pd.Series) -> pd.Series:
    """Half a unit in the last printed digit, from each cell's printed decimals (Int64).

    That is 0.5 x 10^-decimals; see :meth:`TableData.decimals`.
    """
    d = decimals.astype("Float64")
    with np.errstate(over="ignore"):
        return 0.5 * (10.0 ** (-d))


# ---------------------------------------------------------------------------------------
# Partial dates (ISO 8601 YYYY, YYYY-MM, YYYY-MM-DD)

_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
PRECISIONS: dict[int, str] = {4: "year", 7: "month", 10: "day"}


def partial_dates(s: pd.Series) -> pd.Series:
    """The well-formed partial dates of ``s`` as strings (anything else becomes <NA>).

    The pattern is matched once per distinct value: a date column has few.
    """
    s = s.astype("string")
    return s.where(on_distinct(s, lambda u: known(u.str.fullmatch(_PARTIAL_DATE.pattern))))


def after_partial(dates: pd.Series, limit: str) -> pd.Series:
    """Whether each partial date is after the full date ``limit`` at its own precision.

    For well-formed ISO dates this is plain string order: a value of k characters is after
    ``limit[:k]`` exactly when it sorts after ``limit`` (a value equal to ``limit[:k]``
    is a prefix of ``limit``, so it sorts before it). Missing or malformed: ``False``.
    """
    return known(partial_dates(dates) > limit)


def compare_coarser(a: pd.Series, b: pd.Series) -> pd.Series:
    """Compare partial dates pairwise at the coarser precision of the two.

    Returns an ``Int64`` Series: -1 if ``a`` is before ``b``, 0 if they cannot be told
    apart (``2019-05`` vs ``2019-05-21``), 1 if after; <NA> where either is missing.
    """
    a = partial_dates(a)
    b = partial_dates(b)
    n = np.minimum(a.str.len().astype("Float64"), b.str.len().astype("Float64"))
    out = pd.Series(pd.NA, index=a.index, dtype="Int64")
    for k in PRECISIONS:
        m = known(n == k)
        if not m.any():
            continue
        aa = a[m].str.slice(0, k)
        bb = b[m].str.slice(0, k)
        out[m] = (aa > bb).astype("int64") - (aa < bb).astype("int64")
    return out


def coarser_precision(a: str, b: str) -> str:
    """The name of the coarser precision of two partial dates ("year", "month" or "day")."""
    return PRECISIONS.get(min(len(a), len(b)), "?")
