"""The research of issue 22: administrative codes, the corrections, and the treatment SQL.

The data tests read the CSV files with the standard library only and pin exact values,
preferred flags and sources, so that a fact that goes missing, changes or loses its
source fails here. The SQL tests build one release into a temporary folder and run
``derived/*.sql`` as ``release`` derives them into its database.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.csvrows import find, one, rows
from zonedata.descriptor import bundled_package_path, read_package
from zonedata.release.build import build_release

REPO = Path(__file__).resolve().parent.parent
MCA = "mca-2024-county-codes"
WORKERCN = "workercn-2019-10-19"


# --- administrative codes ------------------------------------------------------------------

CITY_CODES = {
    "beijing": "110000",
    "changsha": "430100",
    "chengdu": "510100",
    "chongqing": "500000",
    "guangzhou": "440100",
    "hangzhou": "330100",
    "harbin": "230100",
    "hefei": "340100",
    "huzhou": "330500",
    "jinan": "370100",
    "nanjing": "320100",
    "qingdao": "370200",
    "shanghai": "310000",
    "shenyang": "210100",
    "shenzhen": "440300",
    "suzhou": "320500",
    "tianjin": "120000",
    "wuhan": "420100",
    "xian": "610100",
    "zhengzhou": "410100",
}
AREA_CODES = {"浦东新区": "310115", "滨海新区": "120116", "德清县": "330521"}


def test_every_city_has_its_code() -> None:
    assert {r["city_id"]: r["admin_code"] for r in rows("cities")} == CITY_CODES


def test_every_province_code_is_its_cities_prefix() -> None:
    provinces = {r["province_id"]: r["admin_code"] for r in rows("provinces")}
    assert len(provinces) == 16 and all(re.fullmatch(r"\d{2}0000", c) for c in provinces.values())
    for city in rows("cities"):
        assert city["admin_code"][:2] + "0000" == provinces[city["province_id"]]


def test_zone_areas_have_county_level_codes() -> None:
    areas = {r["area_zh"]: r["area_admin_code"] for r in rows("zone_cities") if r["area_zh"]}
    assert areas == AREA_CODES
    deqing = one("divisions", admin_code="330521")
    assert (deqing["name_zh"], deqing["level"], deqing["parent_code"]) == (
        "德清县",
        "county",
        "330500",
    )
    assert one("divisions", admin_code="330500")["name_zh"] == "湖州市"


def test_codes_are_sourced_to_the_mca_list() -> None:
    source = one("sources", source_id=MCA)
    assert source["title"].startswith("2024年中华人民共和国县以上行政区划代码")
    assert "2024-12-31" in source["note"] and "201904" in source["note"]
    assert {(r["source_id"], r["confidence"]) for r in rows("divisions")} == {(MCA, "B")}
    codes = {r["admin_code"] for r in rows("divisions")}
    assert set(CITY_CODES.values()) | set(AREA_CODES.values()) <= codes


def test_prefecture_level_units_of_2024() -> None:
    divisions = rows("divisions")
    assert Counter(r["level"] for r in divisions) == {
        "province": 34,
        "prefecture": 333,
        "county": 3,
    }
    prefectures = [r for r in divisions if r["level"] == "prefecture"]
    assert Counter(r["kind"] for r in prefectures) == {
        "city": 293,
        "autonomous-prefecture": 30,
        "prefecture": 7,
        "league": 3,
    }
    units = {r["admin_code"] for r in divisions if r["prefecture_level"] == "true"}
    assert len(units) == 337
    assert {"110000", "120000", "310000", "500000"} <= units  # the four municipalities
    assert "371200" not in units  # Laiwu, merged into Jinan
    for r in prefectures:
        assert r["province_code"] == r["admin_code"][:2] + "0000" == r["parent_code"]


def test_new_tables_are_sorted_with_lf_endings() -> None:
    for table, key in (
        ("divisions", ("admin_code",)),
        ("division_changes", ("change_id",)),
        ("programme_documents", ("programme_id", "document_no")),
    ):
        raw = (REPO / "data" / f"{table}.csv").read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        keys = [tuple(r[k] for k in key) for r in rows(table)]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_division_changes() -> None:
    changes = rows("division_changes")
    assert len(changes) == 15
    assert {r["approved"][:4] for r in changes} <= {str(y) for y in range(2010, 2019)}
    laiwu = one("division_changes", change_id="2018-laiwu-merged-into-jinan")
    assert (
        laiwu["approved"],
        laiwu["first_list_year"],
        laiwu["kind"],
        laiwu["old_code"],
        laiwu["new_code"],
        laiwu["document"],
        laiwu["source_id"],
    ) == (
        "2018-12-26",
        "2018",
        "merged",
        "371200",
        "370100",
        "国函〔2018〕163号",
        "state-council-2018-12-26-laiwu",
    )
    for r in changes:
        source = one("sources", source_id=r["source_id"])
        assert source["published"] == r["approved"] and r["document"] in source["title"]
        assert source["url"].startswith("https://github.com/yescallop/areacodes/blob/")
    new_codes = {r["new_code"] for r in changes if r["new_code"]}
    assert new_codes <= {r["admin_code"] for r in rows("divisions")}


# --- corrections ----------------------------------------------------------------------------


def test_guangzhou_2018_prefers_the_bureau_via_hktdc() -> None:
    hktdc, cd, blog = (
        "hktdc-guangzhou-city-information",
        "chinadaily-2019-02-12",
        "internicdomainnames-guangzhou-2018-gdp",
    )
    for table, value, figures in (
        ("city_gdp", "gdp_cny_bn", {hktdc: "2285.9", cd: "2300", blog: "2285.935"}),
        ("city_growth", "growth_pct", {hktdc: "6.2", cd: "6.5", blog: "6.2"}),
    ):
        g = {r["source_id"]: r for r in find(table, city_id="guangzhou", year="2018")}
        assert {s: r[value] for s, r in g.items()} == figures
        assert {s: r["preferred"] for s, r in g.items()} == {
            hktdc: "true",
            cd: "false",
            blog: "false",
        }
        assert {s: r["confidence"] for s, r in g.items()} == {hktdc: "B", cd: "A", blog: "C"}
    assert "rounded to 0.1 trillion" in one("city_gdp", city_id="guangzhou", source_id=cd)["note"]
    assert "Guangzhou Municipal Statistics Bureau" in one("sources", source_id=hktdc)["note"]


def test_every_rounding_note_matches_the_printed_figure() -> None:
    notes = [
        (t, r)
        for t in ("city_gdp", "city_growth", "province_gdp", "targets")
        for r in rows(t)
        if "rounded to" in r["note"]
    ]
    assert notes
    for table, r in notes:
        printed = re.search(
            r"[Pp]rinted (?:as )?\"?(?:GDP: )?(\d+(?:\.(\d+))?) trillion", r["note"]
        )
        step = re.search(r"rounded to (0\.(0*)1|1) trillion", r["note"])
        assert printed and step, (table, r["note"])
        decimals = len(printed.group(2) or "")
        assert decimals == (len(step.group(2)) + 1 if step.group(2) is not None else 0), r
    source_note = one("sources", source_id="chinadaily-2019-02-12")["note"]
    assert "except Shenzhen's 2.4 and Guangzhou's 2.3, printed to 0.1 trillion" in source_note


def test_shenzhen_press_report_titled_as_read() -> None:
    source = one("sources", source_id="qqzyw-2018-shenzhen-communique")
    assert source["title"] == "[Press report of Shenzhen's preliminary 2018 economic figures]"
    assert source["published"] == "2019-02-02"
    assert "not the statistical communiqué" in source["note"]
    for table in ("city_gdp", "city_growth"):
        row = one(table, city_id="shenzhen", source_id="qqzyw-2018-shenzhen-communique")
        assert (row["preferred"], row["confidence"]) == ("true", "B")
        assert "press report of 2019-02-02" in row["note"]


def test_chengdu_2018_exact_figure_from_the_city_portal() -> None:
    portal = "gochengdu-chengdu-2018-gdp"
    gdp = {r["source_id"]: r for r in find("city_gdp", city_id="chengdu", year="2018")}
    assert {s: (r["gdp_cny_bn"], r["preferred"]) for s, r in gdp.items()} == {
        portal: ("1534.28", "true"),
        "chinadaily-2019-02-12": ("1530", "false"),
    }
    growth = {r["source_id"]: r for r in find("city_growth", city_id="chengdu", year="2018")}
    assert {s: (r["growth_pct"], r["preferred"]) for s, r in growth.items()} == {
        portal: ("8.0", "true"),
        "chinadaily-2019-02-12": ("8", "false"),
    }
    assert gdp[portal]["confidence"] == growth[portal]["confidence"] == "A"


def test_claims_settled_by_miit_reply() -> None:
    for claim_id in ("s1-14-base", "s1-12-strength", "jinan-qingdao-second-zone"):
        claim = one("claims", claim_id=claim_id)
        assert (claim["assessment"], claim["evidence_source_id"]) == ("partly-confirmed", WORKERCN)
    assert (
        "制造业产业基础良好、大数据资源与应用场景丰富"
        in one("claims", claim_id="s1-14-base")["note"]
    )
    assert "电子信息与通信产业基础雄厚" in one("claims", claim_id="s1-12-strength")["note"]
    second = one("claims", claim_id="jinan-qingdao-second-zone")["note"]
    assert "2019-10-14" in second and "names Jinan-Qingdao first" in second


def test_most_guidelines() -> None:
    docs = {r["document_no"]: r for r in find("programme_documents", programme_id="most")}
    assert {d: (r["issued"], r["repealed"]) for d, r in docs.items()} == {
        "国科发规〔2019〕298号": ("2019-08", "2020-09-29"),
        "国科发规〔2020〕254号": ("2020-09-29", ""),
    }
    assert {r["source_id"] for r in docs.values()} == {"eol-2021-01-04-most-guideline-2020"}
    assert "国科发规〔2020〕254号" in one("programmes", programme_id="most")["note"]


def test_launch_and_unveiling_dates() -> None:
    dates = {
        (r["zone_id"], r["event"]): (r["date"], r["source_id"], r["preferred"], r["confidence"])
        for r in rows("zone_dates")
        if r["source_id"]
        in ("xinhua-2019-05-25-shanghai-most-zone", "chinanews-2021-05-28-chengdu-miit-zone")
    }
    assert dates == {
        ("most-shanghai", "launched"): (
            "2019-05-25",
            "xinhua-2019-05-25-shanghai-most-zone",
            "true",
            "B",
        ),
        ("most-beijing", "inaugurated"): (
            "2019-02",
            "xinhua-2019-05-25-shanghai-most-zone",
            "true",
            "B",
        ),
        ("miit-chengdu", "inaugurated"): (
            "2021-05-28",
            "chinanews-2021-05-28-chengdu-miit-zone",
            "true",
            "B",
        ),
    }


def test_missing_focus_industries_added() -> None:
    def industries(zone: str, source: str) -> set[str]:
        return {r["industry_id"] for r in find("zone_industries", zone_id=zone, source_id=source)}

    assert industries("miit-hangzhou", "chinadaily-2021-02-24") == {
        "urban-management",
        "manufacturing",
        "finance",
    }
    assert "computing-power" in industries("most-tianjin", "qianzhan-tianjin-action-plan")
    assert industries("most-tianjin", "chinanews-2020-08-tianjin-action-plan") == {
        "smart-city",
        "computing-power",
        "ports",
        "intelligent-connected-vehicles",
    }
    assert {"ai-hardware", "ecological-protection"} <= industries(
        "most-chongqing", "peoples-daily-2020-03-10"
    )


# --- the treatment, derived by SQL ----------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    """The SQLite database of one release of the bundled package, built once."""
    package = bundled_package_path()
    out = tmp_path_factory.mktemp("dist")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        build_release(package, out=out)
    version = read_package(package).version
    path = out / f"zonedata-{version}" / f"zonedata-{version}.sqlite"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    yield connection
    connection.close()


def run(connection: sqlite3.Connection, name: str) -> list[dict[str, object]]:
    """The rows ``release`` derived by ``derived/<name>.sql``, as its database holds them."""
    return [dict(r) for r in connection.execute(f'SELECT * FROM "{name}"').fetchall()]


def test_city_treatment(database: sqlite3.Connection) -> None:
    treatment = {(r["city_id"], r["programme_id"]): r for r in run(database, "city_treatment")}
    zone_cities = {(r["city_id"], r["zone_id"].split("-")[0]) for r in rows("zone_cities")}
    assert set(treatment) == zone_cities
    assert treatment["jinan", "miit"] == {
        "admin_code": "370100",
        "city_id": "jinan",
        "city_name_en": "Jinan",
        "city_name_zh": "济南",
        "province_id": "shandong",
        "programme_id": "miit",
        "zone_ids": "miit-jinan-qingdao",
        "batch": 1,
        "approval_date": "2019-10-14",
        "approval_precision": "day",
        "approval_event": "approved",
        "approval_year": 2019,
        "first_full_year": 2020,
        "coverage": "city",
        "area_admin_codes": None,
    }
    huzhou = treatment["huzhou", "most"]
    assert (huzhou["zone_ids"], huzhou["coverage"], huzhou["area_admin_codes"]) == (
        "most-deqing",
        "part",
        "330521",
    )
    wuhan = treatment["wuhan", "miit"]
    assert (wuhan["approval_date"], wuhan["approval_precision"], wuhan["first_full_year"]) == (
        "2022-09",
        "month",
        2023,
    )
    chengdu = treatment["chengdu", "miit"]
    assert (chengdu["approval_event"], chengdu["approval_date"]) == ("announced", "2021-02-19")
    assert treatment["hangzhou", "most"]["approval_precision"] == "year"


def test_city_programme_years(database: sqlite3.Connection) -> None:
    panel = run(database, "city_programme_years")
    assert len(panel) == 337 * 16
    assert [(r["admin_code"], r["year"]) for r in panel[:2]] == [("110000", 2010), ("110000", 2011)]
    by_key = {(r["admin_code"], r["year"]): r for r in panel}
    jinan = [
        (by_key["370100", y]["miit"], by_key["370100", y]["most"], by_key["370100", y]["either"])
        for y in (2018, 2019, 2020)
    ]
    assert jinan == [(0, 0, 0), (1, 0, 1), (1, 1, 1)]
    assert (by_key["370100", 2019]["miit_full"], by_key["370100", 2020]["miit_full"]) == (0, 1)
    # a control city: Yantai (370600) is in no programme
    assert {(r["miit"], r["most"], r["either"]) for r in panel if r["admin_code"] == "370600"} == {
        (0, 0, 0)
    }
    treated_2025 = {r["admin_code"] for r in panel if r["year"] == 2025 and r["either"] == 1}
    assert treated_2025 == set(CITY_CODES.values())
    assert ("371200", 2018) not in by_key  # Laiwu: not a unit of the 2024 list


def test_declarations_name_the_sql_files() -> None:
    descriptor = json.loads((REPO / "datapackage.json").read_text("utf-8"))
    declarations = descriptor["zonedata:derived"][-2:]
    assert [d["name"] for d in declarations] == ["city_treatment", "city_programme_years"]
    for d in declarations:
        assert (REPO / d["sqlPath"]).is_file()
        sql = (REPO / d["sqlPath"]).read_text(encoding="utf-8")
        columns = [f["name"] for f in d["schema"]["fields"]]
        assert all(c in sql for c in columns)


# --- targets and reported results -----------------------------------------------------------


def test_targets_for_ten_cities_each_sourced_and_graded() -> None:
    targets = rows("targets")
    assert len({r["city_id"] for r in targets}) >= 10
    sources = {r["source_id"] for r in rows("sources")}
    for r in targets:
        assert r["source_id"] in sources and r["confidence"] in ("A", "B", "C")
    zones = {(r["city_id"], r["zone_id"]) for r in targets if r["zone_id"]}
    assert zones == {
        ("suzhou", "most-suzhou"),
        ("changsha", "miit-changsha"),
        ("chengdu", "miit-chengdu"),
        ("wuhan", "miit-wuhan"),
        ("hefei", "most-hefei"),
        ("nanjing", "miit-nanjing"),
    }
    nanjing = one(
        "targets", city_id="nanjing", source_id="njdaily-2022-12-27-nanjing-miit-zone-plan"
    )
    assert (nanjing["indicator"], nanjing["target_year"], nanjing["comparator"]) == (
        "ai-core-industry-revenue",
        "2025",
        "more-than",
    )
    assert nanjing["value_cny_bn"] == "50"
    wuhan = one(
        "targets",
        city_id="wuhan",
        indicator="ai-core-industry-scale",
        source_id="qyv-wuhan-miit-zone-plan-draft-2023",
    )
    assert (wuhan["value_cny_bn"], wuhan["comparator"]) == ("40", "at-least")
    assert "draft" in wuhan["note"]


def test_chengdu_2020_target_beside_its_result() -> None:
    target = one(
        "targets",
        city_id="chengdu",
        indicator="ai-industry-scale",
        target_year="2020",
        source_id="scstn-chengdu-ai-plan-2019-2022",
    )
    result = one("reported_results", city_id="chengdu", indicator="ai-industry-scale", year="2020")
    assert (target["comparator"], target["value_cny_bn"]) == ("more-than", "20")
    assert (result["comparator"], result["value_cny_bn"], result["source_id"]) == (
        "reached",
        "20",
        "chinanews-2021-05-28-chengdu-miit-zone",
    )
    jinan = one("reported_results", city_id="jinan", year="2022")
    assert (jinan["indicator"], jinan["value_cny_bn"], jinan["confidence"]) == (
        "ai-core-industry-scale",
        "27.1",
        "B",
    )


# --- coverage: host-city GDP and MOST zone counts -------------------------------------------


def test_huzhou_2018_gdp_from_china_daily() -> None:
    row = one("city_gdp", city_id="huzhou", year="2018")
    assert (row["source_id"], row["gdp_cny_bn"], row["preferred"], row["confidence"]) == (
        "chinadaily-2019-09-09-huzhou",
        "271.9",
        "true",
        "B",
    )
    assert find("city_growth", city_id="huzhou") == []  # growth: a documented gap


def test_most_zone_counts_over_time() -> None:
    counts = {
        (r["as_of"], r["source_id"]): r["zone_count"]
        for r in find("zone_counts", programme_id="most", kind="reported")
    }
    assert counts[("2021-07", "pfbl20-2021-07-10-most-zones")] == "15"
    assert counts[("2021-12", "peoplecn-2021-12-07-xinhua")] == "17"
    assert counts[("2022-08", "fx361-2022-guangzhou-most-zone-article")] == "18"
    assert "16" not in counts.values()


def test_research_gaps_file() -> None:
    with (REPO / "data" / "research_gaps.csv").open(encoding="utf-8", newline="") as fh:
        gaps = list(csv.DictReader(fh))
    assert list(gaps[0]) == [
        "table",
        "subject",
        "missing",
        "searched",
        "searched_on",
        "fills",
        "not_from",
    ]
    subjects = {(g["table"], g["subject"]) for g in gaps}
    assert ("city_growth", "huzhou") in subjects
    assert ("zone_counts", "most") in subjects
    assert all(g["searched"] for g in gaps)
    # rows of this round carry the day of the search (earlier rounds did not record it)
    dated = [g for g in gaps if g["searched_on"]]
    assert len(dated) >= 12
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", g["searched_on"]) for g in dated)


def test_a_zone_without_a_date_leaves_the_timing_unknown(tmp_path: Path) -> None:
    """A city whose only zone in a programme has no approved or announced date is
    treated with an unknown timing (empty), never as a control; a dated zone of the same
    programme still decides the entry."""
    from tests.helpers import copy_package

    pkg = copy_package(tmp_path)
    with (pkg / "data" / "zones.csv").open("a", encoding="utf-8") as fh:
        fh.write("most-zz,most,ZZ Test,,测试文件,crntt-2021-12-08,\n")
    with (pkg / "data" / "zone_cities.csv").open("a", encoding="utf-8") as fh:
        fh.write("most-zz,beijing,,,,crntt-2021-12-08\nmost-zz,yantai-test,,,,crntt-2021-12-08\n")
    cities = (pkg / "data" / "cities.csv").read_text(encoding="utf-8")
    (pkg / "data" / "cities.csv").write_text(
        cities + "yantai-test,Yantai,烟台,shandong,370600\n", encoding="utf-8"
    )
    for name in ("zones", "zone_cities", "cities"):  # keep the rows sorted by their keys
        path = pkg / "data" / f"{name}.csv"
        head, *body = path.read_text(encoding="utf-8").splitlines()
        path.write_text("\n".join([head, *sorted(body)]) + "\n", encoding="utf-8")
    build_release(pkg, out=tmp_path / "dist")
    db = sqlite3.connect(tmp_path / "dist" / "zonedata-0.1.0" / "zonedata-0.1.0.sqlite")
    db.row_factory = sqlite3.Row
    treatment = {
        (r["city_id"], r["programme_id"]): dict(r)
        for r in db.execute("SELECT * FROM city_treatment")
    }
    assert treatment["beijing", "most"]["approval_date"] == "2019-02"  # the dated zone
    assert treatment["beijing", "most"]["zone_ids"] == "most-beijing; most-zz"
    unknown = treatment["yantai-test", "most"]
    assert (unknown["approval_date"], unknown["approval_year"], unknown["first_full_year"]) == (
        None,
        None,
        None,
    )
    panel = db.execute(
        "SELECT year, miit, most, either FROM city_programme_years WHERE admin_code = '370600'"
    ).fetchall()
    assert {tuple(r) for r in panel} == {(y, 0, None, None) for y in range(2010, 2026)}
