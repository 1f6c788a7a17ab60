"""Cross-table rules: rows needing rows elsewhere (``has-rows-in``), rows nothing cites
(``cited``), one flagged row per group (``one-flagged``) and alternatives that disagree
with it (``alternatives-agree``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.declarations import Declaration
from zonedata.validate.rules._base import (
    Context,
    Row,
    bool_array,
    complete_rows,
    failing_lines,
    flag_frame,
    flagged,
    floats_at,
    fmt_num,
    implements,
    in_chunks,
    join_limited,
    line_frame,
    member_of,
    positions_of,
    problem,
    records_at,
)
from zonedata.validate.tabledata import TableData

#: How alternatives are compared on a figure: ("relative" | "absolute", 1/k, unit label).
Tolerance = tuple[str, float, str]


@implements("has-rows-in")
def has_rows_in(ctx: Context, decl: Declaration) -> list[Problem]:
    """Every row has a row in another table: each value of ``field`` appears in ``in``'s
    ``in_field``."""
    key = decl.get("field")
    other = decl.get("in_field", key)
    rows = ctx.table(decl.get("table"), key)
    others = ctx.table(decl.get("in"), other)
    if rows is None or others is None:
        return []
    present = others.typed[other]
    frame = line_frame(rows, [key]).dropna(subset=[key])

    def has_row(d: pd.DataFrame) -> pd.Series:
        return member_of(d[key], present)

    label = decl.get("label", key)
    advice = f"; {decl.message}" if decl.message else ""
    return [
        problem(
            decl.code,
            f"{label} {frame.at[line, key]!s} has no row in {others.display_path}{advice}",
            rows,
            line,
            key,
            severity=decl.severity,
        )
        for line in failing_lines(frame, {decl.code: has_row})[decl.code]
    ]


@implements("cited")
def cited(ctx: Context, decl: Declaration) -> list[Problem]:
    """Every row of the table is cited by at least one row.

    The citing fields are all single-field foreign keys to the table in the descriptor
    (a table of sources may be cited by ``source_id`` and ``evidence_source_id``). The rule does not run when a table is
    known to be missing from the data (its file could not be read; known from the
    package's table list when the caller gives it, else from the foreign keys of the
    tables that were read), as its rows might cite the rows that would look unused.
    """
    name = decl.get("table")
    src = ctx.data.get(name)
    if src is None or ctx.missing_tables():
        return []
    citing = [
        (td, fk.fields[0], fk.reference_fields[0])
        for td in ctx.data.values()
        for fk in td.table.foreign_keys
        if fk.resource == name and len(fk.fields) == 1 and len(fk.reference_fields) == 1
    ]
    if not citing or any(field not in td.typed.columns for td, field, _ in citing):
        return []
    keys = {key for _, _, key in citing}
    key = keys.pop()
    if keys or ctx.table(name, key) is None:
        return []
    used = pd.concat([td.typed[field].dropna() for td, field, _ in citing], ignore_index=True)
    frame = line_frame(src, [key]).dropna(subset=[key])

    def is_cited(d: pd.DataFrame) -> pd.Series:
        return member_of(d[key], used)

    label = decl.get("label", key)
    advice = f"; {decl.message}" if decl.message else ""
    return [
        problem(
            decl.code,
            f"{label} {frame.at[line, key]!s} is cited by no row (checked the {len(citing)} "
            f"fields that reference {name}){advice}",
            src,
            line,
            key,
            severity=decl.severity,
        )
        for line in failing_lines(frame, {decl.code: is_cited})[decl.code]
    ]


@dataclass
class PreferredGroups:
    """A table with a boolean flag, grouped by the declared ``group`` fields.

    Plain numpy arrays, over the grouped rows (those with every key cell; ``pos``: their
    positions in the table, in line order) or over the groups (numbered from 0).
    """

    td: TableData
    flag: str
    key: list[str]
    source: str | None
    pos: np.ndarray
    #: for each grouped row: its group's number, whether it is preferred, and the index
    #: (among the grouped rows) of its group's first preferred row, or -1 when none is
    gid: np.ndarray
    pref: np.ndarray
    pref_pos: np.ndarray
    #: per group: its preferred rows, its rows, its first row (index among the grouped
    #: rows), and whether any of its ``preferred`` cells is unreadable
    n_pref: np.ndarray
    n: np.ndarray
    first: np.ndarray
    any_na: np.ndarray

    @property
    def lines(self) -> np.ndarray:
        """The line of each grouped row."""
        return np.asarray(self.td.typed.index.to_numpy(dtype=np.int64)[self.pos], dtype=np.int64)

    def judged(self) -> np.ndarray:
        """Per group: exactly one flagged row and no unreadable flag cell."""
        return np.asarray((self.n_pref == 1) & ~self.any_na, dtype=bool)

    def key_records(self, rows: np.ndarray, lines: pd.Index) -> list[Row]:
        """The key (and source) cells of the grouped ``rows``, at ``lines``, for messages."""
        columns = self.key + ([self.source] if self.source else [])
        return [row for _, row in records_at(self.td, columns, self.pos[rows], lines)]


def preferred_groups(ctx: Context, decl: Declaration) -> PreferredGroups | None:
    """:func:`_preferred_groups` of the declaration's table, flag, group and source,
    computed once per run (``one-flagged`` and ``alternatives-agree`` share it)."""
    td = ctx.data.get(decl.get("table"))
    if td is None:
        return None
    flag, group, source = decl.get("flag"), tuple(decl.get("group")), decl.get("source")
    key = ("preferred_groups", td.name, flag, group, source)
    if key not in ctx.cache:
        ctx.cache[key] = _preferred_groups(td, flag, list(group), source)
    return cast("PreferredGroups | None", ctx.cache[key])


def _narrow(a: np.ndarray) -> np.ndarray:
    """Integers as int32 when they fit (these arrays live for the whole run)."""
    if len(a) == 0 or (int(a.max()) < 2**31 and int(a.min()) >= -(2**31)):
        return a.astype(np.int32)
    return a


def _codes(column: pd.Series, rows: int) -> tuple[np.ndarray, int]:
    """Each cell's code among the column's distinct values (-1 where missing), and a bound
    on the codes. Integers within a range of a few times ``rows`` are their own codes
    (their offset from the smallest); other columns are factorized (``pd.factorize`` of
    a nullable integer column costs several copies of it).
    """
    if pd.api.types.is_integer_dtype(column.dtype):
        missing = column.isna().to_numpy(dtype=bool)
        values = np.asarray(column.to_numpy(dtype=np.int64, na_value=0), dtype=np.int64)
        present = values[~missing]
        if len(present):
            low, high = int(present.min()), int(present.max())
            if high - low < 4 * rows + 1024:
                codes = values - low  # (a new array: ``values`` may be the column's own)
                codes[missing] = -1
                return codes, high - low + 1
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), max(len(uniques), 1)


def _group_ids(td: TableData, key: list[str], pos: np.ndarray) -> np.ndarray:
    """For the rows at ``pos`` (every key cell present), a group number per distinct key:
    the groups of ``groupby(key)``, numbered from 0 (in no particular order).

    Each key column is factorized whole (Arrow strings: a dictionary encoding, no copy of
    the cells) and the rows' codes combined, a mixed-radix number. While these numbers
    stay below a few times the number of rows they are renumbered densely with a
    ``bincount`` (no hash table of a million keys); beyond, with a factorization.
    """
    ids = np.zeros(len(pos), dtype=np.int64)
    span = 1
    for k in key:
        codes, radix = _codes(td.typed[k], len(pos))
        ids *= radix
        ids += np.asarray(codes, dtype=np.int64)[pos]
        del codes
        span *= radix
        if span > 4 * len(pos) + 1024:
            ids = np.asarray(pd.factorize(ids)[0], dtype=np.int64)
            span = int(ids.max()) + 1 if len(ids) else 1
    present = np.bincount(ids, minlength=span) > 0
    dense = np.cumsum(present, dtype=np.int64) - 1
    return _narrow(dense[ids])


def _preferred_groups(
    td: TableData, flag: str, key: list[str], source: str | None
) -> PreferredGroups | None:
    """Group ``td``'s rows by ``key``, with per-group counts of the ``flag`` ged rows.

    Rows with a missing key cell are left out. One grouping gives each row a group
    number; the counts are numpy ``bincount`` s over it, kept per group.
    """
    names = td.table.field_names
    if flag not in names or td.table.field(flag).kind != "boolean":
        return None
    if not key or any(k not in td.typed.columns for k in key) or flag not in td.typed:
        return None
    pos = _narrow(complete_rows(td, key))
    if not td.typed.index.is_monotonic_increasing:  # (the rows are in line order)
        lines = td.typed.index.to_numpy(dtype=np.int64)[pos]
        pos = pos[np.argsort(lines, kind="stable")]
        del lines
    gid = _group_ids(td, key, pos)
    groups = int(gid.max()) + 1 if len(gid) else 0
    pref = bool_array(td.typed[flag], False)[pos]
    n_pref = np.bincount(gid[pref], minlength=groups)
    any_na = np.bincount(gid[td.typed[flag].isna().to_numpy(dtype=bool)[pos]], minlength=groups) > 0
    rows = np.arange(len(pos), dtype=gid.dtype)
    # rows are in line order, so the smallest row number of a group is its first line
    first = np.full(groups, len(pos), dtype=gid.dtype)
    np.minimum.at(first, gid, rows)
    first_pref = np.full(groups, -1, dtype=gid.dtype)
    if pref.any():
        first_pref[n_pref > 0] = len(pos)
        np.minimum.at(first_pref, gid[pref], rows[pref])
    del rows
    return PreferredGroups(
        td=td,
        flag=flag,
        key=key,
        source=source if source in td.typed.columns else None,
        pos=pos,
        gid=gid,
        pref=pref,
        pref_pos=first_pref[gid],
        n_pref=_narrow(n_pref),
        n=_narrow(np.bincount(gid, minlength=groups)),
        first=first,
        any_na=any_na,
    )


def _describe(key: list[str], row: Mapping[str, object]) -> str:
    return ", ".join(f"{k} {row[k]}" for k in key)


def _none_preferred(decl: Declaration, pg: PreferredGroups, found: pd.Index) -> list[Problem]:
    """``one-flagged`` for the groups with no flagged row (on their first line)."""
    rows = positions_of(pg.lines, found)
    # every row of these groups, by group then line: the sources (or lines) to name
    members = np.flatnonzero(np.isin(pg.gid, pg.gid[rows]))
    members = members[np.argsort(pg.gid[members], kind="stable")]
    starts = np.searchsorted(pg.gid[members], pg.gid[rows])
    src = pg.source
    problems: list[Problem] = []
    for line, row, r, start in zip(found, rows, pg.key_records(rows, found), starts, strict=True):
        g = members[start : start + int(pg.n[pg.gid[row]])]
        who = (
            f"sources {join_limited(pg.td.typed[src].iloc[pg.pos[g]].astype(str))}"
            if src
            else f"lines {join_limited(pd.Series(pg.lines[g]).astype(str))}"
        )
        advice = decl.message or f"mark exactly one of them {pg.flag}=true"
        problems.append(
            problem(
                decl.code,
                f"none of the {int(pg.n[pg.gid[row]])} rows for "
                f"{_describe(pg.key, r)} is {pg.flag} ({who}); {advice}",
                pg.td,
                line,
                pg.flag,
                severity=decl.severity,
            )
        )
    return problems


def _extra_preferred(decl: Declaration, pg: PreferredGroups, found: pd.Index) -> list[Problem]:
    """``one-flagged`` for each flagged row after its group's first."""
    rows = positions_of(pg.lines, found)
    src = pg.source
    problems: list[Problem] = []
    for line, row, r in zip(found, rows, pg.key_records(rows, found), strict=True):
        first = int(pg.pos[pg.pref_pos[row]])
        this_src = f" (source {r[src]})" if src else ""
        first_src = f", source {pg.td.typed[src].iat[first]!s}" if src else ""
        problems.append(
            problem(
                decl.code,
                f"{int(pg.n_pref[pg.gid[row]])} rows for {_describe(pg.key, r)} are "
                f"{pg.flag}; only one may be: this row{this_src} is {pg.flag} as well as "
                f"line {int(pg.td.typed.index[first])}{first_src}"
                + (f"; {decl.message}" if decl.message else ""),
                pg.td,
                line,
                pg.flag,
                severity=decl.severity,
            )
        )
    return problems


