"""Derived tables declared in the descriptor (``zonedata:derived``), run by ``release``.

A small generated package (items with prices) declares one derived table; the bundled
package's own declarations are tested by test_release.py (the tables, by hand) and here
(``city_indicators.sql``'s exact USD conversion on chosen figures). Hostile declarations
run in a child process bounded in time and memory (tests/hostile.py).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import textwrap
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.hostile import run_cli, run_python
from zonedata.descriptor import bundled_package_path, read_package
from zonedata.descriptor.package import Field
from zonedata.errors import DerivedTableError
from zonedata.release.build import build_release
from zonedata.release.derived import cell, derive_all
from zonedata.release.errors import ValidationFailedError
from zonedata.release.verify import verify_release
from zonedata.validate.engine import validate_package

BUNDLED = bundled_package_path()
STEM = "shop-1.0.0"  # a release is named after its package

ITEMS = {
    "name": "items",
    "path": "data/items.csv",
    "schema": {
        "fields": [
            {"name": "item_id", "type": "string", "constraints": {"required": True}},
            {"name": "name", "type": "string"},
            {"name": "price_eur", "type": "number", "decimals": 2},
            {"name": "on_sale", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
        ],
        "primaryKey": ["item_id"],
    },
}
PRICES = {
    "name": "item_prices",
    "title": "Item prices",
    "description": "Each item's price in euros as printed, and in cents.",
    "sqlPath": "derived/item_prices.sql",
    "schema": {
        "fields": [
            {"name": "item_id", "type": "string", "constraints": {"required": True}},
            {"name": "price_eur", "type": "number", "decimals": 2},
            {"name": "price_cents", "type": "integer"},
            {"name": "on_sale", "type": "boolean"},
        ],
        "primaryKey": ["item_id"],
        "foreignKeys": [
            {"fields": ["item_id"], "reference": {"resource": "items", "fields": ["item_id"]}}
        ],
    },
}
PRICES_SQL = """\
-- item_prices: the price as printed (text.items) and in cents (computed on main.items)
SELECT i.item_id AS item_id, t.price_eur AS price_eur,
  CAST(round(i.price_eur * 100) AS INTEGER) AS price_cents, i.on_sale AS on_sale
