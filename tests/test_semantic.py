"""Layer 4: the semantic rules, on the canonical data and on deliberately broken copies."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import (
    copy_package,
    line_of,
    load_package,
    with_cells,
    with_rows,
    without_rows,
)

from zonedata.descriptor.package import Package, read_package
from zonedata.problems import RULES, Problem
from zonedata.validate.declarations import Declaration, declarations
from zonedata.validate.kinds import KINDS
from zonedata.validate.rules import IMPLEMENTATIONS, Context
from zonedata.validate.rules.currency import Bands
from zonedata.validate.semantic import check_semantics, run_rule
from zonedata.validate.tabledata import TableData

TODAY = datetime.date(2026, 12, 15)

Data = dict[str, TableData]


@pytest.fixture(scope="module")
def canonical() -> tuple[Package, Data]:
    return load_package()


@pytest.fixture
def data(canonical: tuple[Package, Data]) -> Data:
    return dict(canonical[1])


#: The bundled package: its declarations are the rules that run.
PACKAGE = read_package()
#: The declarations of the bundled package.
DECLARED = declarations(PACKAGE)


def run(data: Data, **kw: object) -> list[Problem]:
    kw.setdefault("today", TODAY)
    kw.setdefault("package", PACKAGE)
    return check_semantics(data, **kw)  # type: ignore[arg-type]


def run_rules(data: Data, *codes: str) -> list[Problem]:
    """Run only the declarations of the given codes (for boundary tests that need no full
    run), as a caller that does not know the package's table list would."""
    ctx = Context(data, TODAY)
    return [p for d in DECLARED if d.code in codes for p in run_rule(d, ctx)]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def where(
    problems: list[Problem], code: str | None = None
) -> list[tuple[str, str | None, int | None, str | None]]:
    """(code, table, line, field) of the problems, optionally of one code."""
    return sorted(
        (p.code, p.table, p.line, p.field) for p in problems if code is None or p.code == code
    )


# ---------------------------------------------------------------------------------------
# The registry and the canonical data


def test_every_kind_is_implemented_and_documented() -> None:
    assert set(IMPLEMENTATIONS) == set(KINDS)
    for name, spec in KINDS.items():
        assert len(spec.catches) > 40, name
        assert len((IMPLEMENTATIONS[name].__doc__ or "").strip()) > 40, name


def test_the_bundled_package_declares_every_semantic_code() -> None:
    declared = {d.code for d in DECLARED}
    declared |= {out[0] for d in DECLARED for n in ("warning", "interval") if (out := d.output(n))}
    semantic_codes = {code for code, rule in RULES.items() if rule.layer == "semantic"}
    assert declared == semantic_codes


def known_warnings(data: Data) -> list[tuple[str, str, int, str]]:
    """The canonical data's source disagreements: early estimates beside bureau figures, and
    China Daily's estimate for Guangzhou beside the bureau's figure (as HKTDC attributes it)."""
    gdp, growth = data["city_gdp"], data["city_growth"]
    return sorted(
        [
            *(
                ("source-disagreement", "city_gdp", line_of(gdp, **key), "gdp_cny_bn")
                for key in (
                    {"city_id": "guangzhou", "source_id": "chinadaily-2019-02-12"},
                    {"city_id": "shenzhen", "source_id": "chinadaily-2019-02-12"},
                    {"city_id": "shenzhen", "source_id": "equalocean-2019-10-19"},
                )
            ),
            (
                "source-disagreement",
                "city_growth",
                line_of(growth, city_id="guangzhou", source_id="chinadaily-2019-02-12"),
                "growth_pct",
            ),
        ]
    )


def test_canonical_data_has_no_errors_and_the_known_warnings(data: Data) -> None:
    problems = run(data)
    assert errors(problems) == []
    assert where(problems) == known_warnings(data)
    # The default "today" (the real date) gives the same result.
    assert where(check_semantics(data, package=PACKAGE)) == where(problems)
    # Without a package (so without declarations) no rule runs.
    assert check_semantics(data) == []


def test_canonical_data_with_package_table_list(canonical: tuple[Package, Data]) -> None:
    pkg, data = canonical
    assert errors(run(dict(data), package=pkg)) == []


