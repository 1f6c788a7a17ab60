"""Date rules: nothing in the future, approvals before what follows them, batches in order."""

from __future__ import annotations

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.rules._base import (
    PRECISIONS,
    Context,
    SeriesCheck,
    after_partial,
    cell_text,
    coarser_precision,
    compare_coarser,
    failing_cells,
    failing_lines,
    known,
    line_frame,
    merge_keep_index,
    partial_dates,
    passes,
    problem,
    records,
    rule,
)

ZONES = "zones"
ZONE_DATES = "zone_dates"
#: The event that must come first.
APPROVED = "approved"
#: Events that cannot come before the zone's approval.
AFTER_APPROVAL = ("announced", "launched", "inaugurated")
#: Events that date a zone's batch (its approval, or its announcement where that is all
#: that is known).
BATCH_EVENTS = ("approved", "announced")


def _not_future_partial(today: str) -> SeriesCheck:
    def check(s: pd.Series) -> pd.Series:
        return ~after_partial(s, today)

    return check


def _not_future_date(today: str) -> SeriesCheck:
    limit = pd.Timestamp(today)

    def check(s: pd.Series) -> pd.Series:
        return ~known(pd.to_datetime(s) > limit)

    return check


@rule("date-in-future")
def date_in_future(ctx: Context) -> list[Problem]:
    """No date may lie after today.

    Every ``partialDate`` field is compared with today at the value's own precision: a
    year is in the future only if it is after this year, a month only if it is after this
    month (``2025-06`` is not in the future on 2025-06-01), a day only if after today.
    ``date`` fields are compared by day.
    """
    today = ctx.today.isoformat()
    problems: list[Problem] = []
    for td in ctx.data.values():
        checks: dict[str, dict[str, SeriesCheck]] = {}
        for f in td.table.fields:
            if f.name not in td.typed.columns:
                continue
            if f.kind == "partial-date":
                checks[f.name] = {"date-in-future": _not_future_partial(today)}
            elif f.kind == "date":
                checks[f.name] = {"date-in-future": _not_future_date(today)}
        if not checks:
            continue
        failures = failing_cells(td.typed[list(checks)], checks)
        for field, lines in failures.get("date-in-future", []):
            for line in lines:
                value = cell_text(td, line, field) or ""
                precision = PRECISIONS.get(len(value), "day")
                problems.append(
                    problem(
                        "date-in-future",
                        f"{field} {value} is in the future: today is {today} (compared by "
                        f"{precision}); facts are about the past, so this is probably a typo",
                        td,
                        line,
                        field,
                    )
                )
    return problems


def _preferred_dates(td: pd.DataFrame) -> pd.DataFrame:
    return td[known(td["preferred"])].dropna(subset=["zone_id", "event"])


@rule("date-order")
def date_order(ctx: Context) -> list[Problem]:
    """A zone's approval comes no later than its announcement, launch or inauguration.

    For each zone, the preferred ``approved`` date in ``zone_dates`` is compared with each
    preferred ``announced``/``launched``/``inaugurated`` date at the coarser precision of
    the two (``2019-05`` vs ``2019-05-21`` is in order; ``2019-06`` vs ``2019-05-21`` is
    not). The problem is reported on the later event's row and names the approval row.
    """
    zd = ctx.table(ZONE_DATES, "zone_id", "event", "date", "preferred")
    if zd is None:
        return []
    has_src = "source_id" in zd.typed.columns
    frame = line_frame(zd, ["zone_id", "event", "date", "preferred"])
    frame["_source"] = zd.typed["source_id"] if has_src else pd.NA
    frame["date"] = partial_dates(frame["date"])
    frame = _preferred_dates(frame).dropna(subset=["date"])
    approvals = frame[known(frame["event"] == APPROVED)].sort_index().drop_duplicates("zone_id")
    approvals = approvals[["zone_id", "date", "_line", "_source"]].rename(
        columns={"date": "_a_date", "_line": "_a_line", "_source": "_a_source"}
    )
    later = frame[known(frame["event"].isin(AFTER_APPROVAL))]
    pairs = merge_keep_index(later, approvals, on="zone_id", how="inner")

    def in_order(d: pd.DataFrame) -> pd.Series:
        return passes(compare_coarser(d["_a_date"], d["date"]) <= 0)

    problems: list[Problem] = []
    for line, r in records(pairs, failing_lines(pairs, {"date-order": in_order})["date-order"]):
        src = f" (source {r['_source']})" if not r.missing("_source") else ""
        asrc = f", source {r['_a_source']}" if not r.missing("_a_source") else ""
        problems.append(
            problem(
                "date-order",
                f"zone {r['zone_id']}: {r['event']} {r['date']}{src} is before its approval "
                f"{r['_a_date']} (line {r.integer('_a_line')}{asrc}), compared by "
                f"{coarser_precision(r.text('date'), r.text('_a_date'))}; a zone is approved no later "
                "than it is announced, launched or inaugurated",
                zd,
                line,
                "date",
            )
        )
    return problems


