"""The rule kinds a package can declare in ``zonedata:rules``, each registered once.

Each kind is the general form of a semantic rule: its parameters (tables, fields,
bounds...), what it catches and an example declaration; docs/validation.md is generated
from this registry (:mod:`zonedata.docs.rules`), and so is the JSON Schema of the
declarations (:mod:`zonedata.validate.declaration_schema`). The implementation of each
kind is in :mod:`zonedata.validate.rules` (registered there with ``implements``).
Figures' rounding tolerances come from the digits printed in each cell, and partial
dates (``partialDate`` fields: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) are compared at
the coarser precision of the two.
"""

from __future__ import annotations

from zonedata.validate.kindspec import KINDS, KindSpec, Param, register_kind

__all__ = ["KINDS"]

_NUMBER = ("number", "integer")
_DATE = ("partial-date", "date", "string")

register_kind(
    KindSpec(
        "converted",
        "A figure converted from another at a rate looked up in a rates table that "
        "disagrees with that rate. The rate must lie in the interval the printed figures "
        "allow, [(from - h) / (to + h), (from + h) / (to - h)] with h half a unit in the "
        "last printed digit of each cell, widened by the rate's own half unit. Rows with a "
        "missing figure or rate id, or a rate id not in the rates table, are skipped.",
        (
            Param("table", "table", "the table holding both figures"),
            Param("from", "field", "the figure converted from", kinds=_NUMBER),
            Param("to", "field", "the converted figure, reported on", kinds=_NUMBER),
            Param("rate", "field", "the field naming the rate used (an id)"),
            Param("rates", "table", "the table of rates"),
            Param("rate_key", "field", "the rates' id field", of="rates"),
            Param(
                "rate_value", "field", "the rate, from units per to unit", of="rates", kinds=_NUMBER
            ),
            Param(
                "unit",
                "string",
                "the rate's unit in messages (default: the rate field's unit)",
                required=False,
            ),
        ),
        {
            "kind": "converted",
            "code": "price-eur-mismatch",
            "table": "prices",
            "from": "price_usd",
            "to": "price_eur",
            "rate": "rate_id",
            "rates": "rates",
            "rate_key": "rate_id",
            "rate_value": "usd_per_eur",
        },
        advice="check both figures and the rate",
    )
)

register_kind(
    KindSpec(
        "plausible-for-year",
        "A figure converted at an unnamed rate whose implied rate (from / to) is outside "
        "the plausible range of its year: the interval the printed figures allow must meet "
        "the range of the row's year (with ``spread``, also the ranges of the years after "
        "it), widened by ``margin`` either side; other years, or rows without a year, use "
        "``fallback``. Rows that name a rate in ``rate`` are left to ``converted``.",
        (
            Param("table", "table", "the table holding both figures"),
            Param("from", "field", "the figure converted from", kinds=_NUMBER),
            Param("to", "field", "the converted figure, reported on", kinds=_NUMBER),
            Param(
                "year",
                "field",
                "the year the figure is about",
                required=False,
                kinds=("integer", "year"),
            ),
            Param("rate", "field", "a rate id: rows that give one are skipped", required=False),
            Param("ranges", "year-ranges", "the plausible range of the rate, per year"),
            Param("fallback", "interval", "the range for other years"),
            Param(
                "margin", "number", "relative widening of every range (0.03 = 3%)", required=False
            ),
            Param(
                "spread",
                "integer",
                "following years whose range also counts (default 0)",
                required=False,
            ),
            Param("label", "string", "what the ranges are, in messages", required=False),
            Param("unit", "string", "the rate's unit, in messages", required=False),
        ),
        {
            "kind": "plausible-for-year",
            "code": "price-eur-implausible",
            "table": "prices",
            "from": "price_usd",
            "to": "price_eur",
            "year": "year",
            "rate": "rate_id",
            "ranges": [{"year": 2023, "low": 0.89, "high": 0.96}],
            "fallback": [0.6, 1.2],
            "margin": 0.03,
            "label": "EUR/USD",
            "unit": "EUR/USD",
        },
        advice="correct the figure",
    )
)

register_kind(
    KindSpec(
        "quotient",
        "A figure that is not the quotient of two others to its printed digits: "
        "|field - numerator / denominator| must be at most half a unit in the last printed "
        "digit of the field (a cross rate computed from two published rates).",
        (
            Param("table", "table", "the table"),
            Param("field", "field", "the quotient, reported on", kinds=_NUMBER),
            Param("numerator", "field", "the numerator", kinds=_NUMBER),
            Param("denominator", "field", "the denominator", kinds=_NUMBER),
        ),
        {
            "kind": "quotient",
            "code": "cross-rate-mismatch",
            "table": "rates",
            "field": "gbp_per_eur",
            "numerator": "usd_per_eur",
            "denominator": "usd_per_gbp",
        },
    )
)