def test_problems_carry_location_and_value(data: Data) -> None:
    line = line_of(data["city_gdp"], city_id="shenzhen", source_id="chinadaily-2019-02-12")
    p = next(p for p in run(data) if p.table == "city_gdp" and p.line == line)
    assert p.path == "data/city_gdp.csv"
    assert p.field_number == 4
    assert p.value == "2400"
    assert p.severity == "warning"


# ---------------------------------------------------------------------------------------
# usd-cny-mismatch, usd-cny-implausible, ecb-cross-rate-mismatch

S1_USD = [
    ("city_gdp", {"city_id": "qingdao", "source_id": "equalocean-2019-10-19"}, "gdp_usd_bn"),
    ("city_gdp", {"city_id": "jinan", "source_id": "equalocean-2019-10-19"}, "gdp_usd_bn"),
    ("city_gdp", {"city_id": "shenzhen", "source_id": "equalocean-2019-10-19"}, "gdp_usd_bn"),
    ("targets", {"city_id": "shanghai", "source_id": "ecns-2019-05-22"}, "value_usd_bn"),
    ("targets", {"city_id": "shanghai", "source_id": "equalocean-2019-10-19"}, "value_usd_bn"),
]


@pytest.mark.parametrize(("table", "match", "field"), S1_USD)
def test_usd_figure_off_by_one_percent(
    data: Data, table: str, match: dict[str, str], field: str
) -> None:
    line = line_of(data[table], **match)
    old = float(data[table].text.at[line, field])
    new = f"{old * 1.01:.2f}"
    problems = run(with_cells(data, table, {(line, field): new}))
    assert where(errors(problems)) == [("usd-cny-mismatch", table, line, field)]
    p = errors(problems)[0]
    assert p.value == new
    assert "ecb-cross-2019-" in p.message and "given the printed digits" in p.message
    # One percent less fails too.
    lower = with_cells(data, table, {(line, field): f"{old * 0.99:.2f}"})
    assert where(run_rules(lower, "usd-cny-mismatch")) == [("usd-cny-mismatch", table, line, field)]


def test_usd_mismatch_message_names_rate_and_expected_figure(data: Data) -> None:
    line = line_of(data["city_gdp"], city_id="qingdao", source_id="equalocean-2019-10-19")
    problems = run(with_cells(data, "city_gdp", {(line, "gdp_usd_bn"): "171.17"}))
    (p,) = errors(problems)
    assert p.message == (
        "gdp_usd_bn 171.17 with gdp_cny_bn 1200.15 implies 7.0115 CNY/USD (7.0112–7.0117 "
        "given the printed digits), but rate ecb-cross-2019-10-15 (data/exchange_rates.csv "
        "line 6) is 7.0812, at which gdp_usd_bn would be 169.48; check both figures and the rate"
    )


def test_usd_mismatch_tolerates_last_digit_rounding(data: Data) -> None:
    # With 1200.15 CNY, the printed 169.48 USD allows rates 7.0811-7.0816 and 169.49 allows
    # 7.0807-7.0812, both meeting 7.0812; 169.47 (7.0816-7.0820) and 169.50 do not.
    line = line_of(data["city_gdp"], city_id="qingdao", source_id="equalocean-2019-10-19")
    assert not errors(run(with_cells(data, "city_gdp", {(line, "gdp_usd_bn"): "169.49"})))
    assert errors(run(with_cells(data, "city_gdp", {(line, "gdp_usd_bn"): "169.47"})))
    assert errors(run(with_cells(data, "city_gdp", {(line, "gdp_usd_bn"): "169.50"})))
    # The same figure printed with fewer digits allows a wider interval.
    assert not errors(run(with_cells(data, "city_gdp", {(line, "gdp_usd_bn"): "169.5"})))


def test_usd_mismatch_skips_rows_with_a_missing_rate(data: Data) -> None:
    # A dangling rate id is the foreign-key layer's problem, not this rule's.
    line = line_of(data["city_gdp"], city_id="qingdao", source_id="equalocean-2019-10-19")
    broken = with_cells(data, "city_gdp", {(line, "usd_rate_id"): "no-such-rate"})
    assert where(errors(run(broken))) == []


