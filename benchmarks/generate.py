"""Generate a synthetic data package shaped like zonedata's, of any size.

    python benchmarks/generate.py --rows 1000000 --seed 1 --out benchmarks/out/1m

Tables (schemas taken from zonedata's own datapackage.json, so the engine runs the same
checks and semantic rules): sources, provinces, cities (about rows/100), exchange_rates,
and city_gdp with ``rows`` rows: composite primary key (city_id, year, source_id), a
foreign key to cities, numeric constraints, a USD/CNY pair on about half the rows tied to
a reference rate, two sources per (city, year) with exactly one preferred (the other
differs by at most 0.4%, inside the 0.5% ``source-disagreement`` tolerance, so that rule
compares real pairs), and a partial-date column ``as_of`` added to the figures table.

The package is valid: ``zonedata validate`` reports 0 errors and 0 warnings at every
size (``benchmarks/run.py`` checks this before it times anything). The output is
byte-for-byte deterministic for a given ``--rows``, ``--seed`` and ``--faults``.

``--faults K`` breaks one figures row in K (the non-preferred row of every (K/2)-th
city and year), cycling through the faults in :data:`FAULTS`; each gives exactly one
problem, so a validator must report as many problems as there are faulty rows (their
number and the problems expected, by code, are written to ``.faults`` as JSON). It
times the paths that only run on bad data:
problem records, messages, locating columns.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
TABLES = ("sources", "provinces", "cities", "exchange_rates", "city_gdp")
YEARS_PER_CITY = 50  # 2 sources x 50 years = 100 rows per city
FIRST_YEAR = 1975  # figures for 1975-2024: none in the future


#: The faults ``--faults`` injects, in turn: the problem code each gives (one per row).
FAULTS = (
    ("usd-cny-mismatch", "error"),  # the USD figure 10% off its rate
    ("date-in-future", "error"),  # as_of 2099
    ("formula-cell", "error"),  # a note starting with "="
    ("type-error", "error"),  # gdp_cny_bn "n/a"
    ("date-invalid", "error"),  # as_of 2019-13
    ("preferred-count", "error"),  # a second preferred row for the city and year
    ("source-disagreement", "warning"),  # the alternative 2% off the preferred figure
)


def descriptor() -> dict[str, Any]:
    d: dict[str, Any] = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    d["name"] = "zonedata-synthetic"
    d["resources"] = [r for r in d["resources"] if r["name"] in TABLES]
    for r in d["resources"]:  # (keys to the tables left out, such as divisions, go)
        schema = r["schema"]
        keys = [k for k in schema.get("foreignKeys", []) if k["reference"]["resource"] in TABLES]
        schema["foreignKeys"] = keys
    for key in ("zonedata:derived", "zonedata:site", "zonedata:docs"):  # they read tables left out
        d.pop(key, None)
    # (the declarations last, as in zonedata's descriptor)
    d["zonedata:rules"] = [r for r in d.pop("zonedata:rules", []) if _declared_here(r)]
    gdp = next(r for r in d["resources"] if r["name"] == "city_gdp")
    gdp["schema"]["fields"].append(
        {
            "name": "as_of",
            "type": "string",
            "partialDate": True,
            "title": "As of",
            "description": "Date the figure was published (synthetic).",
            "constraints": {
                "required": True,
                "pattern": r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?",
            },
        }
    )
    return d


def _declared_here(rule: dict[str, Any]) -> bool:
    """Whether every table a rule declaration names is one of :data:`TABLES`."""
    named = [v for k, v in rule.items() if k in ("table", "rates", "values", "groups", "in")]
    named += rule.get("tables", []) + ([rule["scope_table"]] if "scope_table" in rule else [])
    return all(t in TABLES for t in named)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def generate(rows: int, seed: int, out: Path, faults: int = 0) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    (out / "datapackage.json").write_text(
        json.dumps(descriptor(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )

    n_cities = max(1, -(-rows // (2 * YEARS_PER_CITY)))
    sources = pd.DataFrame(
        {
            "source_id": ["src-a", "src-b", "src-rates"],
            "title": ["Synthetic source A", "Synthetic source B", "Synthetic rates"],
            "publisher": ["zonedata benchmarks"] * 3,
            "url": ["https://example.org/a", "https://example.org/b", ""],
            "published": ["2020", "2021-06", "2019-10-15"],
            "language": ["en", "zh", "en"],
            "note": ["", "", ""],
        }
    )
    if rows < 2:  # src-b first appears on row 2: an uncited source is a warning
        sources = sources[sources["source_id"] != "src-b"]
    provinces = pd.DataFrame(
        {
            "province_id": [f"p{i:03d}" for i in range(30)],
            "name_en": [f"Province {i}" for i in range(30)],
            "name_zh": [f"省{i}" for i in range(30)],
            "division": ["province"] * 30,
            "admin_code": [f"{11 + i:02d}0000" for i in range(30)],
        }
    )
    city_ids = np.array([f"c{i:07d}" for i in range(n_cities)])
    cities = pd.DataFrame(
        {
            "city_id": city_ids,
            "name_en": [f"City {i}" for i in range(n_cities)],
            "name_zh": [f"城市{i}" for i in range(n_cities)],
            "province_id": provinces["province_id"].to_numpy()[rng.integers(0, 30, n_cities)],
            "admin_code": [f"{i:06d}" for i in range(n_cities)],
        }
    )
    rates = pd.DataFrame(
        {
            "rate_id": ["r1", "r2", "r3"],
            "date": ["2018", "2019-05-22", "2019-10-15"],
            "kind": ["annual-average", "ecb-cross-rate", "ecb-cross-rate"],
            "cny_per_usd": ["6.6174", "6.9025", "7.0812"],
            "cny_per_eur": ["", "", "7.7943"],
            "usd_per_eur": ["", "", "1.1007"],
            "source_id": ["src-rates"] * 3,
            "confidence": ["A"] * 3,
            "note": [""] * 3,
        }
    )
    rate_values = np.array([6.6174, 6.9025, 7.0812])

    # city_gdp: rows sorted by (city_id, year, source_id)
    per_city = 2 * YEARS_PER_CITY
    idx = np.arange(n_cities * per_city)[:rows]
    city = idx // per_city
    year = FIRST_YEAR + (idx % per_city) // 2
    source = np.where(idx % 2 == 0, "src-a", "src-b")
    base = rng.uniform(10, 5000, n_cities * YEARS_PER_CITY)
    # the preferred source (src-a) prints the base figure; the alternative (src-b) differs
    # by at most 0.4%, inside the 0.5% tolerance of ``source-disagreement`` (no warning)
    drift = np.where(source == "src-a", 0.0, rng.uniform(-0.004, 0.004, len(idx)))
    cny = np.round(base[idx // 2] * (1 + drift), 3)
    rate_i = rng.integers(0, 3, len(idx))
    usd = np.round(cny / rate_values[rate_i], 2)
    has_usd = rng.random(len(idx)) < 0.5
    fmt = np.vectorize(lambda v: f"{v:.3f}".rstrip("0").rstrip("."))
    gdp = pd.DataFrame(
        {
            "city_id": city_ids[city],
            "year": year,
            "source_id": source,
            "gdp_cny_bn": fmt(cny),
            "gdp_usd_bn": np.where(has_usd, np.char.mod("%.2f", usd), ""),
            "usd_rate_id": np.where(has_usd, np.array(["r1", "r2", "r3"])[rate_i], ""),
            "approximate": "false",
            "preferred": np.where(source == "src-a", "true", "false"),
            "confidence": "A",
            "note": "",
            "as_of": np.array(["2019-03", "2019-10-15", "2020"])[rate_i],
        }
    )
    if faults:
        broken = inject_faults(gdp, cny, rate_values[rate_i], faults)
        expected = Counter(FAULTS[i % len(FAULTS)][0] for i in range(broken))
        summary = {"faulty_rows": broken, "problems": dict(sorted(expected.items()))}
        (out / ".faults").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    for name, df in {
        "sources": sources,
        "provinces": provinces,
        "cities": cities,
        "exchange_rates": rates,
        "city_gdp": gdp,
    }.items():
        write_csv(df, out / "data" / f"{name}.csv")


def inject_faults(gdp: pd.DataFrame, cny: np.ndarray, rate: np.ndarray, every: int) -> int:
    """Break one row in ``every`` of ``gdp`` in place (see :data:`FAULTS`); return how many.

    Only non-preferred rows (odd positions) are broken, each in its own city and year, so
    that every fault gives one problem and no fault hides another.
    """
    step = max(2, every - every % 2)
    rows = np.arange(1, len(gdp), step)
    kind = np.arange(len(rows)) % len(FAULTS)
    codes = [code for code, _ in FAULTS]

    def at(code: str) -> np.ndarray:
        return rows[kind == codes.index(code)]

    r = at("usd-cny-mismatch")
    gdp.loc[r, "gdp_usd_bn"] = np.char.mod("%.2f", np.round(cny[r] / rate[r] * 1.1, 2))
    gdp.loc[r, "usd_rate_id"] = np.array(["r1", "r2", "r3"])[
        np.searchsorted(np.array([6.6174, 6.9025, 7.0812]), rate[r])
    ]
    gdp.loc[at("date-in-future"), "as_of"] = "2099"
    gdp.loc[at("formula-cell"), "note"] = "=1+1"
    gdp.loc[at("type-error"), "gdp_cny_bn"] = "n/a"
    gdp.loc[at("date-invalid"), "as_of"] = "2019-13"
    gdp.loc[at("preferred-count"), "preferred"] = "true"
    r = at("source-disagreement")
    preferred = cny[r - 1]  # the row before: the same city and year, preferred
    gdp.loc[r, "gdp_cny_bn"] = [f"{v:.3f}" for v in np.round(preferred * 1.02, 3)]
    gdp.loc[r, ["gdp_usd_bn", "usd_rate_id"]] = ""
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, required=True, help="rows in the figures table (city_gdp)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--faults", type=int, default=0, help="break one row in K (default 0: none)")
    args = ap.parse_args()
    if args.rows < 1:
        ap.error("--rows must be at least 1")
    if args.faults < 0 or args.faults == 1:
        ap.error("--faults must be 0 (none) or at least 2")
    generate(args.rows, args.seed, args.out, args.faults)


if __name__ == "__main__":
    main()