FROM items AS i JOIN text.items AS t ON t.item_id = i.item_id
ORDER BY i.item_id
"""
ROWS = [
    ("it-01", "Tea", "2.50", "yes"),
    ("it-02", "Cup", "10", "no"),
    ("it-03", "Spoon", "0.5", "no"),
]


def make_package(
    folder: Path,
    declared: Any = None,
    sql: dict[str, str] | None = None,
    rows: list[tuple[str, str, str, str]] = ROWS,
) -> Path:
    """A package of one table, ``items``, declaring ``declared`` (nothing if None)."""
    (folder / "data").mkdir(parents=True)
    lines = ["item_id,name,price_eur,on_sale", *(",".join(r) for r in rows)]
    (folder / "data" / "items.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    descriptor: dict[str, Any] = {"name": "shop", "version": "1.0.0"}
    if declared is not None:
        descriptor["zonedata:derived"] = declared
    descriptor["resources"] = [ITEMS]
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    for path, text in (sql or {}).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text, encoding="utf-8")
    return folder


# --- a package that declares nothing, one that declares a table ------------------------------


def test_a_package_that_declares_nothing_gets_no_derived_table(tmp_path: Path) -> None:
    result = build_release(make_package(tmp_path / "pkg"), out=tmp_path / "dist")
    assert [name for name, _ in result.tables] == ["items"]
    folder = tmp_path / "dist" / STEM
    assert sorted(p.name for p in folder.glob("*.csv")) == ["items.csv"]
    con = sqlite3.connect(folder / f"{STEM}.sqlite")
    assert con.execute("SELECT table_name, derived_by FROM _tables").fetchall() == [("items", None)]
    con.close()
    assert verify_release(folder).ok


def test_a_declared_table_is_derived_in_every_format(tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: PRICES_SQL})
    result = build_release(pkg, out=tmp_path / "dist")
    assert result.tables == [("items", 3), ("item_prices", 3)]
    folder = tmp_path / "dist" / STEM
    # the printed figure is copied from text.items ("2.50"), the cents computed on main
    assert (folder / "item_prices.csv").read_text(encoding="utf-8") == (
        "item_id,price_eur,price_cents,on_sale\n"
        "it-01,2.50,250,true\n"
        "it-02,10,1000,false\n"
        "it-03,0.5,50,false\n"
    )
    assert pq.read_table(folder / "item_prices.parquet").column("price_cents").to_pylist() == [
        250,
        1000,
        50,
    ]
    rows = json.loads((folder / "item_prices.json").read_text(encoding="utf-8"))
    assert rows[0] == {"item_id": "it-01", "price_eur": 2.50, "price_cents": 250, "on_sale": True}
    con = sqlite3.connect(folder / f"{STEM}.sqlite")
    assert con.execute(
        "SELECT derived_by FROM _tables WHERE table_name = 'item_prices'"
    ).fetchone() == (PRICES_SQL,)
    assert con.execute("SELECT * FROM item_prices ORDER BY item_id").fetchall()[0] == (
        "it-01",
        2.5,
        250,
        1,
    )
    con.close()
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert "zonedata:derived" not in descriptor  # the declarations name the package's files
    (resource,) = [r for r in descriptor["resources"] if r["name"] == "item_prices"]
    assert resource["zonedata:derived"] == {"sqlPath": PRICES["sqlPath"], "sql": PRICES_SQL}
    assert resource["schema"]["foreignKeys"] == PRICES["schema"]["foreignKeys"]
    assert verify_release(folder).ok


def test_a_derived_row_that_breaks_the_schema_is_located(tmp_path: Path) -> None:
    sql = PRICES_SQL.replace("AS price_cents", "* (i.item_id <> 'it-02') - 1 AS price_cents")
    sql = sql.replace("SELECT i.item_id AS item_id", "SELECT i.item_id || 'x' AS item_id")
    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: sql})
    with pytest.raises(DerivedTableError) as info:
        build_release(pkg, out=tmp_path / "dist")
    got = {(p.code, p.path, p.line, p.field) for p in info.value.problems}
    assert ("foreign-key-dangling", "item_prices.csv", 2, "item_id") in got
    assert "derived table 'item_prices' breaks its schema" in str(info.value)


def test_the_query_must_return_the_schema_fields(tmp_path: Path) -> None:
    sql = "SELECT item_id, price_eur FROM items ORDER BY item_id"
    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: sql})
    with pytest.raises(ValidationFailedError) as info:  # (validate compiles it first)
        build_release(pkg, out=tmp_path / "dist")
    (problem,) = info.value.report.problems
    assert (problem.code, problem.path, problem.table) == (
        "derived-sql",
        str(pkg / "datapackage.json"),
        "item_prices",
    )
    assert "returns the columns ['item_id', 'price_eur']" in problem.message


@pytest.mark.parametrize(
    ("value", "kind", "cell_text"),
    [
        (None, "number", None),
        ("6.0", "number", "6.0"),  # text is kept: a printed figure keeps its digits
        (6.0, "number", "6"),  # a REAL does not
        (2.5, "number", "2.5"),
        (1e20, "number", "100000000000000000000"),
        (1e-7, "number", "0.0000001"),
        (7, "integer", "7"),
        (1, "boolean", "true"),
        (0, "boolean", "false"),
        (2, "boolean", "2"),  # not a boolean: the schema check refuses it
    ],
)
def test_a_value_becomes_a_cell(value: object, kind: str, cell_text: str | None) -> None:
    assert cell(Field(name="x", type=kind), value) == cell_text


def test_a_blob_is_not_a_cell() -> None:
    with pytest.raises(TypeError, match="blob"):
        cell(Field(name="x", type="string"), b"\x00")


# --- the bundled package's city_indicators.sql on chosen figures --------------------------------


def _city_package(folder: Path) -> Path:
    """The tables city_indicators.sql reads, with figures chosen for its rules."""
    tables = {
        "sources": ("source_id", ["s1", "s2"]),
        "cities": ("city_id", ["a", "b", "c"]),
        "exchange_rates": (
            "rate_id,date,kind,cny_per_usd",
            [
                "nbs-2001-annual,2001,annual-average,8",
                "nbs-2018-annual,2018,annual-average,6.6174",
                "cfets-2019-05-14,2019-05-14,central-parity,6.8365",
            ],
        ),
        "city_gdp": (
            "city_id,year,source_id,gdp_cny_bn,approximate,preferred",
            [
                "a,2001,s1,1,false,true",  # 1 / 8 = 0.125: half up
                "a,2018,s1,2400,true,false",
                "a,2018,s2,2422.198,false,true",  # 366.0347...
                "b,2001,s1,3,false,true",  # 0.375
                "b,2018,s1,1880,false,true",  # 284.1025...: both decimals kept
                "c,2001,s1,0,false,true",
                "c,2019,s1,110,false,true",  # a central parity of a day is not the year's
            ],
        ),
        "city_growth": (
            "city_id,year,source_id,growth_pct,approximate,preferred",
            ["a,2018,s2,7.6,false,true", "c,2018,s1,6.0,true,true"],  # c: growth, no GDP
        ),
    }
    bundled = read_package(BUNDLED)
    resources = []
    for name, (header, rows) in tables.items():
        fields = header.split(",")
        schema = dict(bundled.table(name).descriptor["schema"])
        schema["fields"] = [f for f in schema["fields"] if f["name"] in fields]
        schema["foreignKeys"] = [
            fk for fk in schema.get("foreignKeys", []) if set(fk["fields"]) <= set(fields)
        ]
        resources.append({"name": name, "path": f"data/{name}.csv", "schema": schema})
        (folder / "data").mkdir(parents=True, exist_ok=True)
        (folder / "data" / f"{name}.csv").write_text(
            "\n".join([header, *rows]) + "\n", encoding="utf-8"
        )
    (declared,) = [
        d for d in bundled.descriptor["zonedata:derived"] if d["name"] == "city_indicators"
    ]
    shutil.copytree(BUNDLED.parent / "derived", folder / "derived")
    descriptor = {"name": "cities", "zonedata:derived": [declared], "resources": resources}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


def test_usd_at_the_annual_average_rate_rounded_half_up_exactly(tmp_path: Path) -> None:
    pkg = _city_package(tmp_path / "pkg")
    report = validate_package(pkg)
    assert not report.errors, report.errors
    (derived,) = derive_all(read_package(pkg), report.data)
    assert derived.csv.decode("utf-8").splitlines() == [
        "city_id,year,gdp_cny_bn,gdp_approximate,gdp_source_id,growth_pct,growth_approximate,"
        "growth_source_id,usd_rate_id,cny_per_usd,gdp_usd_bn",
        "a,2001,1,false,s1,,,,nbs-2001-annual,8,0.13",
        "a,2018,2422.198,false,s2,7.6,false,s2,nbs-2018-annual,6.6174,366.03",
        "b,2001,3,false,s1,,,,nbs-2001-annual,8,0.38",
        "b,2018,1880,false,s1,,,,nbs-2018-annual,6.6174,284.10",
        "c,2001,0,false,s1,,,,nbs-2001-annual,8,0.00",
        "c,2018,,,,6.0,true,s1,,,",  # growth as printed; no GDP, so no USD
        "c,2019,110,false,s1,,,,,,",  # no annual rate for 2019: never estimated
    ]


def test_two_annual_rates_for_a_year_stop_the_release(tmp_path: Path) -> None:
    pkg = _city_package(tmp_path / "pkg")
    rates = pkg / "data" / "exchange_rates.csv"
    rates.write_text(
        rates.read_text(encoding="utf-8") + "other-2018,2018,annual-average,6.5\n",
        encoding="utf-8",
    )
    report = validate_package(pkg)
    with pytest.raises(DerivedTableError) as info:
        derive_all(read_package(pkg), report.data)
    # each 2018 row twice: the primary key refuses the second (lines 4, 7 and 10)
    assert [(p.code, p.path, p.line) for p in info.value.problems] == [
        ("primary-key-duplicate", "city_indicators.csv", line) for line in (4, 7, 10)
    ]


# --- malformed declarations: located descriptor problems -----------------------------------------

MALFORMED = {
    "not a list": ({"name": "x"}, "zonedata:derived", "is not of type 'array'"),
    "no sqlPath": (
        [{k: v for k, v in PRICES.items() if k != "sqlPath"}],
        "zonedata:derived/0",
        "'sqlPath' is a required property",
    ),
    "a number as name": ([{**PRICES, "name": 5}], "zonedata:derived/0/name", "5 is not of type"),
    "an unknown property": (
        [{**PRICES, "sql": "SELECT 1"}],
        "zonedata:derived/0",
        "'sql' was unexpected",
    ),
    "an unknown type": (
        [{**PRICES, "schema": {"fields": [{"name": "x", "type": "money"}]}}],
        "zonedata:derived/0/schema/fields/0/type",
        "'money' is not one of",
    ),
    "no fields": (
        [{**PRICES, "schema": {"fields": []}}],
        "zonedata:derived/0/schema/fields",
        "should be non-empty",
    ),
    "an unsafe name": (
        [{**PRICES, "name": "Item Prices"}],
        "zonedata:derived/0/name",
        "the name 'Item Prices' may hold only lowercase",
    ),
    "a name the database keeps": (
        [{**PRICES, "name": "_tables"}],
        "zonedata:derived/0/name",
        "reserved by the release's SQLite database",
    ),
    "a resource's name": (
        [{**PRICES, "name": "items"}],
        "zonedata:derived/0/name",
        "already the name of a table",
    ),
    "a path leaving the folder": (
        [{**PRICES, "sqlPath": "../outside.sql"}],
        "zonedata:derived/0/sqlPath",
        "sqlPath '../outside.sql' has an empty, '.' or '..' part",
    ),
    "an absolute path": (
        [{**PRICES, "sqlPath": "/etc/passwd"}],
        "zonedata:derived/0/sqlPath",
        "is absolute",
    ),
    "a missing file": (
        [{**PRICES, "sqlPath": "derived/none.sql"}],
        "zonedata:derived/0/sqlPath",
        "the SQL file derived/none.sql does not exist",
    ),
    "a symlink leaving the folder": (
        [{**PRICES, "sqlPath": "derived/link.sql"}],
        "zonedata:derived/0/sqlPath",
        "sqlPath 'derived/link.sql' resolves outside its folder",
    ),
    "a foreign key to nothing": (
        [
            {
                **PRICES,
                "schema": {
                    **PRICES["schema"],
                    "foreignKeys": [
                        {
                            "fields": ["item_id"],
                            "reference": {"resource": "shops", "fields": ["id"]},
                        }
                    ],
                },
            }
        ],
        "zonedata:derived/0/schema/foreignKeys",
        "refers to resource 'shops'",
    ),
    "a primary key of no field": (
        [{**PRICES, "schema": {**PRICES["schema"], "primaryKey": ["sku"]}}],
        "zonedata:derived/0/schema/primaryKey",
        "the primary key uses 'sku'",
    ),
}


def test_malformed_declarations_are_located_descriptor_problems(tmp_path: Path) -> None:
    """Each case in its own package; all validated in one bounded child process."""
    outside = tmp_path / "outside.sql"
    outside.write_text("SELECT 1", encoding="utf-8")
    folders = {}
    for i, (label, (declared, _, _)) in enumerate(MALFORMED.items()):
        pkg = make_package(tmp_path / f"p{i}", declared, {PRICES["sqlPath"]: PRICES_SQL})
        (pkg / "derived" / "link.sql").symlink_to(outside)
        folders[label] = str(pkg)
    code = textwrap.dedent(
        f"""
        import json
        from zonedata.validate.engine import validate_package
        out = {{}}
        for label, folder in {folders!r}.items():
            report = validate_package(folder)
            out[label] = [(p.code, p.line, p.message) for p in report.problems]
        print(json.dumps(out))
        """
    )
    outcome = run_python(code)
    assert outcome.code == 0, outcome.output
    got = json.loads(outcome.stdout)
    for label, (_, pointer, words) in MALFORMED.items():
        problems = got[label]
        assert [c for c, _, _ in problems] == ["derived-invalid"], (label, problems)
        ((_, line, message),) = problems
        assert f"at property '{pointer}'" in message and words in message, (label, message)
        assert line is not None, label  # located in datapackage.json


def test_null_declarations_are_located(tmp_path: Path) -> None:
    pkg = make_package(tmp_path / "pkg")
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    (pkg / "datapackage.json").write_text(
        json.dumps({"zonedata:derived": None, **d}, indent=2), encoding="utf-8"
    )
    report = validate_package(pkg)
    assert [(p.code, p.line, p.column) for p in report.problems] == [("derived-invalid", 2, 23)]
    assert (
        "at property 'zonedata:derived': None is not of type 'array'" in report.problems[0].message
    )


def test_the_bundled_declarations_are_valid() -> None:
    report = validate_package(BUNDLED)
    assert not [p for p in report.problems if p.code == "derived-invalid"]


# --- hostile SQL: refused, bounded in time and memory ---------------------------------------------

FIELDS = "NULL AS price_eur, NULL AS price_cents, NULL AS on_sale"
HOSTILE = {
    "a write": ("DELETE FROM items", "not authorized"),
    "a table created": ("CREATE TABLE x AS SELECT * FROM items", "not authorized"),
    "an attached file": ("ATTACH DATABASE '{tmp}/evil.db' AS evil", "not authorized"),
    "a pragma": ("PRAGMA writable_schema = ON", "not authorized"),
    "a loop forever": (
        f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS item_id, {FIELDS} FROM c",
        "not authorized",
    ),
    "ten million rows": (
        f"SELECT a.item_id || b.item_id || c.item_id || d.item_id AS item_id, {FIELDS} "
        "FROM items a, items b, items c, items d LIMIT 10000000",
        "returns more than 1,000,000 rows",
    ),
    "endless work": (
        f"SELECT count(*) AS item_id, {FIELDS} FROM items a, items b, items c, items d, items e",
        "stopped after 1,000,000,000 steps",
    ),
    "a huge value": (
        f"SELECT hex(zeroblob(40000000)) AS item_id, {FIELDS}",  # 80 MB of text
        "the query fails: string or blob too big",
    ),
    "many large values": (
        f"SELECT hex(zeroblob(30000000)) || item_id AS item_id, {FIELDS} FROM items",  # 6 GB
        "returns more than 268,435,456 bytes",
    ),
    "a blob": (f"SELECT x'00ff' AS item_id, {FIELDS}", "returns a blob in field 'item_id'"),
    # 10,000 rows of 20 MB sorted: 200 GB without a bound on memory
    "much memory": (
        f"SELECT substr(x, 1, 3) AS item_id, {FIELDS} FROM (SELECT hex(zeroblob(10000000)) "
        "|| a.item_id || b.item_id AS x FROM items a, items b ORDER BY x DESC) LIMIT 1",
        "the query needs more memory than the 536,870,912 bytes a query may take "
        "(ZONEDATA_MAX_SQL_MEMORY_BYTES)",
    ),
    # one call, one step: hours of comparisons that no progress handler sees
    "a costly call": (
        f"SELECT item_id, {FIELDS} FROM items, (SELECT printf('%.*c', 10000000, 'a') AS s) "
        "WHERE s LIKE '%' || printf('%.*c', 40000, 'a') || 'b'",
        "the query calls instr, replace, trim, ltrim, rtrim, LIKE or GLOB on a text and a "
        "pattern too long together",
    ),
    "a costly trim": (
        f"SELECT trim(printf('%.*c', 2000000, 'a'), printf('%.*c', 20000, 'b') || 'a') "
        f"|| item_id AS item_id, {FIELDS} FROM items",
        "the query calls instr, replace, trim, ltrim, rtrim, LIKE or GLOB",
    ),
    # results that depend on the machine, or a pointer
    "the SQLite version": (f"SELECT sqlite_version() AS item_id, {FIELDS}", "not authorized"),
    "a pointer": (f"SELECT hex(fts3_tokenizer('simple')) AS item_id, {FIELDS}", "not authorized"),
    "a pragma function": (
        f"SELECT name AS item_id, {FIELDS} FROM pragma_table_info('items')",
        "not authorized",
    ),
    # results that are no function of the data: a release would not rebuild the same
    "chance": (f"SELECT hex(randomblob(4)) AS item_id, {FIELDS}", "not authorized"),
    "the clock": (f"SELECT datetime('now') AS item_id, {FIELDS}", "not authorized"),
    "two statements": (f"SELECT 'a' AS item_id, {FIELDS}; DROP TABLE items", "the query fails"),
}


#: hostile SQL that does not compile under the release's authorizer: validate reports it
#: at its declaration (derived-sql), and release stops at validation
UNCOMPILED = (
    "a write",
    "a table created",
    "an attached file",
    "a pragma",
    "a loop forever",
    "chance",
    "the clock",
    "two statements",
    "the SQLite version",
    "a pointer",
    "a pragma function",
)


@pytest.mark.parametrize("label", [k for k in HOSTILE if k not in UNCOMPILED])
def test_hostile_sql_is_refused(tmp_path: Path, label: str) -> None:
    sql, words = HOSTILE[label]
    rows = [(f"i{n:02d}", "x", "1", "no") for n in range(100)]
    pkg = make_package(
        tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: sql.format(tmp=tmp_path)}, rows
    )
    outcome = run_cli("release", str(pkg), "--out", str(tmp_path / "dist"))
    outcome.assert_clean_failure(2)
    assert "derived table 'item_prices' is refused: derived/item_prices.sql" in outcome.output
    assert words in outcome.output, outcome.output
    assert not (tmp_path / "evil.db").exists()
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


@pytest.mark.parametrize("label", UNCOMPILED)
def test_hostile_sql_that_does_not_compile_is_reported_by_validate(
    tmp_path: Path, label: str
) -> None:
    sql, words = HOSTILE[label]
    rows = [(f"i{n:02d}", "x", "1", "no") for n in range(100)]
    pkg = make_package(
        tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: sql.format(tmp=tmp_path)}, rows
    )
    line, column = _sql_path_at(pkg)
    outcome = run_cli("validate", str(pkg / "datapackage.json"), cwd=tmp_path)
    outcome.assert_clean_failure(1)
    assert f"{line}:{column}  error    derived-sql: Derived table declaration" in outcome.stdout
    assert "at property 'zonedata:derived/0/sqlPath': derived/item_prices.sql:" in outcome.stdout
    assert words in outcome.stdout, outcome.output
    outcome = run_cli("release", str(pkg), "--out", str(tmp_path / "dist"))
    outcome.assert_clean_failure(1)  # invalid: validation stops the release
    assert "derived-sql" in outcome.output and words in outcome.output
    assert not (tmp_path / "evil.db").exists()
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def _sql_path_at(pkg: Path) -> tuple[int, int]:
    """The line and column of the first declaration's sqlPath value in the descriptor."""
    lines = (pkg / "datapackage.json").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if '"sqlPath"' in text)
    return line, lines[line - 1].index('"derived/') + 1