def test_usd_without_rate_implausible(data: Data) -> None:
    line = line_of(data["city_gdp"], city_id="shanghai", source_id="chinadaily-2019-02-12")
    problems = run(with_cells(data, "city_gdp", {(line, "gdp_usd_bn"): "386"}))
    assert where(errors(problems)) == [("usd-cny-implausible", "city_gdp", line, "gdp_usd_bn")]
    msg = errors(problems)[0].message
    assert "8.4715 CNY/USD" in msg and "2018" in msg and "usd_rate_id" in msg


def test_usd_without_rate_plausible_band() -> None:
    bands = Bands.of(next(d for d in DECLARED if d.code == "usd-cny-implausible"))
    plausible_band = bands.band
    low, high, note = plausible_band(2018)
    assert low == pytest.approx(6.24 * 0.97) and high == pytest.approx(7.19 * 1.03)
    assert "2018–2019" in note
    assert low < 3270 / 486 < high  # Shanghai 2018 passes
    note25 = plausible_band(2025)[2]
    assert "2025" in note25 and "2026" not in note25
    fb = plausible_band(2030)
    assert fb == plausible_band(None) == plausible_band(2014)
    assert fb[:2] == pytest.approx((6.0 * 0.97, 8.7 * 1.03))


def test_usd_without_rate_uses_target_year(data: Data) -> None:
    # Drop the rate of a target: 100/14.5 = 6.90 is plausible for 2020-2021 ...
    line = line_of(data["targets"], source_id="ecns-2019-05-22")
    broken = with_cells(data, "targets", {(line, "usd_rate_id"): None})
    assert errors(run(broken)) == []
    # ... 100/10.5 = 9.52 is not.
    broken = with_cells(broken, "targets", {(line, "value_usd_bn"): "10.5"})
    assert where(errors(run(broken))) == [("usd-cny-implausible", "targets", line, "value_usd_bn")]


def test_ecb_cross_rate_mismatch(data: Data) -> None:
    er = data["exchange_rates"]
    line = line_of(er, rate_id="ecb-cross-2019-10-15")
    # 7.7943 / 1.1017 = 7.0748, not 7.0812.
    problems = run(with_cells(data, "exchange_rates", {(line, "usd_per_eur"): "1.1017"}))
    assert where(errors(problems)) == [
        ("ecb-cross-rate-mismatch", "exchange_rates", line, "cny_per_usd")
    ]
    assert "7.0748" in errors(problems)[0].message


def test_ecb_cross_rate_is_checked_to_the_last_digit(data: Data) -> None:
    er = data["exchange_rates"]
    line = line_of(er, rate_id="ecb-cross-2019-05-21")  # 7.7081 / 1.1161 = 6.90628
    problems = run(with_cells(data, "exchange_rates", {(line, "cny_per_usd"): "6.9062"}))
    assert where(errors(problems)) == [
        ("ecb-cross-rate-mismatch", "exchange_rates", line, "cny_per_usd")
    ]


# ---------------------------------------------------------------------------------------
# Growth


def test_growth_55_is_an_error(data: Data) -> None:
    line = line_of(data["city_growth"], city_id="tianjin")
    problems = run(with_cells(data, "city_growth", {(line, "growth_pct"): "55"}))
    assert where(problems, "growth-out-of-range") == [
        ("growth-out-of-range", "city_growth", line, "growth_pct")
    ]
    assert where(problems, "growth-unexpected") == []
    p = errors(problems)[0]
    assert p.value == "55" and "chinadaily-2019-02-12" in p.message


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("30", ["growth-unexpected"]),
        ("30.1", ["growth-out-of-range"]),
        ("-20", ["growth-unexpected"]),
        ("-20.5", ["growth-out-of-range"]),
        ("-0.1", ["growth-unexpected"]),
        ("15", []),
        ("15.1", ["growth-unexpected"]),
        ("0", []),
    ],
)
def test_growth_thresholds(data: Data, value: str, codes: list[str]) -> None:
    line = line_of(data["city_growth"], city_id="tianjin")
    problems = run_rules(
        with_cells(data, "city_growth", {(line, "growth_pct"): value}),
        "growth-out-of-range",
        "growth-unexpected",
    )
    got = [p.code for p in problems]
    assert got == codes


