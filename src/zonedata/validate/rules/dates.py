"""Date rules: nothing in the future (``not-in-future``), a first event before what follows
it (``dates-in-order``), batches in date order (``batches-in-order``)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from zonedata.problems import Problem
from zonedata.validate.declarations import Declaration
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
    implements,
    known,
    line_frame,
    merge_keep_index,
    partial_dates,
    passes,
    problem,
    records,
    tables_of,
)
from zonedata.validate.tabledata import TableData


def _not_future_partial(today: str) -> SeriesCheck:
    def check(s: pd.Series) -> pd.Series:
        return ~after_partial(s, today)

    return check


def _not_future_date(today: str) -> SeriesCheck:
    limit = pd.Timestamp(today)

    def check(s: pd.Series) -> pd.Series:
        return ~known(pd.to_datetime(s) > limit)

    return check


@implements("not-in-future")
def not_in_future(ctx: Context, decl: Declaration) -> list[Problem]:
    """No date may lie after today.

    Every ``partialDate`` field is compared with today at the value's own precision: a
    year is in the future only if it is after this year, a month only if it is after this
    month (``2025-06`` is not in the future on 2025-06-01), a day only if after today.
    ``date`` fields are compared by day.
    """
    today = ctx.today.isoformat()
    problems: list[Problem] = []
    for td in tables_of(ctx, decl):
        checks: dict[str, dict[str, SeriesCheck]] = {}
        for f in td.table.fields:
            if f.name not in td.typed.columns:
                continue
            if f.kind == "partial-date":
                checks[f.name] = {decl.code: _not_future_partial(today)}
            elif f.kind == "date":
                checks[f.name] = {decl.code: _not_future_date(today)}
        if not checks:
            continue
        failures = failing_cells(td.typed[list(checks)], checks)
        for field, lines in failures.get(decl.code, []):
            for line in lines:
                value = cell_text(td, line, field) or ""
                precision = PRECISIONS.get(len(value), "day")
                problems.append(
                    problem(
                        decl.code,
                        f"{field} {value} is in the future: today is {today} (compared by "
                        f"{precision})" + (f"; {decl.message}" if decl.message else ""),
                        td,
                        line,
                        field,
                        severity=decl.severity,
                    )
                )
    return problems


@dataclass(frozen=True)
class Events:
    """A table of dated events (``dates-in-order``, ``batches-in-order``)."""

    table: str
    entity: str
    event: str
    date: str
    flag: str | None
    label: str

    @classmethod
    def of(cls, decl: Declaration) -> Events:
        return cls(
            table=decl.get("table"),
            entity=decl.get("entity"),
            event=decl.get("event"),
            date=decl.get("date"),
            flag=decl.get("flag"),
            label=decl.get("label", decl.get("entity")),
        )

    @property
    def columns(self) -> list[str]:
        return [self.entity, self.event, self.date] + ([self.flag] if self.flag else [])

    def dated(self, td: TableData) -> pd.DataFrame:
        """The flagged events with a well-formed partial date, as a frame by line."""
        frame = line_frame(td, self.columns)
        frame[self.date] = partial_dates(frame[self.date])
        if self.flag:
            frame = frame[known(frame[self.flag])]
        return frame.dropna(subset=[self.entity, self.event]).dropna(subset=[self.date])


@implements("dates-in-order")
def dates_in_order(ctx: Context, decl: Declaration) -> list[Problem]:
    """An entity's ``first`` event comes no later than its ``then`` events.

    For each entity, its (first flagged) ``first`` event's date is compared with each
    flagged ``then`` event's date at the coarser precision of the two (``2019-05`` vs
    ``2019-05-21`` is in order; ``2019-06`` vs ``2019-05-21`` is not). The problem is
    reported on the later event's row and names the first event's row.
    """
    ev = Events.of(decl)
    events = ctx.table(ev.table, *ev.columns)
    if events is None:
        return []
    source = decl.get("source")
    frame = ev.dated(events)
    frame["_source"] = events.typed[source] if source in events.typed.columns else pd.NA
    first = decl.get("first")
    firsts = frame[known(frame[ev.event] == first)].sort_index().drop_duplicates(ev.entity)
    firsts = firsts[[ev.entity, ev.date, "_line", "_source"]].rename(
        columns={ev.date: "_a_date", "_line": "_a_line", "_source": "_a_source"}
    )
    later = frame[known(frame[ev.event].isin(decl.get("then")))]
    pairs = merge_keep_index(later, firsts, on=ev.entity, how="inner")

    def in_order(d: pd.DataFrame) -> pd.Series:
        return passes(compare_coarser(d["_a_date"], d[ev.date]) <= 0)

    problems: list[Problem] = []
    for line, r in records(pairs, failing_lines(pairs, {decl.code: in_order})[decl.code]):
        src = f" (source {r['_source']})" if not r.missing("_source") else ""
        asrc = f", source {r['_a_source']}" if not r.missing("_a_source") else ""
        compared = coarser_precision(r.text(ev.date), r.text("_a_date"))
        problems.append(
            problem(
                decl.code,
                f"{ev.label} {r[ev.entity]}: {r[ev.event]} {r[ev.date]}{src} is before its "
                f"{decl.get('first_label', first)} {r['_a_date']} (line {r.integer('_a_line')}{asrc}), compared by "
                f"{compared}" + (f"; {decl.message}" if decl.message else ""),
                events,
                line,
                ev.date,
                severity=decl.severity,
            )
        )
    return problems


@implements("batches-in-order")
def batches_in_order(ctx: Context, decl: Declaration) -> list[Problem]:
    """Within a group, a later batch is not dated before an earlier batch.

    Each entity's flagged ``events`` date its batch (``batch`` in the ``groups`` table;
    entities without a batch are skipped). Every such date of batch n+1 (the next batch
    number present in the group) must not be before any such date of batch n, compared
    pairwise at the coarser precision of the two: equivalently, the earliest date of
    batch n+1 is not before the latest of batch n. The problem is reported on each
    offending date of the later batch and names the earlier batch's latest date.
    """
    ev = Events.of(decl)
    group, batch = decl.get("group"), decl.get("batch")
    events = ctx.table(ev.table, *ev.columns)
    groups = ctx.table(decl.get("groups"), ev.entity, group, batch)
    if events is None or groups is None:
        return []
    frame = ev.dated(events)
    frame = frame[known(frame[ev.event].isin(decl.get("events")))]
    batch_of = groups.typed[[ev.entity, group, batch]].dropna().drop_duplicates(ev.entity)
    rows = merge_keep_index(frame, batch_of, on=ev.entity, how="inner")
    rows = _with_previous_batch(rows, ev, group, batch)

    def in_order(d: pd.DataFrame) -> pd.Series:
        return ~known(compare_coarser(d[ev.date], d["_p_date"]) < 0)

    advice = decl.message.replace("{groups}", groups.display_path)
    problems: list[Problem] = []
    for line, r in records(rows, failing_lines(rows, {decl.code: in_order})[decl.code]):
        compared = coarser_precision(r.text(ev.date), r.text("_p_date"))
        problems.append(
            problem(
                decl.code,
                f"{ev.label} {r[ev.entity]} of {r[group]} {batch} {r.integer(batch)}: "
                f"{r[ev.event]} {r[ev.date]} is before {r['_p_event']} {r['_p_date']} of "
                f"{ev.label} {r['_p_entity']} in the earlier {batch} {r.integer('_prev')} (line "
                f"{r.integer('_p_line')}), compared by {compared}"
                + (f"; {advice}" if advice else ""),
                events,
                line,
                ev.date,
                severity=decl.severity,
            )
        )
    return problems


def _with_previous_batch(rows: pd.DataFrame, ev: Events, group: str, batch: str) -> pd.DataFrame:
    """``rows`` with the previous batch number present in its group (``_prev``) and that
    batch's latest date (``_p_date``, with its entity, event and line)."""
    batches = rows[[group, batch]].drop_duplicates()
    batches = batches.sort_values([group, batch])
    batches["_prev"] = batches.groupby(group)[batch].shift(1)
    rows = merge_keep_index(rows, batches, on=[group, batch], how="left")

    # A date a is before some date b of the previous batch (at the coarser precision of the
    # two) exactly when it is before the batch's lexicographically latest date M: if
    # b[:p] > a[:p], then M >= b differs from a upwards within both strings. So each row
    # is compared with one row per batch, without a cross join.
    latest = rows.sort_values([group, batch, ev.date, "_line"])
    latest = latest.drop_duplicates([group, batch], keep="last")
    latest = latest[[group, batch, ev.entity, ev.event, ev.date, "_line"]].rename(
        columns={
            batch: "_prev",
            ev.entity: "_p_entity",
            ev.event: "_p_event",
            ev.date: "_p_date",
            "_line": "_p_line",
        }
    )
    return merge_keep_index(rows, latest, on=[group, "_prev"], how="left")