@rule("batch-order")
def batch_order(ctx: Context) -> list[Problem]:
    """Within a programme, a later batch is not dated before an earlier batch.

    Each zone's preferred ``approved``/``announced`` dates in ``zone_dates`` date its batch
    (``zones.batch``; zones without a batch are skipped). Every such date of batch n+1 (the
    next batch number present in the programme) must not be before any such date of batch
    n, compared pairwise at the coarser precision of the two: equivalently, the earliest
    date of batch n+1 is not before the latest of batch n. The problem is reported on each
    offending date of the later batch and names the earlier batch's latest date.
    """
    zd = ctx.table(ZONE_DATES, "zone_id", "event", "date", "preferred")
    zones = ctx.table(ZONES, "zone_id", "programme_id", "batch")
    if zd is None or zones is None:
        return []
    frame = line_frame(zd, ["zone_id", "event", "date", "preferred"])
    frame["date"] = partial_dates(frame["date"])
    frame = _preferred_dates(frame).dropna(subset=["date"])
    frame = frame[known(frame["event"].isin(BATCH_EVENTS))]
    zone_batch = (
        zones.typed[["zone_id", "programme_id", "batch"]].dropna().drop_duplicates("zone_id")
    )
    rows = merge_keep_index(frame, zone_batch, on="zone_id", how="inner")

    # The previous batch number present in each programme.
    batches = rows[["programme_id", "batch"]].drop_duplicates()
    batches = batches.sort_values(["programme_id", "batch"])
    batches["_prev"] = batches.groupby("programme_id")["batch"].shift(1)
    rows = merge_keep_index(rows, batches, on=["programme_id", "batch"], how="left")

    # A date a is before some date b of the previous batch (at the coarser precision of the
    # two) exactly when it is before the batch's lexicographically latest date M: if
    # b[:p] > a[:p], then M >= b differs from a upwards within both strings. So each row
    # is compared with one row per batch, without a cross join.
    latest = rows.sort_values(["programme_id", "batch", "date", "_line"])
    latest = latest.drop_duplicates(["programme_id", "batch"], keep="last")
    latest = latest[["programme_id", "batch", "zone_id", "event", "date", "_line"]].rename(
        columns={
            "batch": "_prev",
            "zone_id": "_p_zone",
            "event": "_p_event",
            "date": "_p_date",
            "_line": "_p_line",
        }
    )
    rows = merge_keep_index(rows, latest, on=["programme_id", "_prev"], how="left")

    def in_order(d: pd.DataFrame) -> pd.Series:
        return ~known(compare_coarser(d["date"], d["_p_date"]) < 0)

    problems: list[Problem] = []
    for line, r in records(rows, failing_lines(rows, {"batch-order": in_order})["batch-order"]):
        problems.append(
            problem(
                "batch-order",
                f"zone {r['zone_id']} of {r['programme_id']} batch {r.integer('batch')}: "
                f"{r['event']} {r['date']} is before {r['_p_event']} {r['_p_date']} of zone "
                f"{r['_p_zone']} in the earlier batch {r.integer('_prev')} (line "
                f"{r.integer('_p_line')}), compared by {coarser_precision(r.text('date'), r.text('_p_date'))}; "
                f"check the dates and the batch numbers in {zones.display_path}",
                zd,
                line,
                "date",
            )
        )
    return problems