def test_growth_from_a_broken_csv_copy(tmp_path: Path) -> None:
    base = copy_package(tmp_path)
    path = base / "data" / "city_growth.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "tianjin,2018,chinadaily-2019-02-12,3.6,", "tianjin,2018,chinadaily-2019-02-12,55,"
        ),
        encoding="utf-8",
    )
    _, data = load_package(base)
    line = line_of(data["city_growth"], city_id="tianjin")
    assert where(errors(run(data))) == [("growth-out-of-range", "city_growth", line, "growth_pct")]


# ---------------------------------------------------------------------------------------
# Ranks


def test_rank_interval_reversed(data: Data) -> None:
    line = line_of(data["city_gdp_ranks"], city_id="jinan")
    problems = run(with_cells(data, "city_gdp_ranks", {(line, "rank_min"): "3"}))
    assert where(errors(problems)) == [("rank-interval", "city_gdp_ranks", line, "rank_min")]


def test_city_rank_contradicts_values(data: Data) -> None:
    # Jinan (785.656) cannot be first in Shandong: Qingdao (1200.15) is greater.
    line = line_of(data["city_gdp_ranks"], city_id="jinan")
    problems = run(with_cells(data, "city_gdp_ranks", {(line, "rank_max"): "1"}))
    assert where(errors(problems)) == [
        ("rank-contradicts-values", "city_gdp_ranks", line, "rank_max")
    ]
    msg = errors(problems)[0].message
    gdp_line = line_of(data["city_gdp"], city_id="jinan", source_id="jinan-daily-2019-04-17")
    assert msg == (
        "jinan is claimed to rank 1 among the cities of shandong in 2018, but its preferred "
        f"gdp_cny_bn 785.656 (data/city_gdp.csv line {gdp_line}) is exceeded by qingdao 1200.15, so it "
        "ranks 2 at best"
    )


def test_province_rank_contradicts_values(data: Data) -> None:
    pr = data["province_gdp_ranks"]
    line = line_of(pr, source_id="whatchina-2018-provinces")
    broken = with_cells(
        data, "province_gdp_ranks", {(line, "rank_min"): "1", (line, "rank_max"): "2"}
    )
    assert where(errors(run(broken))) == [
        ("rank-contradicts-values", "province_gdp_ranks", line, "rank_max")
    ]


def test_rank_ties_allow_either_order(data: Data) -> None:
    # Shandong tied with Jiangsu (9260): ranks 2 or 3 are both consistent.
    gdp_line = line_of(data["province_gdp"], province_id="shandong")
    tied = with_cells(data, "province_gdp", {(gdp_line, "gdp_cny_bn"): "9260"})
    line = line_of(data["province_gdp_ranks"], source_id="whatchina-2018-provinces")
    for lo, hi in (("2", "2"), ("3", "3"), ("2", "3")):
        claim = with_cells(
            tied, "province_gdp_ranks", {(line, "rank_min"): lo, (line, "rank_max"): hi}
        )
        assert errors(run(claim)) == [], (lo, hi)
    claim = with_cells(
        tied, "province_gdp_ranks", {(line, "rank_min"): "1", (line, "rank_max"): "1"}
    )
    assert where(errors(run(claim))) == [
        ("rank-contradicts-values", "province_gdp_ranks", line, "rank_max")
    ]


def test_rank_needs_a_preferred_value_and_ignores_incomplete_lower_bounds(data: Data) -> None:
    # No GDP for Henan: nothing to contradict.
    broken = with_rows(
        data,
        "province_gdp_ranks",
        [
            {
                "province_id": "henan",
                "year": "2018",
                "source_id": "whatchina-2018-provinces",
                "rank_min": "1",
                "rank_max": "1",
            }
        ],
    )
    assert errors(run(broken)) == []
    # Shandong claimed 5th: only 3 provinces are in the data, so it is not contradicted.
    line = line_of(data["province_gdp_ranks"], source_id="whatchina-2018-provinces")
    broken = with_cells(
        data, "province_gdp_ranks", {(line, "rank_min"): "5", (line, "rank_max"): "5"}
    )
    assert errors(run(broken)) == []


