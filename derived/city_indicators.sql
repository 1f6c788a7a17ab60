-- city_indicators: one row per city and year, with the preferred GDP and growth and their
-- sources, and the GDP in US dollars at the year's NBS annual average rate.
-- Run by `zonedata release` on the release's SQLite database: the tables in `main` are
-- typed (booleans are 0 or 1, figures REAL), the same tables in `text` hold the cells as
-- the CSV files do, so a figure copied from `text` keeps its printed digits (6.0 stays 6.0).
--
-- Rules:
-- 1. One row per city and year that city_gdp or city_growth has, sorted by city_id and year.
-- 2. gdp_cny_bn, gdp_approximate and gdp_source_id come from the city's preferred city_gdp
--    row for the year, exactly as written there; growth_pct, growth_approximate and
--    growth_source_id from its preferred city_growth row. Where there is no row, they are
--    empty.
-- 3. The USD rate of a year is the exchange_rates row of kind annual-average whose date is
--    that year (the National Bureau of Statistics annual average; nbs-2018-annual, 6.6174
--    CNY per USD, for 2018). Where there is none, usd_rate_id, cny_per_usd and gdp_usd_bn
--    are empty: a rate is never estimated. They are empty too where the year has no GDP
--    figure. (Two such rates for one year would give the year two rows, which the primary
--    key refuses: the release stops.)
-- 4. gdp_usd_bn is gdp_cny_bn / cny_per_usd, computed exactly and rounded half up to 2
--    decimals. It is the package's own conversion, at one rate per year, and differs from
--    a source's own conversion (city_gdp.gdp_usd_bn), which used the rate of its day.
--    Exactly: gdp_cny_bn has at most 3 decimals and cny_per_usd at most 4 (their schemas
--    say so), so both are whole numbers of thousandths and ten-thousandths, and the
--    dollars in hundredths are computed in integers, never in floating point.
WITH
keys AS (
  SELECT city_id, year FROM city_gdp
  UNION
  SELECT city_id, year FROM city_growth
),
gdp AS (
  SELECT g.city_id, g.year, t.gdp_cny_bn AS printed, g.gdp_cny_bn AS value,
    g.approximate, g.source_id
  FROM city_gdp AS g
  JOIN text.city_gdp AS t
    ON t.city_id = g.city_id AND CAST(t.year AS INTEGER) = g.year AND t.source_id = g.source_id
  WHERE g.preferred = 1
),
growth AS (
  SELECT g.city_id, g.year, t.growth_pct AS printed, g.approximate, g.source_id
  FROM city_growth AS g
  JOIN text.city_growth AS t
    ON t.city_id = g.city_id AND CAST(t.year AS INTEGER) = g.year AND t.source_id = g.source_id
  WHERE g.preferred = 1
),
rates AS (
  SELECT CAST(r.date AS INTEGER) AS year, r.rate_id, t.cny_per_usd AS printed,
    CAST(round(r.cny_per_usd * 10000) AS INTEGER) AS ten_thousandths
  FROM exchange_rates AS r JOIN text.exchange_rates AS t ON t.rate_id = r.rate_id
  WHERE r.kind = 'annual-average' AND length(r.date) = 4
),
facts AS (
  SELECT k.city_id, k.year, g.printed AS gdp_cny_bn, g.approximate AS gdp_approximate,
    g.source_id AS gdp_source_id, w.printed AS growth_pct,
    w.approximate AS growth_approximate, w.source_id AS growth_source_id,
    CASE WHEN g.printed IS NOT NULL THEN r.rate_id END AS usd_rate_id,
    CASE WHEN g.printed IS NOT NULL THEN r.printed END AS cny_per_usd,
    CAST(round(g.value * 1000) AS INTEGER) AS thousandths,
    r.ten_thousandths
  FROM keys AS k
  LEFT JOIN gdp AS g ON g.city_id = k.city_id AND g.year = k.year
  LEFT JOIN growth AS w ON w.city_id = k.city_id AND w.year = k.year
  LEFT JOIN rates AS r ON r.year = k.year
),
-- hundredths of a dollar: floor(cny / rate * 100 + 1/2), in integers (cny >= 0)
usd AS (
  SELECT *,
    (thousandths * 2000 + ten_thousandths) / (2 * ten_thousandths) AS hundredths
  FROM facts
)
SELECT
  city_id, year, gdp_cny_bn, gdp_approximate, gdp_source_id,
  growth_pct, growth_approximate, growth_source_id, usd_rate_id, cny_per_usd,
  CASE WHEN gdp_cny_bn IS NOT NULL AND ten_thousandths IS NOT NULL
    THEN printf('%d.%02d', hundredths / 100, hundredths % 100) END AS gdp_usd_bn
FROM usd
ORDER BY city_id, year