register_kind(
    KindSpec(
        "range",
        "A value outside its bounds: outside [min, max] (inclusive) is the declared code "
        "(an error unless declared otherwise); within them but outside the ``warning`` "
        "band, the band's code (a warning unless declared otherwise). The message names "
        "the field, its value and the ``context`` field's value.",
        (
            Param("table", "table", "the table"),
            Param("fields", "fields", "the fields checked", kinds=_NUMBER),
            Param("min", "number", "the lowest acceptable value"),
            Param("max", "number", "the highest acceptable value"),
            Param(
                "warning",
                "band",
                "a narrower band {min, max, code, message}: values outside it are warned about",
                required=False,
            ),
            Param("context", "field", "a field whose value the message shows", required=False),
            Param(
                "context_label",
                "string",
                "how the message names it (default: its name)",
                required=False,
            ),
            Param(
                "unit",
                "string",
                "the values' unit in messages (default: the field's unit)",
                required=False,
            ),
        ),
        {
            "kind": "range",
            "code": "share-out-of-range",
            "table": "answers",
            "fields": ["share_pct"],
            "min": 0,
            "max": 100,
            "message": "a share is a percentage from 0 to 100",
        },
    )
)

register_kind(
    KindSpec(
        "rank-interval",
        "A rank claim (an entity ranks ``min`` to ``max`` in a period) that is reversed "
        "(``min`` > ``max``: the ``interval`` output) or that the values it ranks "
        "contradict: with G entities of the same period (and scope) whose flagged value is "
        "strictly greater, the entity ranks G + 1 at best, so G + 1 > max is reported. The "
        "other bound is not checked (the values may cover only some of the entities).",
        (
            Param("table", "table", "the table of rank claims"),
            Param("entity", "field", "the ranked entity (same name in both tables)"),
            Param("period", "field", "the period ranked in (same name in both tables)"),
            Param("min", "field", "the best rank claimed", kinds=_NUMBER),
            Param("max", "field", "the worst rank claimed", kinds=_NUMBER),
            Param("values", "table", "the table of the values ranked"),
            Param("value", "field", "the value ranked", of="values", kinds=_NUMBER),
            Param(
                "flag",
                "field",
                "a boolean field of the values: only flagged rows count",
                of="values",
                kinds=("boolean",),
            ),
            Param("what", "string", "what the entities are, in messages (plural)"),
            Param(
                "scope", "field", "rank only among entities of the claim's scope", required=False
            ),
            Param("scope_table", "table", "the table giving each entity's scope", required=False),
            Param("interval", "output", "the code of a reversed interval {code, message}"),
        ),
        {
            "kind": "rank-interval",
            "code": "rank-contradicts-prices",
            "table": "ranks",
            "entity": "product_id",
            "period": "year",
            "min": "rank_min",
            "max": "rank_max",
            "values": "prices",
            "value": "price_usd",
            "flag": "preferred",
            "what": "products",
            "interval": {"code": "rank-reversed"},
        },
    )
)

register_kind(
    KindSpec(
        "not-in-future",
        "A date after today, in the ``date`` fields and ``partialDate`` fields of the "
        "tables (all tables unless ``tables`` is given). A partial date is compared at its "
        "own precision: ``2025-06`` is not in the future on 2025-06-01.",
        (Param("tables", "tables", "the tables checked (default: all)", required=False),),
        {"kind": "not-in-future", "code": "date-in-future"},
        advice="facts are about the past, so this is probably a typo",
    )
)

#: the parameters of a table of dated events, shared by the kinds that read one
_EVENTS = (
    Param("table", "table", "the table of events"),
    Param("entity", "field", "the entity the events are about"),
    Param("event", "field", "the event's name"),
    Param("date", "field", "the event's date", kinds=_DATE),
)
#: the optional boolean field that says which rows count
_FLAG = Param(
    "flag", "field", "a boolean field: only flagged rows count", required=False, kinds=("boolean",)
)

register_kind(
    KindSpec(
        "dates-in-order",
        "An event dated before the ``first`` event of the same entity, in a table of "
        "dated events: each flagged ``then`` event must not be before the entity's flagged "
        "``first`` event, compared at the coarser precision of the two partial dates. "
        "Reported on the later event's row, naming the first event's row.",
        (
            *_EVENTS,
            Param("first", "string", "the event that comes first"),
            Param(
                "first_label", "string", "how messages name it (default: its value)", required=False
            ),
            Param("then", "strings", "the events that cannot come before it"),
            _FLAG,
            Param("source", "field", "a field the message shows (the source)", required=False),
            Param("label", "string", "what the entity is, in messages", required=False),
        ),
        {
            "kind": "dates-in-order",
            "code": "shipped-before-ordered",
            "table": "events",
            "entity": "order_id",
            "event": "event",
            "date": "date",
            "first": "ordered",
            "then": ["shipped", "delivered"],
            "label": "order",
        },
    )
)