# ---------------------------------------------------------------------------------------
# Dates


def test_future_date(data: Data) -> None:
    line = line_of(data["zone_dates"], zone_id="most-hefei")
    problems = run(with_cells(data, "zone_dates", {(line, "date"): "2027-03"}))
    assert where(errors(problems)) == [("date-in-future", "zone_dates", line, "date")]
    assert "2026-12-15" in errors(problems)[0].message


@pytest.mark.parametrize(
    ("value", "future"),
    [
        ("2026", False),
        ("2027", True),
        ("2026-12", False),
        ("2027-01", True),
        ("2026-12-15", False),
        ("2026-12-16", True),
        ("2025-12-31", False),
    ],
)
def test_future_date_compares_at_the_values_precision(data: Data, value: str, future: bool) -> None:
    line = line_of(data["sources"], source_id="zhengzhou-2021-12-01")
    problems = run_rules(
        with_cells(data, "sources", {(line, "published"): value}), "date-in-future"
    )
    expected = [("date-in-future", "sources", line, "published")] if future else []
    assert where(errors(problems)) == expected


def test_date_order(data: Data) -> None:
    zd = data["zone_dates"]
    approved = line_of(zd, zone_id="miit-shanghai-pudong", event="approved")
    launched = line_of(zd, zone_id="miit-shanghai-pudong", event="launched")
    # 2019-05 vs 2019-05-21 is in order (canonical); 2019-06 is after the launch.
    problems = run(with_cells(data, "zone_dates", {(approved, "date"): "2019-06"}))
    assert where(errors(problems)) == [("date-order", "zone_dates", launched, "date")]
    msg = errors(problems)[0].message
    assert f"line {approved}" in msg and "2019-06" in msg and "month" in msg


def test_date_order_inauguration_before_approval(data: Data) -> None:
    zd = data["zone_dates"]
    inaugurated = line_of(zd, zone_id="miit-jinan-qingdao", event="inaugurated")
    problems = run(with_cells(data, "zone_dates", {(inaugurated, "date"): "2019-10-13"}))
    assert where(errors(problems)) == [("date-order", "zone_dates", inaugurated, "date")]
    # Same day is fine; same month at month precision too.
    for ok in ("2019-10-14", "2019-10", "2019"):
        assert errors(run(with_cells(data, "zone_dates", {(inaugurated, "date"): ok}))) == []


def test_date_order_ignores_non_preferred_rows(data: Data) -> None:
    broken = with_rows(
        data,
        "zone_dates",
        [
            {
                "zone_id": "miit-jinan-qingdao",
                "event": "inaugurated",
                "source_id": "cabos-2021-02-20",
                "date": "2019-01",
                "preferred": "false",
                "confidence": "C",
            }
        ],
    )
    assert errors(run(broken)) == []


@pytest.mark.parametrize(
    ("value", "bad"), [("2019-09", True), ("2019-10", False), ("2019", False), ("2019-10-13", True)]
)
def test_batch_order(data: Data, value: str, bad: bool) -> None:
    # miit-beijing (batch 2) dated before batch 1's latest date, 2019-10-14.
    line = line_of(data["zone_dates"], zone_id="miit-beijing", event="announced")
    problems = run_rules(with_cells(data, "zone_dates", {(line, "date"): value}), "batch-order")
    expected = [("batch-order", "zone_dates", line, "date")] if bad else []
    assert where(errors(problems)) == expected
    if bad:
        msg = errors(problems)[0].message
        assert "batch 2" in msg and "2019-10-14" in msg and "batch 1" in msg


def test_batch_order_full_run(data: Data) -> None:
    line = line_of(data["zone_dates"], zone_id="miit-beijing", event="announced")
    problems = run(with_cells(data, "zone_dates", {(line, "date"): "2019-09"}))
    # (2019-09 is also before Beijing's approval of 2021-02-19: date-order reports that)
    assert where(errors(problems), "batch-order") == [("batch-order", "zone_dates", line, "date")]


