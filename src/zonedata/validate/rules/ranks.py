"""Rank claims against the preferred values they rank."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.declarations import Declaration
from zonedata.validate.rules._base import (
    Context,
    failing_lines,
    implements,
    known,
    line_frame,
    merge_keep_index,
    passes,
    problem,
    records,
)
from zonedata.validate.tabledata import TableData


@dataclass(frozen=True)
class Ranking:
    """A table of rank claims and the table of values it ranks (``rank-interval``).

    ``claims`` rows (``entity``, ``period``, ``low``, ``high``) rank an entity among
    the entities of ``values`` of the same period; with a ``scope``, only among those whose
    ``scope`` (read from ``scope_table`` by entity) equals the claim's own ``scope``.
    """

    claims: str
    values: str
    entity: str
    value: str
    what: str
    period: str
    low: str
    high: str
    flag: str
    scope: str | None = None
    scope_table: str | None = None

    @classmethod
    def of(cls, decl: Declaration) -> Ranking:
        return cls(
            claims=decl.get("table"),
            values=decl.get("values"),
            entity=decl.get("entity"),
            value=decl.get("value"),
            what=decl.get("what"),
            period=decl.get("period"),
            low=decl.get("min"),
            high=decl.get("max"),
            flag=decl.get("flag"),
            scope=decl.get("scope"),
            scope_table=decl.get("scope_table"),
        )


def _ranked_values(ctx: Context, rk: Ranking, claims: pd.DataFrame) -> pd.DataFrame | None:
    """One row per (entity, year, scope) with its preferred value and its possible ranks.

    ``_greater`` counts the entities of the same year and scope with a strictly greater
    value; ``_ge`` those with a greater or equal value, itself included. With ties the
    entity can be ranked anywhere from ``_greater + 1`` to ``_ge``.
    """
    vt = ctx.table(rk.values, rk.entity, rk.period, rk.value, rk.flag)
    if vt is None:
        return None
    values = line_frame(vt, [rk.entity, rk.period, rk.value, rk.flag], text=[rk.value])
    values = values[known(values[rk.flag])]
    values = values.dropna(subset=[rk.entity, rk.period, rk.value])
    values = values.sort_index().drop_duplicates([rk.entity, rk.period])
    values = values.drop(columns=rk.flag).rename(columns={"_line": "_value_line"})
    if rk.scope is None:
        values["_scope"] = ""
        peers = values
    else:
        if rk.scope_table is None:
            return None
        st = ctx.table(rk.scope_table, rk.entity, rk.scope)
        if st is None:
            return None
        scopes = st.typed[[rk.entity, rk.scope]].dropna().drop_duplicates(rk.entity)
        in_scope = values.merge(scopes, on=rk.entity, how="inner").rename(
            columns={rk.scope: "_scope"}
        )
        # The subjects themselves rank within the scope their claim names, even if the
        # scope table puts them elsewhere.
        subjects = claims[[rk.entity, rk.period, "_scope"]].drop_duplicates()
        subjects = subjects.merge(values, on=[rk.entity, rk.period], how="inner")
        peers = pd.concat([in_scope, subjects], ignore_index=True)
        peers = peers.drop_duplicates([rk.entity, rk.period, "_scope"])
    peers = peers.reset_index(drop=True)
    grouped = peers.groupby([rk.period, "_scope"])[rk.value]
    peers["_greater"] = grouped.rank(method="min", ascending=False).astype("Int64") - 1
    peers["_ge"] = grouped.rank(method="max", ascending=False).astype("Int64")
    return peers


def _reversed_intervals(
    decl: Declaration, rk: Ranking, ct: TableData, claims: pd.DataFrame
) -> tuple[pd.Index, list[Problem]]:
    """The ``interval`` output: the lines of the claims whose low bound exceeds the high
    one, and their problems."""
    code, severity, message = decl.output("interval") or (decl.code, decl.severity, "")
    advice = message or f"give the best possible rank in {rk.low} and the worst in {rk.high}"

    def interval(d: pd.DataFrame) -> pd.Series:
        return ~known(d[rk.low] > d[rk.high])

    reversed_ = failing_lines(claims, {code: interval})[code]
    problems = [
        problem(
            code,
            f"{rk.low} {r[rk.low]} is greater than {rk.high} {r[rk.high]}; {advice}",
            ct,
            line,
            rk.low,
            severity=severity,
        )
        for line, r in records(claims, reversed_)
    ]
    return reversed_, problems


def _contradictions(
    ctx: Context,
    decl: Declaration,
    rk: Ranking,
    ct: TableData,
    claims: pd.DataFrame,
    peers: pd.DataFrame,
) -> list[Problem]:
    """The claims that more entities exceed than they allow."""
    joined = merge_keep_index(claims, peers, on=[rk.entity, rk.period, "_scope"], how="inner")

    def consistent(d: pd.DataFrame) -> pd.Series:
        return passes(d["_greater"] + 1 <= d[rk.high])

    lines = failing_lines(joined, {decl.code: consistent})[decl.code]
    if len(lines) == 0:
        return []
    # Entities in descending order of value within each (year, scope): the ones that
    # exceed a subject are the first ``_greater`` of its group.
    ranked = peers.sort_values([rk.period, "_scope", rk.value], ascending=[True, True, False])
    ranked = ranked.reset_index(drop=True)
    starts = ranked.reset_index().groupby([rk.period, "_scope"])["index"].min().to_dict()
    entities = ranked[rk.entity].tolist()
    texts = ranked[f"{rk.value}__text"].tolist()
    vpath = ctx.data[rk.values].display_path
    problems: list[Problem] = []
    for line, r in records(joined, lines):
        greater = r.integer("_greater")
        start = int(starts[(r[rk.period], r["_scope"])])
        stop = start + min(greater, 6)
        names = [f"{e} {t}" for e, t in zip(entities[start:stop], texts[start:stop], strict=True)]
        if greater > len(names):
            names[-1:] = [f"{greater - len(names) + 1} more"]
        among = f"{rk.what} of {r['_scope']}" if rk.scope else rk.what
        lo, hi = r[rk.low], r[rk.high]
        span = f"{hi} or better" if r.missing(rk.low) else str(hi) if lo == hi else f"{lo}–{hi}"
        advice = f"; {decl.message}" if decl.message else ""
        problems.append(
            problem(
                decl.code,
                f"{r[rk.entity]} is claimed to rank {span} among the {among} in "
                f"{r[rk.period]}, but its {rk.flag} {rk.value} {r[f'{rk.value}__text']} "
                f"({vpath} line {r.integer('_value_line')}) is exceeded by "
                f"{', '.join(names)}, so it ranks {greater + 1} at best{advice}",
                ct,
                line,
                rk.high,
                severity=decl.severity,
            )
        )
    return problems


@implements("rank-interval")
def rank_interval(ctx: Context, decl: Declaration) -> list[Problem]:
    """Rank claims must be well-formed intervals and agree with the flagged values.

    A claim whose low bound exceeds its high one is the ``interval`` output. A claim
    that an entity ranks between the bounds in a period is compared with the flagged
    values of that period (within the claim's scope, if declared): if G entities have a
    strictly greater value, the entity ranks G + 1 at best (ties can be ordered either
    way), so the claim is contradicted when G + 1 > the high bound. Only claims whose
    subject has a flagged value are checked; the opposite bound is not (the values may
    hold only some of the ranked entities).
    """
    rk = Ranking.of(decl)
    cols = [rk.entity, rk.period, rk.low, rk.high] + ([rk.scope] if rk.scope else [])
    ct = ctx.table(rk.claims, *cols)
    if ct is None:
        return []
    claims = line_frame(ct, cols).dropna(subset=[rk.entity, rk.period])
    claims["_scope"] = claims[rk.scope] if rk.scope else ""
    claims = claims.dropna(subset=["_scope"])
    reversed_, problems = _reversed_intervals(decl, rk, ct, claims)
    claims = claims.drop(index=reversed_).dropna(subset=[rk.high])
    peers = _ranked_values(ctx, rk, claims)
    if peers is not None:
        problems.extend(_contradictions(ctx, decl, rk, ct, claims, peers))
    return problems