@implements("one-flagged")
def one_flagged(ctx: Context, decl: Declaration) -> list[Problem]:
    """Exactly one row of each group of alternatives is flagged.

    Rows with the same ``group`` values are alternatives for one fact. A group with no
    flagged row is reported on its first line; a group with several, on each flagged row
    after the first. Groups with an unreadable flag cell are left to the schema layer.
    """
    pg = preferred_groups(ctx, decl)
    if pg is None:
        return []
    rows = np.arange(len(pg.pos), dtype=np.int64)
    open_group = (pg.n_pref == 0) & ~pg.any_na
    # a group with no flagged row, on its first line; a flagged row after the first
    none = open_group[pg.gid] & (pg.first[pg.gid] == rows)
    extra = pg.pref & (pg.pref_pos != rows)
    del rows
    frame = flag_frame(pg.lines, {"none": none, "extra": extra})
    bad = failing_lines(frame, {"none": flagged("none"), "extra": flagged("extra")})
    del frame, none, extra
    problems: list[Problem] = []
    if len(bad["none"]):
        problems.extend(_none_preferred(decl, pg, bad["none"]))
    problems.extend(_extra_preferred(decl, pg, bad["extra"]))
    return problems


def _inverse(tol: float) -> int:
    """k with tol = 1/k exactly, so that tolerances compare in integers."""
    k = round(1 / tol)
    if abs(k * tol - 1) > 1e-12:
        raise ValueError(f"tolerance {tol} is not 1/k for an integer k")
    return k


