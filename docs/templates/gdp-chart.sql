-- gdp-chart: the bars of docs/gdp-chart.svg, one per figure of a host city's 2018 GDP.
-- Run by `zonedata docs` on the package's SQLite database: the tables in `main` are typed
-- (booleans are 0 or 1, figures REAL), the same tables in `text` hold the cells as the
-- CSV files do, so a figure copied from `text` keeps its printed digits.
--
-- Rules:
-- 1. One row per city_gdp row of 2018 that has a figure: the city's English name (its
--    ID where it has none), the source, the figure as printed and as a number, whether
--    it is the preferred one and whether it is approximate.
-- 2. Cities are ranked by their preferred figure (the largest figure where none is
--    preferred), largest first, then by name; within a city the preferred figure comes
--    first, then the others by source ID. city_rank is the city's place (from 0), bar the
--    bar's place among all bars (from 0), city_bars the number of bars of its city.
-- 3. source_rank is the source's place among the sources shown, by ID (from 0): the chart
--    colours a bar by it. top is the largest figure shown.
WITH
bars AS (
  SELECT g.city_id, coalesce(nullif(c.name_en, ''), g.city_id) AS city, g.source_id,
    t.gdp_cny_bn AS printed, g.gdp_cny_bn AS value, g.preferred, g.approximate
  FROM city_gdp AS g
  JOIN text.city_gdp AS t
    ON t.city_id = g.city_id AND CAST(t.year AS INTEGER) = g.year AND t.source_id = g.source_id
  LEFT JOIN cities AS c ON c.city_id = g.city_id
  WHERE g.year = 2018 AND g.gdp_cny_bn IS NOT NULL
),
headline AS (
  SELECT city_id,
    coalesce(max(CASE WHEN preferred = 1 THEN value END), max(value)) AS headline,
    count(*) AS city_bars
  FROM bars
  GROUP BY city_id
)
SELECT b.city_id, b.city, b.source_id, b.printed, b.value, b.preferred, b.approximate,
  DENSE_RANK() OVER (ORDER BY h.headline DESC, b.city, b.city_id) - 1 AS city_rank,
  ROW_NUMBER() OVER (
    ORDER BY h.headline DESC, b.city, b.city_id, b.preferred DESC, b.source_id
  ) - 1 AS bar,
  h.city_bars,
  DENSE_RANK() OVER (ORDER BY b.source_id) - 1 AS source_rank,
  max(b.value) OVER () AS top
FROM bars AS b
JOIN headline AS h ON h.city_id = b.city_id
ORDER BY bar
