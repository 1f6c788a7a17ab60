"""The machinery the semantic rules share: registry, context, Pandera runner, helpers.

A rule is a function ``(ctx) -> list[Problem]`` registered with :func:`rule`. It builds a
frame indexed by the 1-based line of the row it reports on (joining other tables as
needed), expresses its condition as Pandera checks that return a boolean Series over the
whole frame (``True`` = the row passes), runs them with :func:`failing_lines` /
:func:`failing_cells`, and turns the failing lines into :class:`Problem` records. No rule
loops over data rows; loops run only over the (few) failures to word their messages.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from zonedata.model.descriptor import Table
from zonedata.validate.problems import RULES, Problem, make
from zonedata.validate.tabledata import TableData, decimals_of

if TYPE_CHECKING:
    import pandera.pandas as pa

#: A row check: whole frame in, boolean Series aligned to the frame out (True = passes).
FrameCheck = Callable[[pd.DataFrame], "pd.Series[bool]"]
#: A cell check: one column in, boolean Series aligned to it out (True = passes).
SeriesCheck = Callable[["pd.Series[Any]"], "pd.Series[bool]"]


@dataclass(frozen=True)
class Context:
    """What every rule sees: the tables that could be read, and today's date."""

    data: Mapping[str, TableData]
    today: datetime.date
    #: Names of all the package's tables, if the caller knows them (else ``None``).
    expected: frozenset[str] | None = None
    #: Intermediate results shared between the rules of one run.
    cache: dict[object, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

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


@dataclass(frozen=True)
class SemanticRule:
    """A named rule: the codes it reports and the function that checks it."""

    name: str
    codes: tuple[str, ...]
    func: Callable[[Context], list[Problem]]

    @property
    def rationale(self) -> str:
        return (self.func.__doc__ or "").strip()


#: Every registered rule, in the order they run.
REGISTRY: list[SemanticRule] = []


def rule(
    name: str, *codes: str
) -> Callable[[Callable[[Context], list[Problem]]], Callable[[Context], list[Problem]]]:
    """Register a rule function under ``name``, reporting ``codes`` (default: ``name``)."""
    codes = codes or (name,)
    for code in codes:
        if code not in RULES:
            raise KeyError(f"rule {name!r}: unknown problem code {code!r}")

    def register(func: Callable[[Context], list[Problem]]) -> Callable[[Context], list[Problem]]:
        if any(r.name == name for r in REGISTRY):
            raise ValueError(f"semantic rule {name!r} registered twice")
        REGISTRY.append(SemanticRule(name=name, codes=codes, func=func))
        return func

    return register


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


def failing_lines(frame: pd.DataFrame, checks: Mapping[str, FrameCheck]) -> dict[str, pd.Index]:
    """Run wide row checks on ``frame`` (a ``DataFrameSchema`` of ``pa.Check`` s).

    Returns, for each check name, the index labels (lines) of the rows that fail, sorted.
    """
    import pandera.pandas as pa

    out: dict[str, pd.Index] = {name: pd.Index([], dtype="int64") for name in checks}
    if frame.empty or not checks:
        return out
    schema = pa.DataFrameSchema(
        checks=[pa.Check(fn, name=name, ignore_na=False) for name, fn in checks.items()]
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
    ``(column, failing lines)`` pairs.
    """
    import pandera.pandas as pa

    out: dict[str, list[tuple[str, pd.Index]]] = {}
    cols = {c: v for c, v in checks.items() if c in frame.columns and v}
    if frame.empty or not cols:
        return out
    schema = pa.DataFrameSchema(
        {
            c: pa.Column(nullable=True, checks=[pa.Check(fn, name=n) for n, fn in v.items()])
            for c, v in cols.items()
        }
    )
    fc = _failure_cases(frame[list(cols)], schema)
    for (name, column), rows in fc.groupby(["check", "column"], sort=False)["index"]:
        lines = pd.Index(rows.unique().astype("int64")).sort_values()
        out.setdefault(str(name), []).append((str(column), lines))
    return out


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
) -> Problem:
    """A problem located at ``line``/``field`` of ``td`` (value: the cell's text)."""
    return make(
        code,
        message,
        table=td.name,
        path=td.display_path,
        line=int(line),
        field=field,
        field_number=td.field_number(field) if field in td.table.field_names else None,
        value=value if value is not None else cell_text(td, line, field),
    )


def line_frame(td: TableData, columns: Sequence[str], *, text: Sequence[str] = ()) -> pd.DataFrame:
    """Typed ``columns`` plus the text of ``text`` columns (as ``<name>__text``), index = line.

    The line is also kept as a column ``_line`` so that it survives merges.
    """
    frame = td.typed[list(columns)].copy()
    for c in text:
        frame[f"{c}__text"] = td.text[c]
    frame["_line"] = frame.index.astype("int64")
    return frame


def merge_keep_index(left: pd.DataFrame, right: pd.DataFrame, **kw: Any) -> pd.DataFrame:
    """``left.merge(right)`` keeping ``left``'s index (line numbers) for the rows kept."""
    idx_name = "__idx"
    merged = left.rename_axis(idx_name).reset_index().merge(right, **kw)
    return merged.set_index(idx_name).rename_axis(None)


def records(frame: pd.DataFrame, lines: pd.Index) -> list[tuple[int, dict[str, Any]]]:
    """The rows of ``frame`` at ``lines`` as (line, {column: value}) pairs, for messages."""
    rows = frame.loc[lines].to_dict("records")
    return [
        (int(line), {str(k): v for k, v in row.items()})
        for line, row in zip(lines, rows, strict=True)
    ]


def fmt_num(x: float, decimals: int | None = None) -> str:
    """A number for a message: fixed decimals, or the shortest exact form."""
    if decimals is not None:
        return f"{x:.{max(int(decimals), 0)}f}"
    return f"{x:.10g}"


def join_limited(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return ", ".join(items)


def known(mask: pd.Series) -> pd.Series:
    """A boolean mask with missing (``<NA>``) as ``False``, as a plain ``bool`` Series.

    Comparisons of pandas' string or nullable columns give ``boolean`` or Arrow ``bool``
    masks with ``<NA>``; they cannot be combined with ``&``/``|`` until normalised.
    """
    return mask.astype("boolean").fillna(False).astype(bool)


def member_of(s: pd.Series, values: pd.Series) -> pd.Series:
    """Whether each value of ``s`` is among ``values`` (missing: ``False``).

    A hash lookup in the distinct values: ``Series.isin`` with a large set of Arrow-backed
    strings is two orders of magnitude slower in pandas 3.
    """
    distinct = pd.Index(values.dropna().unique())
    return pd.Series(distinct.get_indexer(s) >= 0, index=s.index) & s.notna().to_numpy()


def passes(ok: pd.Series) -> pd.Series:
    """A check result with undecidable rows (``<NA>``: a value is missing) as passing."""
    return ok.astype("boolean").fillna(True).astype(bool)


def half_unit(text: pd.Series) -> pd.Series:
    """Half a unit in the last printed digit of each numeric text cell (0.5 x 10^-decimals)."""
    d = decimals_of(text).astype("Float64")
    return 0.5 * (10.0 ** (-d))


# ---------------------------------------------------------------------------------------
# Partial dates (ISO 8601 YYYY, YYYY-MM, YYYY-MM-DD)

_PARTIAL_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
PRECISIONS: dict[int, str] = {4: "year", 7: "month", 10: "day"}


def partial_dates(s: pd.Series) -> pd.Series:
    """The well-formed partial dates of ``s`` as strings (anything else becomes <NA>)."""
    s = s.astype("string")
    return s.where(known(s.str.fullmatch(_PARTIAL_DATE.pattern)))


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


def source_fields(table: Table, sources: str = "sources") -> list[str]:
    """The fields of ``table`` that reference the sources table (foreign keys)."""
    return [
        fk.fields[0] for fk in table.foreign_keys if fk.resource == sources and len(fk.fields) == 1
    ]
