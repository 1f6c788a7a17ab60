-- coverage-gaps: what the data lacks, for "Known gaps" in docs/coverage.md: one row per
-- missing item, (list, year, item), sorted by list, year and item. Run by `zonedata docs`
-- on the cells as the CSV files hold them (schema `text`).
--
-- Lists:
--   gdp, growth     the host cities (with a zone in zone_cities) without a GDP or growth
--                   figure for a year that city_gdp or city_growth has;
--   weak            preferred figures that are approximate or of confidence C, as
--                   "<city> <year> <GDP|growth> (approximate|confidence C)";
--   no-industries   zones without a row in zone_industries;
--   undated         zones without a row in zone_dates;
--   no-day          dated zones whose preferred dates are all month or year only;
--   no-address      sources without a url;
--   unchecked       claims assessed "unchecked".
-- year is empty except in the lists gdp and growth.
WITH
hosting AS (SELECT DISTINCT city_id FROM text.zone_cities),
years AS (SELECT year FROM text.city_gdp UNION SELECT year FROM text.city_growth),
figures AS (
  SELECT 'gdp' AS list, 'GDP' AS what, city_id, year, preferred, approximate, confidence
  FROM text.city_gdp
  UNION ALL
  SELECT 'growth', 'growth', city_id, year, preferred, approximate, confidence
  FROM text.city_growth
)
SELECT l.list, y.year, h.city_id AS item
FROM (SELECT 'gdp' AS list UNION ALL SELECT 'growth') AS l, years AS y, hosting AS h
WHERE NOT EXISTS (
  SELECT 1 FROM figures AS f WHERE f.list = l.list AND f.year = y.year AND f.city_id = h.city_id
)
UNION ALL
SELECT 'weak', '', city_id || ' ' || year || ' ' || what || ' ('
  || CASE WHEN approximate = 'true' THEN 'approximate' ELSE 'confidence ' || confidence END
  || ')'
FROM figures
WHERE preferred = 'true' AND (approximate = 'true' OR confidence = 'C')
UNION ALL
SELECT 'no-industries', '', zone_id FROM text.zones
WHERE zone_id NOT IN (SELECT zone_id FROM text.zone_industries)
UNION ALL
SELECT 'undated', '', zone_id FROM text.zones
WHERE zone_id NOT IN (SELECT zone_id FROM text.zone_dates)
UNION ALL
SELECT 'no-day', '', zone_id FROM text.zones
WHERE zone_id IN (SELECT zone_id FROM text.zone_dates)
  AND zone_id NOT IN (
    SELECT zone_id FROM text.zone_dates WHERE preferred = 'true' AND length(date) = 10
  )
UNION ALL
SELECT 'no-address', '', source_id FROM text.sources WHERE coalesce(url, '') = ''
UNION ALL
SELECT 'unchecked', '', claim_id FROM text.claims WHERE assessment = 'unchecked'
ORDER BY 1, 2, 3
