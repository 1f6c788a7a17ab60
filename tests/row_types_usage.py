"""How the typed API reads to a type checker: tests/test_row_types.py runs mypy (strict) on this.

Every ``assert_type`` states what mypy must infer; the file also runs as a script (the
calls are real), so the types and the values cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal, assert_type

import pandas as pd
import polars as pl
import pyarrow as pa
from pandera.typing import DataFrame

import zonedata
from zonedata.pandera_models import CityGdpModel, CityModel
from zonedata.row_types import City, CityGdp, Row, TableName, ZoneDate

# rows(): overloaded on the table name
cities = zonedata.rows("cities")
assert_type(cities, Iterator[City])
city = next(cities)
assert_type(city, City)
assert_type(city.city_id, str)
assert_type(city.name_zh, str)

gdp = next(zonedata.rows("city_gdp"))
assert_type(gdp, CityGdp)
assert_type(gdp.year, int)
assert_type(gdp.gdp_cny_bn, Decimal)  # exact
assert_type(gdp.gdp_usd_bn, Decimal | None)  # optional
assert_type(gdp.preferred, bool)
assert_type(gdp.confidence, Literal["A", "B", "C"])  # an enum
assert_type(gdp.note, str | None)

event: ZoneDate = next(zonedata.rows("zone_dates"))
assert_type(event.date, str)  # a partial date: YYYY, YYYY-MM or YYYY-MM-DD
assert_type(event.event, Literal["approved", "announced", "launched", "inaugurated"])

# a name only known at run time gives the union of the row types
some_table: str = "zones"
assert_type(zonedata.rows(some_table), Iterator[Row])
first_table: TableName = "sources"
assert_type(zonedata.tables(), list[str])

# rows() reads releases too
assert_type(zonedata.rows("cities", release=None), Iterator[City])

# load(): the frame type follows the backend
assert_type(zonedata.load("cities"), pd.DataFrame)
assert_type(zonedata.load("cities", backend="pandas", validate=False), pd.DataFrame)
assert_type(zonedata.load("cities", backend="arrow"), pa.Table)
assert_type(zonedata.load("cities", backend="polars"), pl.DataFrame)

# describe(): small frozen dataclasses
fields = zonedata.describe("city_gdp")
assert_type(fields, list[zonedata.FieldInfo])
assert_type(fields[0].unit, str | None)


# Pandera models as types
def preferred_gdp(df: DataFrame[CityGdpModel]) -> pd.DataFrame:
    return df[df["preferred"]]


def city_names(df: DataFrame[CityModel]) -> list[str]:
    return [str(name) for name in df["name_en"]]


checked = CityModel.validate(zonedata.load("cities"))
assert len(city_names(checked)) == len(zonedata.load("cities"))
assert len(preferred_gdp(CityGdpModel.validate(zonedata.load("city_gdp")))) > 0

try:
    zonedata.load("citys")
except zonedata.UnknownTableError as e:
    assert_type(e, zonedata.UnknownTableError)
    assert isinstance(e, KeyError)
