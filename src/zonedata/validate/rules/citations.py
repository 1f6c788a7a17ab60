"""Cross-table rules: hosts, citations, preferred rows and disagreeing sources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from zonedata.validate.problems import Problem
from zonedata.validate.rules._base import (
    Context,
    bool_array,
    failing_lines,
    fmt_num,
    join_limited,
    known,
    line_frame,
    member_of,
    problem,
    records,
    rule,
    source_fields,
)
from zonedata.validate.tabledata import TableData

ZONES = "zones"
ZONE_CITIES = "zone_cities"
SOURCES = "sources"
PREFERRED = "preferred"

#: Tolerances for ``source-disagreement``, by the unit of the figure: ("relative", r)
#: means |a - p| > r x |p| disagrees; ("absolute", t) means |a - p| > t disagrees.
DISAGREEMENT_TOLERANCE: dict[str, tuple[str, float]] = {
    "billion CNY": ("relative", 0.005),
    "percent": ("absolute", 0.1),
}


@rule("zone-without-city")
def zone_without_city(ctx: Context) -> list[Problem]:
    """Every zone has at least one host city: each ``zones`` row needs a ``zone_cities`` row."""
    zones = ctx.table(ZONES, "zone_id")
    hosts = ctx.table(ZONE_CITIES, "zone_id")
    if zones is None or hosts is None:
        return []
    hosted = hosts.typed["zone_id"]
    frame = line_frame(zones, ["zone_id"]).dropna(subset=["zone_id"])

    def has_city(d: pd.DataFrame) -> pd.Series:
        return member_of(d["zone_id"], hosted)

    return [
        problem(
            "zone-without-city",
            f"zone {frame.at[line, 'zone_id']!s} has no row in {hosts.display_path}; add the "
            "city (or cities) hosting it, with the source that says so",
            zones,
            line,
            "zone_id",
        )
        for line in failing_lines(frame, {"zone-without-city": has_city})["zone-without-city"]
    ]


@rule("source-unused")
def source_unused(ctx: Context) -> list[Problem]:
    """Every source is cited by at least one row (a warning).

    The citing fields are all foreign keys to ``sources`` in the descriptor
    (``source_id``, ``evidence_source_id``, ...). The rule does not run when a table is
    known to be missing from the data (its file could not be read; known from the
    package's table list when the caller gives it, else from the foreign keys of the
    tables that were read), as its rows might cite the sources that would look unused.
    """
    src = ctx.data.get(SOURCES)
    if src is None or ctx.missing_tables():
        return []
    citing = [
        (td, fk.fields[0], fk.reference_fields[0])
        for td in ctx.data.values()
        for fk in td.table.foreign_keys
        if fk.resource == SOURCES and len(fk.fields) == 1 and len(fk.reference_fields) == 1
    ]
    if not citing or any(field not in td.typed.columns for td, field, _ in citing):
        return []
    keys = {key for _, _, key in citing}
    key = keys.pop()
    if keys or ctx.table(SOURCES, key) is None:
        return []
    used = pd.concat([td.typed[field].dropna() for td, field, _ in citing], ignore_index=True)
    frame = line_frame(src, [key]).dropna(subset=[key])

    def is_cited(d: pd.DataFrame) -> pd.Series:
        return member_of(d[key], used)

    return [
        problem(
            "source-unused",
            f"source {frame.at[line, key]!s} is cited by no row (checked the {len(citing)} "
            "fields that reference sources); cite it from the rows it supports, or remove it",
            src,
            line,
            key,
        )
        for line in failing_lines(frame, {"source-unused": is_cited})["source-unused"]
    ]


@dataclass
class PreferredGroups:
    """A table with a ``preferred`` flag, grouped by its primary key minus the source."""

    td: TableData
    key: list[str]
    source: str | None
    frame: pd.DataFrame
    #: for each row of ``frame``, its group's number
    gid: np.ndarray
    #: for each row of ``frame``, the position (in ``frame``) of its group's first
    #: preferred row, or -1 when the group has none
    pref_pos: np.ndarray
    #: per group: its preferred rows, and its rows
    n_pref: np.ndarray
    n: np.ndarray

    def at(self, lines: pd.Index) -> np.ndarray:
        """The positions in ``frame`` of the rows at ``lines``."""
        return np.asarray(self.frame.index.get_indexer(lines), dtype=np.int64)


def preferred_groups(ctx: Context, td: TableData) -> PreferredGroups | None:
    """:func:`_preferred_groups`, computed once per run and table."""
    key = ("preferred_groups", td.name)
    if key not in ctx.cache:
        ctx.cache[key] = _preferred_groups(td)
    cached: PreferredGroups | None = ctx.cache[key]
    return cached


def _preferred_groups(td: TableData) -> PreferredGroups | None:
    """Group ``td``'s rows by their key without the source, with per-group counts.

    Rows with a missing key cell are left out. One grouping gives each row a group
    number; the counts are numpy ``bincount`` s over it, kept per group (only the flags
    the checks need are columns of the frame, a million rows being a lot of columns).
    Columns added: ``_p`` (row preferred), ``_judged`` (its group has exactly one
    preferred row and no unreadable ``preferred`` cell), ``_none_first`` (its group has
    no preferred row and no unreadable cell, and this is the group's first line) and
    ``_extra`` (the row is preferred, but not the group's first preferred row).
    """
    names = td.table.field_names
    if PREFERRED not in names or td.table.field(PREFERRED).kind != "boolean":
        return None
    srcs = [s for s in source_fields(td.table) if s in td.typed.columns]
    key = [k for k in td.table.primary_key if k not in source_fields(td.table)]
    if not key or any(k not in td.typed.columns for k in key) or PREFERRED not in td.typed:
        return None
    source = srcs[0] if srcs else None
    frame = line_frame(
        td, key + [PREFERRED] + ([source] if source else []), positions=True, complete=key
    )
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
    gid = frame.groupby(key, sort=False).ngroup().to_numpy(dtype=np.int64)
    groups = int(gid.max()) + 1 if len(gid) else 0
    pref = bool_array(frame[PREFERRED], False)
    na = frame[PREFERRED].isna().to_numpy(dtype=bool)
    rows = np.arange(len(frame), dtype=np.int64)
    n_pref = np.bincount(gid, weights=pref, minlength=groups).astype(np.int64)
    any_na = np.bincount(gid, weights=na, minlength=groups) > 0
    # rows are in line order, so the smallest row number of a group is its first line
    first = np.full(groups, len(frame), dtype=np.int64)
    np.minimum.at(first, gid, rows)
    first_pref = np.full(groups, -1, dtype=np.int64)
    if pref.any():
        lowest = np.full(groups, len(frame), dtype=np.int64)
        np.minimum.at(lowest, gid[pref], rows[pref])
        first_pref = np.where(n_pref > 0, lowest, -1)
    pref_pos = first_pref[gid]
    frame["_p"] = pref
    frame["_judged"] = ((n_pref == 1) & ~any_na)[gid]
    frame["_none_first"] = ((n_pref == 0) & ~any_na)[gid] & (first[gid] == rows)
    frame["_extra"] = pref & (pref_pos != rows)
    return PreferredGroups(
        td=td,
        key=key,
        source=source,
        frame=frame,
        gid=gid,
        pref_pos=pref_pos,
        n_pref=n_pref,
        n=np.bincount(gid, minlength=groups),
    )


def _describe(key: list[str], row: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {row[k]}" for k in key)


def _key_tuple(key: list[str], row: Mapping[str, Any]) -> tuple[object, ...]:
    return tuple(row[k] for k in key)


@rule("preferred-count")
def preferred_count(ctx: Context) -> list[Problem]:
    """Exactly one row of each group of alternatives is preferred.

    In every table with a boolean ``preferred`` field, rows with the same primary key
    apart from the source (e.g. ``city_gdp``: city_id + year; ``zone_dates``: zone_id +
    event) are alternatives for one fact. A group with no preferred row is reported on its
    first line; a group with several, on each preferred row after the first. Groups with
    an unreadable ``preferred`` cell are left to the schema layer.
    """
    problems: list[Problem] = []
    for td in ctx.data.values():
        pg = preferred_groups(ctx, td)
        if pg is None:
            continue
        f = pg.frame

        def has_one(d: pd.DataFrame) -> pd.Series:
            return ~known(d["_none_first"])

        def not_extra(d: pd.DataFrame) -> pd.Series:
            return ~known(d["_extra"])

        bad = failing_lines(f, {"none": has_one, "extra": not_extra})
        src = pg.source
        if len(bad["none"]):
            members = f[pg.n_pref[pg.gid] == 0]
            groups = {(k if isinstance(k, tuple) else (k,)): g for k, g in members.groupby(pg.key)}
            at = pg.at(bad["none"])
            for (line, r), row in zip(records(f, bad["none"]), at, strict=True):
                g = groups[_key_tuple(pg.key, r)]
                who = (
                    f"sources {join_limited(g[src].astype(str))}"
                    if src
                    else f"lines {join_limited(g['_line'].astype(str))}"
                )
                problems.append(
                    problem(
                        "preferred-count",
                        f"none of the {int(pg.n[pg.gid[row]])} rows for "
                        f"{_describe(pg.key, r)} is preferred ({who}); mark exactly one of "
                        "them preferred=true",
                        td,
                        line,
                        PREFERRED,
                    )
                )
        at = pg.at(bad["extra"])
        for (line, r), row in zip(records(f, bad["extra"]), at, strict=True):
            first = int(f.index[pg.pref_pos[row]])
            this_src = f" (source {r[src]})" if src else ""
            first_src = f", source {f.at[first, src]!s}" if src else ""
            problems.append(
                problem(
                    "preferred-count",
                    f"{int(pg.n_pref[pg.gid[row]])} rows for {_describe(pg.key, r)} are "
                    f"preferred; only one may be: this row{this_src} is preferred as well as "
                    f"line {first}{first_src}",
                    td,
                    line,
                    PREFERRED,
                )
            )
    return problems


def _column(td: TableData, name: str, pos: np.ndarray) -> ExtensionArray:
    """Column ``name`` of ``td`` at row positions ``pos``: the typed value, or the cell's
    printed decimals for ``<field>__dec``."""
    dec = name.endswith("__dec")
    series = td.decimals(name.removesuffix("__dec")) if dec else td.typed[name]
    return cast(ExtensionArray, series.array.take(pos))


def _inverse(tol: float) -> int:
    """k with tol = 1/k exactly, so that tolerances compare in integers."""
    k = round(1 / tol)
    if abs(k * tol - 1) > 1e-12:
        raise ValueError(f"tolerance {tol} is not 1/k for an integer k")
    return k


def _scaled(value: pd.Series, scale: pd.Series) -> pd.Series:
    """``value`` x ``scale`` rounded to an integer (exact for figures printed with <= d decimals)."""
    return (value.astype("Float64") * scale).round()


@rule("source-disagreement")
def source_disagreement(ctx: Context) -> list[Problem]:
    """Alternative rows should agree with the preferred row within a tolerance.

    Within each group of alternatives (see ``preferred-count``) with exactly one preferred
    row, every other row's figures are compared with the preferred row's: figures in
    ``billion CNY`` may differ by at most 0.5% of the preferred value, ``percent`` figures
    (growth) by at most 0.1 percentage points. The comparison is exact on the printed
    decimals (7.5 vs 7.6 is within 0.1). Other units are not compared. This is a warning:
    both rows are kept on purpose; the message names both sources and values.
    """
    problems: list[Problem] = []
    for td in ctx.data.values():
        pg = preferred_groups(ctx, td)
        if pg is None:
            continue
        figures = {
            f.name: DISAGREEMENT_TOLERANCE[f.unit]
            for f in td.table.fields
            if f.kind == "number"
            and f.unit in DISAGREEMENT_TOLERANCE
            and f.name in td.typed.columns
            and f.name in td.text.columns
        }
        if not figures:
            continue
        f = pg.frame
        # each alternative row (in a judged group) beside its group's preferred row
        others = np.flatnonzero(f["_judged"].to_numpy(dtype=bool) & ~f["_p"].to_numpy(dtype=bool))
        pos = f["_pos"].to_numpy()
        a_pos, p_pos = pos[others], pos[pg.pref_pos[others]]
        # only what the checks need: the texts, sources and keys are read for the
        # messages, from the failing rows alone
        columns: dict[str, Any] = {"_a_pos": a_pos, "_p_pos": p_pos}
        for name in figures:
            for col in (name, f"{name}__dec"):
                columns[col] = _column(td, col, a_pos)
                columns[f"_pref_{col}"] = _column(td, col, p_pos)
        pairs = pd.DataFrame(columns, index=f.index.take(others))
        checks = {}
        for name, (mode, tol) in figures.items():
            da = pairs[f"{name}__dec"].astype("Float64")
            dp = pairs[f"_pref_{name}__dec"].astype("Float64")
            d = da.where(da >= dp, dp)
            scale = 10.0**d
            a_units, p_units = _scaled(pairs[name], scale), _scaled(pairs[f"_pref_{name}"], scale)
            diff = (a_units - p_units).abs()
            pairs[f"_diff_{name}"] = diff / scale
            # In integer units of the last printed digit, with tol = 1 / k:
            # relative: |a - p| > tol x |p|  <=>  diff x k > |p_units|;
            # absolute: |a - p| > tol        <=>  diff x k > scale.
            k = _inverse(tol)
            limit = p_units.abs() if mode == "relative" else scale
            pairs[f"_bad_{name}"] = diff * k > limit

            def agrees(d: pd.DataFrame, name: str = name) -> pd.Series:
                return ~known(d[f"_bad_{name}"])

            checks[name] = agrees
        bad = failing_lines(pairs, checks)
        src = pg.source
        for name, (mode, tol) in figures.items():
            for line, r in records(pairs, bad[name]):
                a_row, p_row = int(r["_a_pos"]), int(r["_p_pos"])
                a, p = td.text[name].iat[a_row], td.text[name].iat[p_row]
                if mode == "relative":
                    pv = float(r[f"_pref_{name}"])
                    by = f"{fmt_num(100 * float(r[f'_diff_{name}']) / abs(pv), 2)}%"
                    allowed = f"{tol:.1%}"
                else:
                    unit = td.table.field(name).unit
                    points = "percentage points" if unit == "percent" else str(unit)
                    by = f"{fmt_num(float(r[f'_diff_{name}']))} {points}"
                    allowed = f"{tol:g} {points}"
                this = f" from {td.typed[src].iat[a_row]}" if src else ""
                other = f" from {td.typed[src].iat[p_row]}" if src else ""
                keys = {k: td.typed[k].iat[a_row] for k in pg.key}
                problems.append(
                    problem(
                        "source-disagreement",
                        f"{name} {a}{this} differs by {by} from the preferred {p}{other} "
                        f"(line {int(td.typed.index[p_row])}) for {_describe(pg.key, keys)}; "
                        f"the tolerance is {allowed}",
                        td,
                        line,
                        name,
                    )
                )
    return problems