@dataclass(frozen=True)
class Disagreement:
    """One figure of the alternative rows against their preferred rows (float64 arrays over
    the pairs): the alternative's and the preferred value, and |a - p| exactly on the
    printed decimals; ``bad``: beyond the tolerance."""

    a: np.ndarray
    p: np.ndarray
    diff: np.ndarray
    bad: np.ndarray

    @classmethod
    def of(
        cls, td: TableData, name: str, tol: Tolerance, a_pos: np.ndarray, p_pos: np.ndarray
    ) -> Disagreement:
        mode, t, _ = tol
        a, p = floats_at(td.typed[name], a_pos), floats_at(td.typed[name], p_pos)
        da = td.decimals_at(name, a_pos)
        dp = td.decimals_at(name, p_pos)
        with np.errstate(invalid="ignore", over="ignore"):
            scale = 10.0 ** np.where(da >= dp, da, dp)
            # in integer units of the last printed digit (exact for figures printed with
            # at most that many decimals)
            a_units, p_units = np.round(a * scale), np.round(p * scale)
            diff = np.abs(a_units - p_units)
            # With tol = 1 / k: relative: |a - p| > tol x |p|  <=>  diff x k > |p_units|;
            # absolute: |a - p| > tol  <=>  diff x k > scale. (NaN: undecidable, passes.)
            limit = np.abs(p_units) if mode == "relative" else scale
            bad = diff * _inverse(t) > limit
            return cls(a=a, p=p, diff=diff / scale, bad=bad)