def test_batch_order_compares_with_the_previous_batch_present(data: Data) -> None:
    # Renumber batch 2 as 5: batch 3 (2022-09) now follows 5 (2021-02-19)... and batch 5
    # follows 3, so batch 5's 2021 dates are before batch 3's 2022-09.
    zones = data["zones"]
    lines = [
        line_of(zones, zone_id=z)
        for z in (
            "miit-beijing",
            "miit-chengdu",
            "miit-guangzhou",
            "miit-hangzhou",
            "miit-tianjin-binhai",
        )
    ]
    broken = with_cells(data, "zones", {(ln, "batch"): "5" for ln in lines})
    got = where(errors(run(broken)))
    assert {code for code, *_ in got} == {"batch-order"}
    assert len(got) == 6  # the five zones' dates, Beijing's approval and announcement


# ---------------------------------------------------------------------------------------
# Cross-table rules


def test_zone_without_city(data: Data) -> None:
    zc = data["zone_cities"]
    broken = without_rows(data, "zone_cities", [line_of(zc, zone_id="miit-wuhan")])
    line = line_of(data["zones"], zone_id="miit-wuhan")
    problems = run(broken)
    assert where(errors(problems)) == [("zone-without-city", "zones", line, "zone_id")]
    assert "miit-wuhan" in errors(problems)[0].message


def test_source_unused(data: Data) -> None:
    src = data["sources"]
    new_line = int(src.text.index.max()) + 1
    broken = with_rows(
        data,
        "sources",
        [{"source_id": "orphan-2020", "title": "Nobody cites me", "language": "en"}],
    )
    problems = run(broken)
    assert errors(problems) == []
    assert where(problems, "source-unused") == [("source-unused", "sources", new_line, "source_id")]
    assert "orphan-2020" in next(p for p in problems if p.code == "source-unused").message


def test_source_unused_when_its_only_citing_row_goes(data: Data) -> None:
    src_line = line_of(data["sources"], source_id="nanfang-daily-2020-09-guangzhou-most")
    zd_line = line_of(data["zone_dates"], source_id="nanfang-daily-2020-09-guangzhou-most")
    broken = without_rows(data, "zone_dates", [zd_line])
    assert where(run(broken), "source-unused") == [
        ("source-unused", "sources", src_line, "source_id")
    ]


def test_source_unused_counts_evidence_sources(data: Data) -> None:
    # A source cited only as a claim's evidence_source_id is used.
    broken = with_rows(
        data, "sources", [{"source_id": "evidence-only", "title": "x", "language": "en"}]
    )
    line = line_of(broken["claims"], claim_id="s1-07-qingdao")
    broken = with_cells(broken, "claims", {(line, "evidence_source_id"): "evidence-only"})
    assert where(run(broken), "source-unused") == []


def test_source_unused_does_not_run_when_a_citing_table_is_missing(
    canonical: tuple[Package, Data], data: Data
) -> None:
    pkg, _ = canonical
    broken = with_rows(
        data, "sources", [{"source_id": "orphan-2020", "title": "x", "language": "en"}]
    )
    del broken["claims"]
    assert where(run(broken, package=pkg), "source-unused") == []
    # Without the package's table list the rule cannot know claims is missing.
    assert len(where(run_rules(broken, "source-unused"), "source-unused")) == 1
    # But it can when a table that was read refers to the missing one.
    del broken["zones"]
    assert where(run_rules(broken, "source-unused"), "source-unused") == []


def test_two_preferred_rows(data: Data) -> None:
    gdp = data["city_gdp"]
    first = line_of(gdp, city_id="qingdao", source_id="equalocean-2019-10-19")
    second = line_of(gdp, city_id="qingdao", source_id="eu-china-qingdao")
    problems = run(with_cells(data, "city_gdp", {(first, "preferred"): "true"}))
    assert where(errors(problems)) == [("preferred-count", "city_gdp", second, "preferred")]
    msg = errors(problems)[0].message
    assert f"line {first}" in msg and "eu-china-qingdao" in msg and "equalocean-2019-10-19" in msg