#: SQL that does not compile on the release's tables, or does not return the schema's
#: fields: (SQL, words of the message)
UNCOMPILABLE = {
    "a syntax error": ("SELEC item_id FROM items", 'near "SELEC": syntax error'),
    "an unknown table": (
        PRICES_SQL.replace("FROM items AS i", "FROM itemz AS i"),
        "no such table: itemz",
    ),
    "an unknown column": (
        PRICES_SQL.replace("i.on_sale AS", "i.sale AS"),
        "no such column: i.sale",
    ),
    "an unknown text table": (
        PRICES_SQL.replace("JOIN text.items", "JOIN text.shops"),
        "no such table: text.shops",
    ),
    "other columns": (
        "SELECT item_id, price_eur FROM items ORDER BY item_id",
        "the query returns the columns ['item_id', 'price_eur']; the schema has "
        "['item_id', 'price_eur', 'price_cents', 'on_sale']",
    ),
    "no statement": ("-- nothing but a comment", "the query returns the columns []"),
    "a NUL": ("SELECT item_id\x00 FROM items", "the query contains a null character"),
}


def test_sql_that_does_not_compile_is_located_by_validate(tmp_path: Path) -> None:
    """Each case in its own package, validated in process (nothing of the SQL runs); the
    release of each stops at validation, before anything is written."""
    for i, (label, (sql, words)) in enumerate(UNCOMPILABLE.items()):
        pkg = make_package(tmp_path / f"p{i}", [PRICES], {PRICES["sqlPath"]: sql})
        report = validate_package(pkg)
        got = [(p.code, p.path, (p.line, p.column), p.table) for p in report.problems]
        where = str(pkg / "datapackage.json")
        assert got == [("derived-sql", where, _sql_path_at(pkg), "item_prices")], (label, got)
        assert words in report.problems[0].message, (label, report.problems[0].message)
    pkg = tmp_path / "p0"
    with pytest.raises(ValidationFailedError):
        build_release(pkg, out=tmp_path / "dist")
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_the_sql_is_compiled_on_the_tables_validation_reads_itself(tmp_path: Path) -> None:
    """A table frictionless reads (here: a datetime field) is not in the database the
    release derives on: SQL that reads it is reported, as release would refuse it."""
    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: PRICES_SQL})
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    (pkg / "data" / "stamps.csv").write_text("at\n2020-01-01T00:00:00Z\n", encoding="utf-8")
    stamps = {"fields": [{"name": "at", "type": "datetime"}]}
    d["resources"].append({"name": "stamps", "path": "data/stamps.csv", "schema": stamps})
    (pkg / "datapackage.json").write_text(json.dumps(d, indent=2), encoding="utf-8")
    (pkg / PRICES["sqlPath"]).write_text(
        PRICES_SQL.replace("ORDER BY", "AND EXISTS (SELECT 1 FROM stamps) ORDER BY"),
        encoding="utf-8",
    )
    report = validate_package(pkg)
    assert [(p.code, p.table) for p in report.problems] == [("derived-sql", "item_prices")]
    assert "no such table: stamps" in report.problems[0].message