def _disagreement_message(
    pg: PreferredGroups,
    name: str,
    tol: Tolerance,
    dis: Disagreement,
    i: int,
    rows: tuple[int, int],
) -> str:
    """The message of pair ``i`` of ``dis`` (``rows``: the alternative's and the preferred
    row's positions in the table)."""
    td = pg.td
    mode, t, label = tol
    a_row, p_row = rows
    a, p = td.text[name].iat[a_row], td.text[name].iat[p_row]
    if mode == "relative":
        pv = float(dis.p[i])
        by = f"{fmt_num(100 * float(dis.diff[i]) / abs(pv), 2)}%"
        allowed = f"{t:.1%}"
    else:
        points = label or str(td.table.field(name).unit or "")
        by = f"{fmt_num(float(dis.diff[i]))} {points}".rstrip()
        allowed = f"{t:g} {points}".rstrip()
    src = pg.source
    this = f" from {td.typed[src].iat[a_row]}" if src else ""
    other = f" from {td.typed[src].iat[p_row]}" if src else ""
    keys = {k: td.typed[k].iat[a_row] for k in pg.key}
    return (
        f"{name} {a}{this} differs by {by} from the {pg.flag} {p}{other} "
        f"(line {int(td.typed.index[p_row])}) for {_describe(pg.key, keys)}; "
        f"the tolerance is {allowed}"
    )