def test_no_preferred_row(data: Data) -> None:
    zd = data["zone_dates"]
    # the problem is reported on the group's first row (jschina sorts before netease)
    first = line_of(zd, zone_id="most-suzhou", source_id="jschina-2021-03-26")
    pref = line_of(zd, zone_id="most-suzhou", source_id="netease-2021-03-most-suzhou-changsha")
    problems = run(with_cells(data, "zone_dates", {(pref, "preferred"): "false"}))
    assert where(errors(problems)) == [("preferred-count", "zone_dates", first, "preferred")]
    msg = errors(problems)[0].message
    assert "zone_id most-suzhou, event approved" in msg
    assert "netease-2021-03-most-suzhou-changsha" in msg and "jschina-2021-03-26" in msg


def test_preferred_groups_skip_unreadable_flags(data: Data) -> None:
    gdp = data["city_gdp"]
    line = line_of(gdp, city_id="qingdao", source_id="eu-china-qingdao")
    assert errors(run(with_cells(data, "city_gdp", {(line, "preferred"): "yes"}))) == []


def test_source_disagreement_names_both_sources(data: Data) -> None:
    line = line_of(data["city_gdp"], city_id="shenzhen", source_id="chinadaily-2019-02-12")
    warnings = [p for p in run(data) if p.code == "source-disagreement" and p.line == line]
    pref = line_of(data["city_gdp"], city_id="shenzhen", source_id="qqzyw-2018-shenzhen-communique")
    assert warnings[0].message == (
        "gdp_cny_bn 2400 from chinadaily-2019-02-12 differs by 0.92% from the preferred "
        f"2422.198 from qqzyw-2018-shenzhen-communique (line {pref}) for city_id shenzhen, "
        "year 2018; the tolerance is 0.5%"
    )


def test_source_disagreement_growth(data: Data) -> None:
    growth = data["city_growth"]
    line = line_of(growth, city_id="qingdao", source_id="chinadaily-2019-02-27")
    # 7.5 vs the preferred 7.4 is within 0.1 points (canonical); 7.6 is not.
    problems = run(with_cells(data, "city_growth", {(line, "growth_pct"): "7.6"}))
    assert where(problems, "source-disagreement") == sorted(
        [*known_warnings(data), ("source-disagreement", "city_growth", line, "growth_pct")]
    )
    msg = next(p for p in problems if p.table == "city_growth" and p.line == line).message
    assert "chinadaily-2019-02-27" in msg and "equalocean-2019-10-19" in msg
    assert "0.2 percentage points" in msg and "tolerance is 0.1 percentage points" in msg
    # Exactly 0.1 apart with more printed digits: still within.
    problems = run(with_cells(data, "city_growth", {(line, "growth_pct"): "7.50"}))
    assert [p for p in problems if p.table == "city_growth" and p.line == line] == []


@pytest.mark.parametrize(
    ("other", "warn"), [("804", False), ("796", False), ("804.001", True), ("795.999", True)]
)
def test_source_disagreement_gdp_boundary(data: Data, other: str, warn: bool) -> None:
    gdp = data["city_gdp"]
    pref = line_of(gdp, city_id="jinan", source_id="jinan-daily-2019-04-17")
    alt = line_of(gdp, city_id="jinan", source_id="equalocean-2019-10-19")
    broken = with_cells(data, "city_gdp", {(pref, "gdp_cny_bn"): "800", (alt, "gdp_cny_bn"): other})
    got = [(p.table, p.line) for p in run_rules(broken, "source-disagreement")]
    assert (("city_gdp", alt) in got) == warn


# ---------------------------------------------------------------------------------------
# formula-cell


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1 more", "-5% growth", "@SUM(A1)"])
def test_formula_cell(data: Data, value: str) -> None:
    problems = run_rules(with_cells(data, "city_gdp", {(2, "note"): value}), "formula-cell")
    assert where(errors(problems)) == [("formula-cell", "city_gdp", 2, "note")]
    assert errors(problems)[0].value == value


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("\t=1+1", "\t="),
        ("\tplain text", "\tp"),
        ("\r@SUM(A1)", "\r@"),
        ("  +1 more", "  +"),
        ("\u3000=1+1", "\u3000="),
        ("\u00a0-5% growth", "\u00a0-"),
    ],
)
def test_formula_cell_after_leading_tab_cr_or_whitespace(
    data: Data, value: str, shown: str
) -> None:
    problems = run_rules(with_cells(data, "city_gdp", {(2, "note"): value}), "formula-cell")
    assert where(errors(problems)) == [("formula-cell", "city_gdp", 2, "note")]
    assert f"note starts with {shown!r}" in errors(problems)[0].message