def test_sql_on_a_table_frictionless_reads_says_so(tmp_path: Path) -> None:
    """A release derives from the tables zonedata reads itself: one declared in another
    encoding is read by frictionless, and is not in the database the SQL runs on."""
    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: PRICES_SQL})
    d = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    d["resources"][0]["encoding"] = "latin-1"
    (pkg / "datapackage.json").write_text(json.dumps(d, indent=2), encoding="utf-8")
    report = validate_package(pkg)
    assert [(p.code, (p.line, p.column)) for p in report.problems] == [
        ("derived-sql", _sql_path_at(pkg))
    ]
    assert (
        "no such table: items: table 'items' is read by frictionless (encoding 'latin-1'), and "
        "a derived table's SQL runs only on the tables zonedata reads itself"
    ) in report.problems[0].message


# --- verify derives a release's tables again ----------------------------------------------------


def _release_with_sql(tmp_path: Path, sql: str) -> Path:
    """A release of the generated package whose item_prices resources carry ``sql``
    (SHA256SUMS rewritten to match: the change is the publisher's, not an accident)."""
    import hashlib

    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: PRICES_SQL})
    build_release(pkg, out=tmp_path / "dist")
    folder = tmp_path / "dist" / STEM
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    for r in descriptor["resources"]:
        if "zonedata:derived" in r:
            r["zonedata:derived"]["sql"] = sql
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    sums = folder / "SHA256SUMS"
    lines = [
        f"{digest}  datapackage.json" if line.endswith("  datapackage.json") else line
        for line in sums.read_text(encoding="ascii").splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n", encoding="ascii")
    return folder


def test_verify_derives_the_tables_again(tmp_path: Path) -> None:
    folder = _release_with_sql(tmp_path, PRICES_SQL.replace("* 100", "* 10"))
    result = verify_release(folder)
    assert [(p.code, p.path) for p in result.errors] == [("release-derived", "item_prices.parquet")]
    assert (
        "row 1 is ('it-01', '2.50', '250', 'true'); its SQL gives ('it-01', '2.50', '25', 'true')"
        in (result.errors[0].message)
    )


def test_verify_refuses_hostile_sql_in_a_release(tmp_path: Path) -> None:
    folder = _release_with_sql(tmp_path, "ATTACH DATABASE 'evil.db' AS evil")
    outcome = run_cli("verify", str(folder), cwd=tmp_path)
    outcome.assert_clean_failure(1)
    assert (
        "DERIVED    item_prices.parquet: derived table 'item_prices' is not what its SQL gives"
        in (outcome.output)
    )
    assert "not authorized" in outcome.output
    assert not (tmp_path / "evil.db").exists()


def test_verify_refuses_sql_that_needs_too_much_memory(tmp_path: Path) -> None:
    """The SQL of a release, rewritten (its hash fixed) to sort 3^6 values of 20 MB: a
    finding of verify's, not an internal error, in a child bounded to 2 GiB."""
    sql = (
        f"SELECT substr(x, 1, 3) AS item_id, {FIELDS} FROM (SELECT hex(zeroblob(10000000)) "
        "|| a.item_id || b.item_id || c.item_id || d.item_id || e.item_id || f.item_id AS x "
        "FROM items a, items b, items c, items d, items e, items f ORDER BY x DESC) LIMIT 1"
    )
    folder = _release_with_sql(tmp_path, sql)
    outcome = run_cli("verify", str(folder), cwd=tmp_path)
    outcome.assert_clean_failure(1)
    assert (
        "DERIVED    item_prices.parquet: derived table 'item_prices' is not what its SQL gives: "
        "the query needs more memory than the 536,870,912 bytes"
    ) in outcome.output, outcome.output


def test_many_slow_calls_stop_at_the_deadline(tmp_path: Path) -> None:
    """Each call takes a tenth of a second and a few steps: the progress handler (every
    10,000 steps) would see the clock after minutes; the watchdog stops it at 2 s."""
    sql = (
        f"SELECT length(printf('%.*c', 30000000 + a.rowid + b.rowid, 'a')) AS item_id, {FIELDS} "
        "FROM items a, items b"
    )
    rows = [(f"i{n:02d}", "x", "1", "no") for n in range(100)]
    pkg = make_package(tmp_path / "pkg", [PRICES], {PRICES["sqlPath"]: sql}, rows)
    env = {"ZONEDATA_MAX_SQL_SECONDS": "2"}
    outcome = run_cli("release", str(pkg), "--out", str(tmp_path / "dist"), env=env, timeout=30)
    outcome.assert_clean_failure(2)
    assert "derived table 'item_prices' is refused: derived/item_prices.sql" in outcome.output
    assert "stopped after 1,000,000,000 steps or 2 s of work" in outcome.output, outcome.output


def test_instr_and_replace_of_long_texts_take_linear_time(tmp_path: Path) -> None:
    """SQLite's instr and replace compare the pattern at every place (28 s for these 2 MB
    at 35 GB/s); zonedata's search them in linear time, with SQLite's results."""
    code = textwrap.dedent(
        """
        import sqlite3, time
        from zonedata.sqlguard import BoundedConnection, guard
        con = sqlite3.connect(":memory:", isolation_level=None, factory=BoundedConnection)
        guard(con, declared=True)
        start = time.monotonic()
        big = "SELECT printf('%.*c', 2000000, 'a') AS s"
        print(con.execute(f"SELECT instr(s, substr(s, 1000001) || 'b') FROM ({big})").fetchone())
        print(con.execute(f"SELECT length(replace(s, substr(s, 1000001) || 'b', 'x')) FROM ({big})").fetchone())
        print(con.execute(
            "SELECT instr('héllo', 'l'), instr(x'0102', x'02'), instr(12.5, '.'), "
            "replace('a-b', '-', '_'), replace(12.5, '.', ','), replace('a', '', 'b'), "
            "replace(NULL, 'a', 'b'), 'Ab' LIKE 'a%', 'a_b' LIKE 'a!_b' ESCAPE '!', "
            "'ab' GLOB 'A*', trim('xxaxx', 'x'), rtrim('a  ')"
        ).fetchone())
        print(time.monotonic() - start < 5)
        """
    )
    outcome = run_python(code, env={"ZONEDATA_MAX_SQL_SECONDS": "5"}, timeout=30)
    assert outcome.code == 0, outcome.output
    assert outcome.stdout.splitlines() == [
        "(0,)",
        "(2000000,)",
        "(3, 2, 3, 'a_b', '12,5', 'a', None, 1, 1, 0, 'a', 'a')",
        "True",
    ]


@pytest.mark.parametrize("sql_path", ["../outside.sql", "derived/link.sql"])
def test_a_sql_path_leaving_the_folder_stops_the_release(tmp_path: Path, sql_path: str) -> None:
    outside = tmp_path / "outside.sql"
    outside.write_text("SELECT 'x' AS item_id", encoding="utf-8")
    pkg = make_package(tmp_path / "pkg", [{**PRICES, "sqlPath": sql_path}])
    (pkg / "derived").mkdir()
    (pkg / "derived" / "link.sql").symlink_to(outside)
    outcome = run_cli("release", str(pkg), "--out", str(tmp_path / "dist"))
    outcome.assert_clean_failure(1)  # invalid: validation stops the release
    assert "derived-invalid" in outcome.output and f"sqlPath '{sql_path}'" in outcome.output
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())