register_kind(
    KindSpec(
        "batches-in-order",
        "Dates in order across tables: each entity belongs to a numbered batch of a group "
        "(``batch`` and ``group`` in the ``groups`` table), and the flagged ``events`` "
        "dates of batch n+1 (the next batch number present in the group) must not be "
        "before any of batch n, compared at the coarser precision of the two. In the "
        "message, ``{groups}`` stands for the groups table's file.",
        (
            *_EVENTS,
            Param("events", "strings", "the events that date a batch"),
            _FLAG,
            Param(
                "groups",
                "table",
                "the table giving each entity's group and batch (its "
                "entity field has the same name)",
            ),
            Param("group", "field", "the group", of="groups"),
            Param("batch", "field", "the batch number", of="groups", kinds=("integer",)),
            Param("label", "string", "what the entity is, in messages", required=False),
        ),
        {
            "kind": "batches-in-order",
            "code": "wave-order",
            "table": "events",
            "entity": "site_id",
            "event": "event",
            "date": "date",
            "events": ["opened"],
            "groups": "sites",
            "group": "region",
            "batch": "wave",
            "label": "site",
            "message": "check the dates and the wave numbers in {groups}",
        },
        advice="check the dates and the batch numbers in {groups}",
    )
)

register_kind(
    KindSpec(
        "has-rows-in",
        "A row with no row in another table: every value of ``field`` must appear in "
        "``in``'s ``in_field`` (default: the same name), e.g. every zone has a host city.",
        (
            Param("table", "table", "the table whose rows need one"),
            Param("field", "field", "the key, reported on"),
            Param("in", "table", "the table that must have a row"),
            Param(
                "in_field", "field", "the key there (default: ``field``)", of="in", required=False
            ),
            Param("label", "string", "what a row is, in messages", required=False),
        ),
        {
            "kind": "has-rows-in",
            "code": "order-without-lines",
            "table": "orders",
            "field": "order_id",
            "in": "order_lines",
            "label": "order",
        },
        advice="add the rows it needs",
    )
)

register_kind(
    KindSpec(
        "cited",
        "A row nothing refers to: every key of the table must be cited by some row, through "
        "the single-field foreign keys of the package's tables that point at it. The rule "
        "does not run when a table is known to be missing (its file could not be read), as "
        "its rows might cite the keys that would look unused.",
        (
            Param("table", "table", "the table whose rows must be cited"),
            Param("label", "string", "what a row is, in messages", required=False),
        ),
        {
            "kind": "cited",
            "code": "source-unused",
            "severity": "warning",
            "table": "sources",
            "label": "source",
        },
        severity="warning",
        advice="cite it from the rows it supports, or remove it",
    )
)

register_kind(
    KindSpec(
        "one-flagged",
        "A group of rows without exactly one flagged row: rows with the same ``group`` "
        "values are alternatives for one fact, and exactly one has ``flag`` true. A group "
        "with none is reported on its first line; one with several, on each flagged row "
        "after the first. Groups with an unreadable flag are left to the schema layer.",
        (
            Param("table", "table", "the table"),
            Param("flag", "field", "the boolean flag", kinds=("boolean",)),
            Param("group", "fields", "the fields that identify a group"),
            Param("source", "field", "a field the message names (the source)", required=False),
        ),
        {
            "kind": "one-flagged",
            "code": "preferred-count",
            "table": "prices",
            "flag": "preferred",
            "group": ["product_id", "year"],
            "source": "source_id",
        },
    )
)

register_kind(
    KindSpec(
        "alternatives-agree",
        "An alternative row (see ``one-flagged``; groups with exactly one flagged row) "
        "whose figure differs from the flagged row's by more than its tolerance: "
        "``relative`` r means |a - p| > r x |p|, ``absolute`` t means |a - p| > t, exact on "
        "the printed decimals. Tolerances are 1/k for a whole number k.",
        (
            Param("table", "table", "the table"),
            Param("flag", "field", "the boolean flag", kinds=("boolean",)),
            Param("group", "fields", "the fields that identify a group"),
            Param(
                "tolerances",
                "tolerances",
                "[{field, relative | absolute, unit?}]: the "
                "figures compared (``unit``: how an absolute difference is named)",
            ),
            Param("source", "field", "a field the message names (the source)", required=False),
        ),
        {
            "kind": "alternatives-agree",
            "code": "sources-disagree",
            "severity": "warning",
            "table": "prices",
            "flag": "preferred",
            "group": ["product_id", "year"],
            "tolerances": [{"field": "price_usd", "relative": 0.01}],
        },
        severity="warning",
    )
)

register_kind(
    KindSpec(
        "no-formula",
        "A text cell a spreadsheet would run as a formula (CSV injection): one starting "
        "with =, +, - or @, with a tab or carriage return, or with whitespace and then one "
        "of =, +, - or @. Every cell of the text-like fields (type ``string`` other than "
        "partial dates, and type ``any``) of the tables is checked, as the file gives it, "
        "and so is every field name (reported on line 1).",
        (Param("tables", "tables", "the tables checked (default: all)", required=False),),
        {"kind": "no-formula", "code": "formula-cell"},
        advice="reword it so that it starts with another character",
    )
)