@pytest.mark.parametrize("value", ["  plain text", "\u3000中文", "中文 = 1"])
def test_leading_whitespace_alone_is_no_formula(data: Data, value: str) -> None:
    assert run_rules(with_cells(data, "city_gdp", {(2, "note"): value}), "formula-cell") == []


def test_formula_cell_full_run(data: Data) -> None:
    line = line_of(data["claims"], claim_id="s1-02")
    problems = run(with_cells(data, "claims", {(line, "statement"): "=1+1"}))
    assert where(errors(problems)) == [("formula-cell", "claims", line, "statement")]


def test_formula_cell_only_at_the_start(data: Data) -> None:
    assert (
        run_rules(with_cells(data, "city_gdp", {(2, "note"): "a = b + c - d @ e"}), "formula-cell")
        == []
    )


# ---------------------------------------------------------------------------------------
# Robustness


def test_a_crashing_rule_becomes_one_internal_error(
    data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: Context, decl: Declaration) -> list[Problem]:
        raise ValueError("kaboom")

    monkeypatch.setitem(IMPLEMENTATIONS, "range", boom)
    decl = Declaration(0, "range", "boom-rule", "error", "", {"table": "city_growth"})
    problems = run_rule(decl, Context(data, TODAY))
    assert [(p.code, p.severity) for p in problems] == [("internal-error", "error")]
    assert "'boom-rule'" in problems[0].message and "kaboom" in problems[0].message


@pytest.mark.parametrize(
    "missing",
    [
        "exchange_rates",
        "cities",
        "city_gdp",
        "province_gdp",
        "zones",
        "zone_dates",
        "zone_cities",
        "sources",
    ],
)
def test_missing_tables_are_skipped(data: Data, missing: str) -> None:
    del data[missing]
    assert [p for p in run(data) if p.code == "internal-error"] == []


def test_missing_columns_empty_tables_and_unparsed_cells_are_skipped(data: Data) -> None:
    half = {}
    for name, td in data.items():
        keep = td.text.columns[::2]
        half[name] = TableData(td.table, td.path, td.display_path, td.text[keep], td.typed[keep])
    empty = {
        name: TableData(td.table, td.path, td.display_path, td.text.iloc[:0], td.typed.iloc[:0])
        for name, td in data.items()
    }
    unparsed = {
        name: TableData(
            td.table,
            td.path,
            td.display_path,
            td.text,
            td.typed.apply(lambda s: pd.Series(pd.NA, index=s.index, dtype=s.dtype)),
        )
        for name, td in data.items()
    }
    for variant in (half, empty, unparsed):
        problems = run(variant)
        assert [p.message for p in problems if p.code == "internal-error"] == []


def test_pandera_is_not_imported_by_zonedata() -> None:
    code = (
        "import sys, zonedata, zonedata.descriptor, zonedata.validate.semantic, "
        "zonedata.pandera_schemas; print('pandera' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fixture_matches_the_schema_layer_reader(canonical: tuple[Package, Data]) -> None:
    """The test fixture builds the same TableData as the real layer-3 reader."""
    engine = pytest.importorskip("zonedata.validate.engine")
    pkg, data = canonical
    report = engine.validate_package(pkg.base_path, semantic=False)
    assert set(report.data) == set(data)
    for name, td in data.items():
        real = report.data[name]
        assert list(real.typed.index) == list(td.typed.index), name
        assert dict(real.typed.dtypes) == dict(td.typed.dtypes), name
        pd.testing.assert_frame_equal(real.typed, td.typed, check_index_type=False)
        pd.testing.assert_frame_equal(real.text, td.text, check_index_type=False)
    assert where(run(report.data)) == where(run(data))