def test_the_declarations_json_schema_is_a_json_schema() -> None:
    import jsonschema

    from zonedata.validate import derived_checks

    path = Path(derived_checks.__file__).parent / derived_checks.SCHEMA_FILE
    schema = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    bundled = json.loads(BUNDLED.read_text(encoding="utf-8"))["zonedata:derived"]
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(bundled))


def test_the_declared_rules_hold_for_derived_rows(tmp_path: Path) -> None:
    """A package that declares no-formula gets no formula cell from its SQL either: the
    release stops before writing anything (it would have published it, and verify refused)."""
    declared = [{**PRICES, "schema": {**PRICES["schema"], "foreignKeys": []}}]
    sql = "SELECT '=1+1' || item_id AS item_id, NULL AS price_eur, NULL AS price_cents, "
    sql += "NULL AS on_sale FROM items ORDER BY 1"
    pkg = make_package(tmp_path / "pkg", declared, {PRICES["sqlPath"]: sql})
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["zonedata:rules"] = [{"kind": "no-formula", "code": "formula-cell"}]
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(DerivedTableError) as e:
        build_release(pkg, out=tmp_path / "dist")
    assert e.value.table == "item_prices"
    assert [p.code for p in e.value.problems] == ["formula-cell"] * len(ROWS)
    assert not (tmp_path / "dist").exists() or not any((tmp_path / "dist").iterdir())
