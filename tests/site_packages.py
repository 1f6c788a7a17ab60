"""Small data packages of other publishers, written into a folder for the site's tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.hostile import run_cli

#: markup and a right-to-left override, put in every text of the markup package
SCRIPT = "<script>alert(1)</script>"
RLO = "\u202egnp.exe"

#: the title of the foreign package: not ASCII, with a right-to-left word
FOREIGN_TITLE = "Qualité de l’air — 城市空气质量 — جودة الهواء"

STATIONS = "station_id,name,opened,active,lat\nnord,Gare du Nord,2001-05-02,true,48.88\nsud,Porte d’Orléans,1999-11-30,false,48.82\n"
READINGS = "station_id,year,pm25,complete\nnord,2022,14.5,true\nnord,2023,12.25,true\nsud,2023,9.75,false\n"
SUMMARY = "day,station_id,mean_pm25\n2023-06-01,nord,11.5\n2023-06-04,sud,8.0\n"


def _field(name: str, type_: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "description": description, **extra}


def foreign_descriptor(text: str = "") -> dict[str, Any]:
    """city-air-quality 2.3.1; ``text`` is added to every title and description."""
    station = _field("station_id", "string", f"Station code{text}", title=f"Station{text}")
    return {
        "name": "city-air-quality",
        "title": FOREIGN_TITLE + text,
        "description": f"Fine particles measured at two stations{text}.",
        "version": "2.3.1",
        "licenses": [{"name": "ODbL-1.0", "title": f"Open Database License{text}"}],
        "contributors": [{"title": f"Air Watch{text}", "roles": ["creator"]}],
        "sources": [{"title": f"Station logs{text}", "path": "https://example.org/logs"}],
        "resources": [
            {
                "name": "_stations",
                "title": f"Stations{text}",
                "description": f"One row per station{text}",
                "path": "data/_stations.csv",
                "schema": {
                    "fields": [
                        station,
                        _field("name", "string", f"Name{text}"),
                        _field("opened", "date", "Opening day"),
                        _field("active", "boolean", "Still measuring"),
                        _field("lat", "number", "Latitude"),
                    ],
                    "primaryKey": ["station_id"],
                },
            },
            {
                "name": "readings.annual",
                "title": f"Annual readings{text}",
                "description": "One row per station and year",
                "path": "data/readings.annual.csv",
                "schema": {
                    "fields": [
                        station,
                        _field("year", "year", "Year"),
                        _field("pm25", "number", f"Mean PM2.5{text}"),
                        _field("complete", "boolean", "A full year"),
                    ],
                    "primaryKey": ["station_id", "year"],
                    "foreignKeys": [
                        {
                            "fields": ["station_id"],
                            "reference": {"resource": "_stations", "fields": ["station_id"]},
                        }
                    ],
                },
            },
            {
                "name": "3day-summary",
                "title": "Three-day summary",
                "description": "One row per period",
                "path": "data/3day-summary.csv",
                "schema": {
                    "fields": [
                        _field("day", "date", "First day"),
                        station,
                        _field("mean_pm25", "number", "Mean PM2.5"),
                    ],
                    "primaryKey": ["day"],
                    "foreignKeys": [
                        {
                            "fields": ["station_id"],
                            "reference": {"resource": "_stations", "fields": ["station_id"]},
                        }
                    ],
                },
            },
        ],
    }


def write_foreign(folder: Path, text: str = "", cff: str | None = None) -> Path:
    """Write the package into ``folder``; return its ``datapackage.json``."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    for name, content in (
        ("_stations", STATIONS),
        ("readings.annual", READINGS),
        ("3day-summary", SUMMARY),
    ):
        (folder / "data" / f"{name}.csv").write_text(content, encoding="utf-8")
    descriptor = folder / "datapackage.json"
    descriptor.write_text(
        json.dumps(foreign_descriptor(text), indent=2, ensure_ascii=False) + "\n", "utf-8"
    )
    if cff is not None:
        (folder / "CITATION.cff").write_text(cff, encoding="utf-8")
    return descriptor


def build_markup_site(base: Path) -> Path:
    """The site of the foreign package with markup in every text, built in a bounded child."""
    cff = f"cff-version: 1.2.0\nmessage: '{SCRIPT}'\ntitle: t\nauthors:\n  - name: '{SCRIPT}'\n"
    package = write_foreign(base / "pkg", text=f" {SCRIPT} {RLO}", cff=cff)
    out = base / "site"
    result = run_cli("site", str(package), "--out", str(out), timeout=120)
    assert result.code == 0, result.output
    return out
