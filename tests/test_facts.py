"""The facts the package must carry, listed here independently of the data.

These tests read the CSV files with the standard library only. They fail if a fact of
the seed article (S1) or of the research notes (F1-F5) goes missing or changes, or if a
fact loses its source. The list is the tests' own: nothing here reads ../shared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.csvrows import find, one, rows

REPO = Path(__file__).resolve().parent.parent
S1 = "equalocean-2019-10-19"


# --- S1: every statement is findable, with S1 as its source ---------------------------

S1_STATEMENTS = {
    1: ["s1-01-jinan-qingdao", "s1-01-shenzhen"],
    2: ["s1-02"],
    3: ["s1-03-cluster", "s1-03-application", "s1-03-support"],
    4: ["s1-04"],
    5: ["s1-05"],
    6: ["s1-06"],
    7: ["s1-07-ai-chains", "s1-07-jinan", "s1-07-qingdao", "s1-07-shenzhen"],
    8: ["s1-08-cities", "s1-08-province"],
    9: ["s1-09-gdp", "s1-09-companies"],
    10: ["s1-10"],
    11: ["s1-11"],
    12: ["s1-12-strength", "s1-12-companies"],
    13: ["s1-13"],
    14: ["s1-14-base", "s1-14-focus"],
}


@pytest.mark.parametrize("number", sorted(S1_STATEMENTS))
def test_s1_statement_is_a_claim(number: int) -> None:
    claims = find("claims", source_id=S1, statement_no=str(number))
    assert sorted(c["claim_id"] for c in claims) == sorted(S1_STATEMENTS[number])


def test_s1_approvals() -> None:
    for zone in ("miit-jinan-qingdao", "miit-shenzhen"):
        assert one("zones", zone_id=zone)["programme_id"] == "miit"
        assert one("zone_dates", zone_id=zone, event="approved")["date"] == "2019-10-14"
    assert {r["city_id"] for r in find("zone_cities", zone_id="miit-jinan-qingdao")} == {
        "jinan",
        "qingdao",
    }


def test_s1_pudong_first_zone() -> None:
    z = one("zones", zone_id="miit-shanghai-pudong")
    assert z["batch"] == "1"
    assert one("zone_dates", zone_id="miit-shanghai-pudong", source_id=S1)["date"] == "2019-05"
    assert (
        one("zone_dates", zone_id="miit-shanghai-pudong", event="launched")["date"] == "2019-05-21"
    )
    zc = one("zone_cities", zone_id="miit-shanghai-pudong")
    assert (zc["city_id"], zc["area_en"], zc["area_zh"]) == (
        "shanghai",
        "Pudong New Area",
        "浦东新区",
    )


@pytest.mark.parametrize(
    ("zone", "industries"),
    [
        ("miit-shanghai-pudong", {"manufacturing", "healthcare", "transportation", "finance"}),
        (
            "miit-shenzhen",
            {
                "ai-chips",
                "drones",
                "intelligent-connected-vehicles",
                "robotics",
                "healthcare",
                "finance",
                "supply-chain",
                "transportation",
                "manufacturing",
            },
        ),
        ("miit-jinan-qingdao", {"manufacturing", "healthcare", "smart-home", "rail-transit"}),
    ],
)
def test_s1_zone_industries(zone: str, industries: set[str]) -> None:
    assert {
        r["industry_id"] for r in find("zone_industries", zone_id=zone, source_id=S1)
    } == industries


def test_s1_shanghai_target() -> None:
    for source in (S1, "ecns-2019-05-22"):
        t = one("targets", city_id="shanghai", source_id=source)
        assert (t["value_cny_bn"], t["value_usd_bn"], t["target_year"], t["comparator"]) == (
            "100",
            "14.5",
            "2020",
            "more-than",
        )
    assert one("claims", claim_id="s1-05")["assessment"] == "corrected"


@pytest.mark.parametrize(
    ("city", "cny", "usd", "growth"),
    [
        ("qingdao", "1200.15", "169.48", "7.4"),
        ("jinan", "785.66", "110.95", "7.4"),
        ("shenzhen", "2400", "338.92", "7.5"),
    ],
)
def test_s1_city_figures(city: str, cny: str, usd: str, growth: str) -> None:
    g = one("city_gdp", city_id=city, year="2018", source_id=S1)
    assert (g["gdp_cny_bn"], g["gdp_usd_bn"], g["usd_rate_id"]) == (
        cny,
        usd,
        "ecb-cross-2019-10-15",
    )
    assert one("city_growth", city_id=city, year="2018", source_id=S1)["growth_pct"] == growth


def test_s1_ranks_and_companies() -> None:
    assert one("province_gdp_ranks", province_id="shandong", source_id=S1)["rank_min"] == "3"
    for city in ("qingdao", "jinan"):
        r = one("city_gdp_ranks", city_id=city, source_id=S1)
        assert (r["province_id"], r["rank_min"], r["rank_max"]) == ("shandong", "1", "2")
    assert one("claims", claim_id="s1-08-cities")["assessment"] == "weak"
    assert {r["company_id"] for r in find("city_companies", city_id="qingdao", source_id=S1)} == {
        "haier",
        "hisense",
    }
    assert {r["company_id"] for r in find("city_companies", city_id="shenzhen", source_id=S1)} == {
        "huawei",
        "tencent",
        "dji",
    }


# --- F1: corrections and official figures ----------------------------------------------


def test_f1_official_figures() -> None:
    assert (
        one("city_gdp", city_id="jinan", source_id="jinan-daily-2019-04-17")["gdp_cny_bn"]
        == "785.656"
    )
    assert (
        one("city_gdp", city_id="qingdao", source_id="eu-china-qingdao")["gdp_cny_bn"] == "1200.15"
    )
    sz = one("city_gdp", city_id="shenzhen", source_id="qqzyw-2018-shenzhen-communique")
    assert (sz["gdp_cny_bn"], sz["preferred"]) == ("2422.198", "true")
    assert (
        one("city_growth", city_id="shenzhen", source_id="qqzyw-2018-shenzhen-communique")[
            "growth_pct"
        ]
        == "7.6"
    )
    est = one("city_gdp", city_id="shenzhen", source_id="chinadaily-2019-02-12")
    # China Daily prints "GDP: 2.4 trillion yuan"; its "about" qualifies only the growth (issue 13)
    assert (est["gdp_cny_bn"], est["approximate"], est["preferred"]) == ("2400", "false", "false")
    q = one("city_growth", city_id="qingdao", source_id="chinadaily-2019-02-27")
    assert (q["growth_pct"], q["confidence"]) == ("7.5", "C")


def test_f1_disagreement_keeps_both_and_prefers_one() -> None:
    for table in ("city_gdp", "city_growth"):
        sz = find(table, city_id="shenzhen", year="2018")
        assert {r["source_id"] for r in sz} >= {S1, "qqzyw-2018-shenzhen-communique"}
        assert sum(r["preferred"] == "true" for r in sz) == 1


def test_f1_dates_and_provinces() -> None:
    assert (
        one("zone_dates", zone_id="miit-jinan-qingdao", event="inaugurated")["date"] == "2019-11-19"
    )
    assert {r["province_id"]: r["gdp_cny_bn"] for r in rows("province_gdp")} == {
        "guangdong": "9730",
        "jiangsu": "9260",
        "shandong": "7650",
    }
    assert one("claims", claim_id="s1-06")["evidence_source_id"] == "cfgw-2022-11-07"


# --- F2: the top-10 list ----------------------------------------------------------------

F2 = {
    "shanghai": ("3270", "6.6"),
    "beijing": ("3030", "6.6"),
    "shenzhen": ("2400", "7.5"),
    "guangzhou": ("2300", "6.5"),
    "chongqing": ("2040", "6"),
    "tianjin": ("1880", "3.6"),
    "suzhou": ("1850", "7"),
    "chengdu": ("1530", "8"),
    "wuhan": ("1480", "8"),
    "hangzhou": ("1350", "7"),
}


@pytest.mark.parametrize("city", sorted(F2))
def test_f2_top10(city: str) -> None:
    gdp, growth = F2[city]
    assert one("city_gdp", city_id=city, source_id="chinadaily-2019-02-12")["gdp_cny_bn"] == gdp
    assert (
        one("city_growth", city_id=city, source_id="chinadaily-2019-02-12")["growth_pct"] == growth
    )


def test_f2_shanghai_usd() -> None:
    assert (
        one("city_gdp", city_id="shanghai", source_id="chinadaily-2019-02-12")["gdp_usd_bn"]
        == "486"
    )


# --- F3 and F4: the two programmes ---------------------------------------------------------

F3 = {
    "miit-shanghai-pudong": ("1", "launched", "2019-05-21"),
    "miit-jinan-qingdao": ("1", "approved", "2019-10-14"),
    "miit-shenzhen": ("1", "approved", "2019-10-14"),
    "miit-beijing": ("2", "announced", "2021-02-19"),
    "miit-tianjin-binhai": ("2", "announced", "2021-02-19"),
    "miit-hangzhou": ("2", "announced", "2021-02-19"),
    "miit-guangzhou": ("2", "announced", "2021-02-19"),
    "miit-chengdu": ("2", "announced", "2021-02-19"),
    "miit-changsha": ("3", "approved", "2022-09"),
    "miit-wuhan": ("3", "approved", "2022-09"),
    "miit-nanjing": ("3", "approved", "2022-09"),
}
F4 = {
    "most-beijing": "2019-02",
    "most-shanghai": "2019-05-22",
    "most-tianjin": "2019",
    "most-shenzhen": "2019-10-17",
    "most-hangzhou": "2019",
    "most-hefei": "2019",
    "most-deqing": "2019-11-02",
    "most-chongqing": "2020-03-09",
    "most-chengdu": "2020-03-09",
    "most-xian": "2020-03-09",
    "most-jinan": "2020-03-09",
    "most-wuhan": "2020-09-03",
    "most-guangzhou": "2020-09-03",
    "most-suzhou": "2021-03-24",
    "most-changsha": "2021-03-24",
    "most-harbin": "2021-12-07",
    "most-shenyang": "2021-12-07",
    "most-zhengzhou": "2021-12-07",
}
LETTERS = {
    "most-beijing": "27",
    "most-shanghai": "80",
    "most-tianjin": "182",
    "most-shenzhen": "183",
    "most-hangzhou": "184",
    "most-hefei": "185",
    "most-deqing": "194",
}


def test_f3_miit_zones() -> None:
    assert {z["zone_id"] for z in find("zones", programme_id="miit")} == set(F3)
    for zone, (batch, event, date) in F3.items():
        assert one("zones", zone_id=zone)["batch"] == batch
        assert one("zone_dates", zone_id=zone, event=event, preferred="true")["date"] == date


def test_f4_most_zones() -> None:
    assert {z["zone_id"] for z in find("zones", programme_id="most")} == set(F4)
    for zone, date in F4.items():
        # the earliest preferred date (a zone may also have a later, preferred announcement)
        assert min(r["date"] for r in find("zone_dates", zone_id=zone, preferred="true")) == date
    for zone, number in LETTERS.items():
        assert one("zones", zone_id=zone)["document"] == f"国科函规〔2019〕{number}号"
    # the 2021-03-25 report of FACTS.md was never recorded (issue 13): only the dated report stays
    assert {r["date"] for r in find("zone_dates", zone_id="most-changsha")} == {"2021-03-24"}
    assert one("zone_cities", zone_id="most-deqing")["area_en"] == "Deqing County"


def test_f3_f4_focus_and_counts() -> None:
    assert {r["industry_id"] for r in find("zone_industries", zone_id="miit-hangzhou")} == {
        "urban-management",
        "finance",
        "manufacturing",  # China Daily 2021-02-24 (issue 22)
    }
    assert {r["industry_id"] for r in find("zone_industries", zone_id="most-xian")} == {
        "manufacturing",
        "culture-and-tourism",
        "logistics",
    }
    assert one("zone_counts", programme_id="miit", as_of="2022-10-08")["zone_count"] == "11"
    assert one("zone_counts", programme_id="most", kind="planned")["zone_count"] == "20"


# --- F5: reference rates -------------------------------------------------------------------

F5 = {
    "2018": "6.6174",
    "2019-05-14": "6.8365",
    "2019-05-21": "6.9063",
    "2019-05-22": "6.9025",
    "2019-10-15": "7.0812",
    "2019-10-18": "7.0837",
    "2019-10-21": "7.0680",
}


def test_f5_rates() -> None:
    assert {r["date"]: r["cny_per_usd"] for r in rows("exchange_rates")} == F5
    assert one("exchange_rates", date="2019-10-15")["cny_per_eur"] == "7.7943"


# --- every fact carries its source ---------------------------------------------------------


def test_every_fact_row_names_an_existing_source() -> None:
    d = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    sources = {r["source_id"] for r in rows("sources")}
    reference_tables = {"sources", "provinces", "cities", "industries", "companies"}
    reference_tables |= {"research_gaps"}  # what was not found: no source to name
    for res in d["resources"]:
        fields = [f["name"] for f in res["schema"]["fields"]]
        if res["name"] in reference_tables:
            continue
        assert "source_id" in fields, res["name"]
        for r in rows(res["name"]):
            assert r["source_id"] in sources, (res["name"], r)


# --- issue 13: corrections checked against the sources they cite ------------------------


def test_corrected_flags_and_preferences() -> None:
    q = {r["source_id"]: r for r in find("city_growth", city_id="qingdao", year="2018")}
    # S1's 7.4% is preferred again, graded as its Jinan and Shenzhen rows are; the
    # government work report's 7.5% is a forecast made before the year's statistics
    assert (q[S1]["growth_pct"], q[S1]["preferred"], q[S1]["confidence"]) == ("7.4", "true", "A")
    forecast = q["chinadaily-2019-02-27"]
    assert (forecast["approximate"], forecast["preferred"], forecast["confidence"]) == (
        "false",
        "false",
        "C",
    )
    assert "predicted to rise by 7.5 percent" in forecast["note"]
    assert "forecast" in forecast["note"]
    assert (
        "2.4 trillion yuan"
        in one("city_gdp", city_id="shenzhen", source_id="chinadaily-2019-02-12")["note"]
    )


def test_guangzhou_prefers_the_bureau_figures_as_hktdc_attributes_them() -> None:
    """Issue 22: China Daily's 2.3 trillion and 6.5% were estimates; HKTDC's city profile
    attributes 2,285.9 billion and 6.2% to the Guangzhou Municipal Statistics Bureau."""
    blog = "internicdomainnames-guangzhou-2018-gdp"
    hktdc = "hktdc-guangzhou-city-information"
    daily = "chinadaily-2019-02-12"
    for table, value, figures in (
        ("city_gdp", "gdp_cny_bn", {daily: "2300", hktdc: "2285.9", blog: "2285.935"}),
        ("city_growth", "growth_pct", {daily: "6.5", hktdc: "6.2", blog: "6.2"}),
    ):
        g = {r["source_id"]: r for r in find(table, city_id="guangzhou", year="2018")}
        assert {s: r[value] for s, r in g.items()} == figures
        preferred = {s: r["preferred"] for s, r in g.items()}
        assert preferred == {daily: "false", hktdc: "true", blog: "false"}
        assert (g[daily]["confidence"], g[hktdc]["confidence"], g[blog]["confidence"]) == (
            "A",
            "B",
            "C",
        )
    assert (
        "rounded to 0.1 trillion" in one("city_gdp", source_id=daily, city_id="guangzhou")["note"]
    )
    assert "anonymous" in one("sources", source_id=blog)["note"]


def test_reference_site_and_parked_domain_are_flagged() -> None:
    beijing = one("zone_dates", zone_id="most-beijing", source_id="chinacheckup-ai-innovation-zone")
    assert (beijing["date"], beijing["confidence"]) == ("2019-02", "C")
    count = one("zone_counts", programme_id="most", as_of="2020")
    assert count["zone_count"] == "13" and "no confidence field" in count["note"]
    assert "hijacked" in one("sources", source_id="most-letter-2019-185")["note"]
    assert one("sources", source_id="cctv-2021-06-beijing-miit")["published"] == "2021-06-16"


def test_zone_industries_mark_city_plans_and_chongqing_transport() -> None:
    for zone, source in (
        ("most-shenzhen", "las-shenzhen-most-launch"),
        ("most-wuhan", "hubei-daily-2020-09-wuhan-most"),
    ):
        wordings = [r["wording"] for r in find("zone_industries", zone_id=zone, source_id=source)]
        assert wordings and all(w.startswith("plan: ") for w in wordings)
    cq = one("zone_industries", zone_id="most-chongqing", industry_id="transportation")
    assert (cq["source_id"], cq["wording"]) == ("peoples-daily-2020-03-10", "scenario: 智慧交通")
    gz = {
        r["industry_id"]
        for r in find("zone_industries", zone_id="most-guangzhou", wording="汽车交通")
    }
    assert gz == {"automotive", "transportation"}


def test_gap_fillers_zhengzhou_and_xian() -> None:
    zz = "dahe-2019-02-22-zhengzhou"
    g = one("city_gdp", city_id="zhengzhou", year="2018")
    assert (g["source_id"], g["gdp_cny_bn"], g["preferred"], g["confidence"]) == (
        zz,
        "1014.33",
        "true",
        "B",
    )
    assert "10143.3 亿元" in g["note"]
    r = one("city_growth", city_id="zhengzhou", year="2018")
    assert (r["source_id"], r["growth_pct"], r["preferred"], r["confidence"]) == (
        zz,
        "8.1",
        "true",
        "B",
    )
    src = one("sources", source_id=zz)
    assert (src["url"], src["published"]) == (
        "http://news.hnr.cn/201902/22/22585.html",
        "2019-02-22",
    )
    x = one("city_growth", city_id="xian", year="2018")
    assert (x["source_id"], x["growth_pct"], x["preferred"], x["confidence"]) == (
        "71396-xian-gdp",
        "8.2",
        "true",
        "C",
    )
    assert "unattributed" in x["note"] and "834.99" in x["note"]
    # Huzhou's candidate page never names its city: not used; the GDP came later from China
    # Daily's Huzhou page (issue 22), the growth is still a documented gap
    (huzhou,) = find("city_gdp", city_id="huzhou")
    assert (huzhou["source_id"], huzhou["gdp_cny_bn"]) == ("chinadaily-2019-09-09-huzhou", "271.9")
    assert find("city_growth", city_id="huzhou") == []


def test_corrected_claims() -> None:
    s105 = one("claims", claim_id="s1-05")
    assert (s105["zone_id"], s105["city_id"]) == ("", "shanghai")
    for claim in ("s1-03-cluster", "s1-03-application", "s1-03-support", "s1-04"):
        c = one("claims", claim_id=claim)
        assert (c["assessment"], c["evidence_source_id"]) == ("confirmed", "ecns-2019-05-22")
    c = one("claims", claim_id="s1-14-focus")
    assert (c["assessment"], c["evidence_source_id"]) == ("confirmed", "yybnet-2019-11-20")
    nanjing = one("claims", claim_id="nanjing-ninth-city")
    assert nanjing["assessment"] == "partly-confirmed" and "counts zones" in nanjing["note"]
    assert "comprehensive AI chains" in one("claims", claim_id="s1-07-ai-chains")["statement"]


def test_corrected_sources() -> None:
    yyb = one("sources", source_id="yybnet-2019-11-20")
    assert (yyb["published"], yyb["publisher"]) == (
        "2019-11-20",
        "山东商报 (Shandong Business Daily)",
    )
    assert one("sources", source_id="pingwest-2019-09-09")["published"] == "2019-09-09"
    for number in ("080", "183", "194"):
        assert "wikisource.org" in one("sources", source_id=f"most-letter-2019-{number}")["url"]
    assert "北京青年报" in one("sources", source_id="chinadaily-2019-05-21")["publisher"]
    assert one("programmes", programme_id="miit")["source_id"] == "peoplecn-jiangsu-2022-10-08"
    assert not [
        r["source_id"] for r in rows("sources") if r["title"].startswith("[") and not r["url"]
    ]


def test_corrected_zone_dates() -> None:
    suzhou = one("zone_dates", zone_id="most-suzhou", preferred="true")
    assert (suzhou["date"], suzhou["source_id"]) == (
        "2021-03-24",
        "netease-2021-03-most-suzhou-changsha",
    )
    zz = {r["date"]: r for r in find("zone_dates", zone_id="most-zhengzhou")}
    assert set(zz) == {"2021-12-01", "2021-12-07"} and "not conflicting" in zz["2021-12-01"]["note"]