def _figures(decl: Declaration, td: TableData) -> dict[str, Tolerance]:
    """The figures alternatives are compared on: (mode, tolerance, unit label) by field."""
    out: dict[str, Tolerance] = {}
    for t in decl.get("tolerances"):
        mode = "relative" if "relative" in t else "absolute"
        if t["field"] in td.typed.columns and t["field"] in td.text.columns:
            out[t["field"]] = (mode, float(t[mode]), str(t.get("unit", "")))
    return out


def _disagreements(
    decl: Declaration, pg: PreferredGroups, figures: dict[str, Tolerance]
) -> list[Problem]:
    """``alternatives-agree`` for one table: each alternative row (in a judged group)
    beside its group's flagged row, figure by figure."""
    td = pg.td
    others = np.flatnonzero(pg.judged()[pg.gid] & ~pg.pref)
    a_pos, p_pos = pg.pos[others], pg.pos[pg.pref_pos[others]]
    lines = td.typed.index.to_numpy(dtype=np.int64)[a_pos]
    del others

    def flags(name: str, tol: Tolerance) -> np.ndarray:
        def beyond(rows: slice) -> np.ndarray:
            return Disagreement.of(td, name, tol, a_pos[rows], p_pos[rows]).bad

        return in_chunks(len(a_pos), beyond)

    frame = flag_frame(lines, {name: flags(name, tol) for name, tol in figures.items()})
    bad = failing_lines(frame, {name: flagged(name) for name in figures})
    del frame
    problems: list[Problem] = []
    for name, tol in figures.items():
        at = positions_of(lines, bad[name])
        # the failing pairs again, for the messages
        dis = Disagreement.of(td, name, tol, a_pos[at], p_pos[at])
        for j, (line, i) in enumerate(zip(bad[name], at, strict=True)):
            rows = (int(a_pos[i]), int(p_pos[i]))
            message = _disagreement_message(pg, name, tol, dis, j, rows)
            if decl.message:
                message += f"; {decl.message}"
            problems.append(problem(decl.code, message, td, line, name, severity=decl.severity))
    return problems


@implements("alternatives-agree")
def alternatives_agree(ctx: Context, decl: Declaration) -> list[Problem]:
    """Alternative rows should agree with the flagged row within a tolerance.

    Within each group of alternatives (see ``one-flagged``) with exactly one flagged row,
    every other row's declared figures are compared with the flagged row's, exactly on
    the printed decimals (7.5 vs 7.6 is within 0.1). The message names both rows' sources
    and values.
    """
    pg = preferred_groups(ctx, decl)
    figures = _figures(decl, pg.td) if pg is not None else {}
    if pg is None or not figures:
        return []
    return _disagreements(decl, pg, figures)
