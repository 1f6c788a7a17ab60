"""Small data packages of another publisher, written into a test's folder.

:func:`city_air_quality` is the package of issue 20 (names frictionless accepts: a
leading underscore, a dot, a leading digit); :func:`package` writes any tables.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The issue's table names: (stations, annual readings, summary).
NAMES = ("_stations", "readings.annual", "3day-summary")


def package(root: Path, resources: list[dict[str, Any]], **meta: Any) -> Path:
    """Write ``datapackage.json`` in ``root`` (with ``data/<file>`` already written)."""
    root.mkdir(parents=True, exist_ok=True)
    descriptor = {"name": "city-air-quality", "version": "2.3.1", **meta, "resources": resources}
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n", "utf-8")
    return root


def csv_resource(
    root: Path, name: str, text: str, fields: list[dict[str, Any]], **schema: Any
) -> dict[str, Any]:
    """A CSV resource ``name`` whose file ``data/<n>.csv`` holds ``text``."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    file = f"data/t{len(list((root / 'data').iterdir()))}.csv"
    (root / file).write_text(text, "utf-8")
    return {"name": name, "path": file, "schema": {"fields": fields, **schema}}


def city_air_quality(root: Path, names: tuple[str, str, str] = NAMES, **meta: Any) -> Path:
    """The issue's package: a foreign key; date, year, boolean and number fields."""
    stations, annual, summary = names
    resources = [
        csv_resource(
            root,
            stations,
            "station_id,name,opened,active\nS1,North,2019-04-01,true\nS2,South,2020-06-15,false\n",
            [
                {"name": "station_id", "type": "string", "constraints": {"required": True}},
                {"name": "name", "type": "string"},
                {"name": "opened", "type": "date"},
                {"name": "active", "type": "boolean"},
            ],
            primaryKey=["station_id"],
        ),
        csv_resource(
            root,
            annual,
            "station_id,year,pm25\nS1,2022,12.5\nS1,2023,11.0\nS2,2023,9.75\n",
            [
                {"name": "station_id", "type": "string", "constraints": {"required": True}},
                {"name": "year", "type": "year", "constraints": {"required": True}},
                {"name": "pm25", "type": "number"},
            ],
            primaryKey=["station_id", "year"],
            foreignKeys=[
                {
                    "fields": ["station_id"],
                    "reference": {"resource": stations, "fields": ["station_id"]},
                }
            ],
        ),
        csv_resource(
            root,
            summary,
            "day,pm25\n2023-01-01,10.1\n2023-01-02,10.1\n2023-01-03,8\n",
            [{"name": "day", "type": "date"}, {"name": "pm25", "type": "number"}],
        ),
    ]
    return package(root, resources, **meta)
