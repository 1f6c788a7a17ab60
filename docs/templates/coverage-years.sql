-- coverage-years: per year of city_gdp or city_growth, how many host cities (cities with a
-- zone in zone_cities) have a GDP figure and a growth figure. Run by `zonedata docs` on the
-- cells as the CSV files hold them (schema `text`); years sorted as text.
WITH
hosting AS (SELECT DISTINCT city_id FROM text.zone_cities),
years AS (SELECT year FROM text.city_gdp UNION SELECT year FROM text.city_growth)
SELECT y.year,
  (
    SELECT count(DISTINCT g.city_id) FROM text.city_gdp AS g
    WHERE g.year = y.year AND g.city_id IN (SELECT city_id FROM hosting)
  ) AS gdp,
  (
    SELECT count(DISTINCT g.city_id) FROM text.city_growth AS g
    WHERE g.year = y.year AND g.city_id IN (SELECT city_id FROM hosting)
  ) AS growth
FROM years AS y
ORDER BY y.year
