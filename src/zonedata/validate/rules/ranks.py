"""Rank claims against the preferred values they rank."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.rules._base import (
    Context,
    failing_lines,
    known,
    line_frame,
    merge_keep_index,
    passes,
    problem,
    records,
    rule,
)
from zonedata.validate.tabledata import TableData


@dataclass(frozen=True)
class Ranking:
    """A table of rank claims and the table of values it ranks.

    ``claims`` rows (``entity``, ``year``, ``rank_min``, ``rank_max``) rank an entity among
    the entities of ``values`` of the same year; with a ``scope``, only among those whose
    ``scope`` (read from ``scope_table`` by entity) equals the claim's own ``scope``.
    """

    claims: str
    values: str
    entity: str
    value: str
    what: str
    scope: str | None = None
    scope_table: str | None = None


RANKINGS = (
    Ranking("province_gdp_ranks", "province_gdp", "province_id", "gdp_cny_bn", "provinces"),
    Ranking(
        "city_gdp_ranks",
        "city_gdp",
        "city_id",
        "gdp_cny_bn",
        "cities",
        scope="province_id",
        scope_table="cities",
    ),
)


def _ranked_values(ctx: Context, rk: Ranking, claims: pd.DataFrame) -> pd.DataFrame | None:
    """One row per (entity, year, scope) with its preferred value and its possible ranks.

    ``_greater`` counts the entities of the same year and scope with a strictly greater
    value; ``_ge`` those with a greater or equal value, itself included. With ties the
    entity can be ranked anywhere from ``_greater + 1`` to ``_ge``.
    """
    vt = ctx.table(rk.values, rk.entity, "year", rk.value, "preferred")
    if vt is None:
        return None
    values = line_frame(vt, [rk.entity, "year", rk.value, "preferred"], text=[rk.value])
    values = values[known(values["preferred"])]
    values = values.dropna(subset=[rk.entity, "year", rk.value])
    values = values.sort_index().drop_duplicates([rk.entity, "year"])
    values = values.drop(columns="preferred").rename(columns={"_line": "_value_line"})
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
        subjects = claims[[rk.entity, "year", "_scope"]].drop_duplicates()
        subjects = subjects.merge(values, on=[rk.entity, "year"], how="inner")
        peers = pd.concat([in_scope, subjects], ignore_index=True)
        peers = peers.drop_duplicates([rk.entity, "year", "_scope"])
    peers = peers.reset_index(drop=True)
    grouped = peers.groupby(["year", "_scope"])[rk.value]
    peers["_greater"] = grouped.rank(method="min", ascending=False).astype("Int64") - 1
    peers["_ge"] = grouped.rank(method="max", ascending=False).astype("Int64")
    return peers


def _reversed_intervals(ct: TableData, claims: pd.DataFrame) -> tuple[pd.Index, list[Problem]]:
    """``rank-interval``: the lines of the claims whose rank_min exceeds rank_max, and
    their problems."""

    def interval(d: pd.DataFrame) -> pd.Series:
        return ~known(d["rank_min"] > d["rank_max"])

    reversed_ = failing_lines(claims, {"rank-interval": interval})["rank-interval"]
    problems = [
        problem(
            "rank-interval",
            f"rank_min {r['rank_min']} is greater than rank_max {r['rank_max']}; "
            "give the best possible rank in rank_min and the worst in rank_max",
            ct,
            line,
            "rank_min",
        )
        for line, r in records(claims, reversed_)
    ]
    return reversed_, problems


def _contradictions(
    ctx: Context, rk: Ranking, ct: TableData, claims: pd.DataFrame, peers: pd.DataFrame
) -> list[Problem]:
    """``rank-contradicts-values``: the claims that more entities exceed than they allow."""
    joined = merge_keep_index(claims, peers, on=[rk.entity, "year", "_scope"], how="inner")

    def consistent(d: pd.DataFrame) -> pd.Series:
        return passes(d["_greater"] + 1 <= d["rank_max"])

    bad = failing_lines(joined, {"rank-contradicts-values": consistent})
    lines = bad["rank-contradicts-values"]
    if len(lines) == 0:
        return []
    # Entities in descending order of value within each (year, scope): the ones that
    # exceed a subject are the first ``_greater`` of its group.
    ranked = peers.sort_values(["year", "_scope", rk.value], ascending=[True, True, False])
    ranked = ranked.reset_index(drop=True)
    starts = ranked.reset_index().groupby(["year", "_scope"])["index"].min().to_dict()
    entities = ranked[rk.entity].tolist()
    texts = ranked[f"{rk.value}__text"].tolist()
    vpath = ctx.data[rk.values].display_path
    problems: list[Problem] = []
    for line, r in records(joined, lines):
        greater = r.integer("_greater")
        start = int(starts[(r["year"], r["_scope"])])
        stop = start + min(greater, 6)
        names = [f"{e} {t}" for e, t in zip(entities[start:stop], texts[start:stop], strict=True)]
        if greater > len(names):
            names[-1:] = [f"{greater - len(names) + 1} more"]
        among = f"{rk.what} of {r['_scope']}" if rk.scope else rk.what
        lo, hi = r["rank_min"], r["rank_max"]
        span = f"{hi} or better" if r.missing("rank_min") else str(hi) if lo == hi else f"{lo}–{hi}"
        problems.append(
            problem(
                "rank-contradicts-values",
                f"{r[rk.entity]} is claimed to rank {span} among the {among} in "
                f"{r['year']}, but its preferred {rk.value} {r[f'{rk.value}__text']} "
                f"({vpath} line {r.integer('_value_line')}) is exceeded by "
                f"{', '.join(names)}, so it ranks {greater + 1} at best",
                ct,
                line,
                "rank_max",
            )
        )
    return problems


@rule("rank-claims", "rank-interval", "rank-contradicts-values")
def rank_claims(ctx: Context) -> list[Problem]:
    """Rank claims must be well-formed intervals and agree with the preferred values.

    ``rank-interval``: ``rank_min`` must not exceed ``rank_max``.

    ``rank-contradicts-values``: a claim that an entity ranks between ``rank_min`` and
    ``rank_max`` in a year (provinces nationally, from ``province_gdp``; cities within the
    claim's province, from ``city_gdp`` and ``cities.province_id``) is compared with the
    preferred values of that year. If G entities have a strictly greater value, the entity
    ranks G + 1 at best (ties can be ordered either way), so the claim is contradicted when
    G + 1 > rank_max. Only claims whose subject has a preferred value are checked.

    The opposite bound is deliberately not checked: the tables hold a subset of the ranked
    entities (not every province or city), so an entity ranking better in the data than
    ``rank_min`` may still rank ``rank_min`` or worse among all of them.
    """
    problems: list[Problem] = []
    for rk in RANKINGS:
        cols = [rk.entity, "year", "rank_min", "rank_max"] + ([rk.scope] if rk.scope else [])
        ct = ctx.table(rk.claims, *cols)
        if ct is None:
            continue
        claims = line_frame(ct, cols).dropna(subset=[rk.entity, "year"])
        claims["_scope"] = claims[rk.scope] if rk.scope else ""
        claims = claims.dropna(subset=["_scope"])
        reversed_, found = _reversed_intervals(ct, claims)
        problems.extend(found)
        claims = claims.drop(index=reversed_).dropna(subset=["rank_max"])
        peers = _ranked_values(ctx, rk, claims)
        if peers is not None:
            problems.extend(_contradictions(ctx, rk, ct, claims, peers))
    return problems
