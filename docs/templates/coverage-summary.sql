-- coverage-summary: the counts of the Summary of docs/coverage.md, in one row.
-- Run by `zonedata docs` on the package's SQLite database; it reads the cells as the CSV
-- files hold them (schema `text`).
--
-- hosts: the cities that host a zone (zone_cities). zones: every zone; with_industries:
-- those with a row in zone_industries; day_precise: those with a preferred date given to
-- the day (YYYY-MM-DD). sources: every source; without_address: those without a url.
SELECT
  (SELECT count(DISTINCT city_id) FROM text.zone_cities) AS hosts,
  (SELECT count(*) FROM text.zones) AS zones,
  (
    SELECT count(DISTINCT zone_id) FROM text.zone_industries
    WHERE zone_id IN (SELECT zone_id FROM text.zones)
  ) AS with_industries,
  (
    SELECT count(DISTINCT zone_id) FROM text.zone_dates
    WHERE preferred = 'true' AND length(date) = 10
      AND zone_id IN (SELECT zone_id FROM text.zones)
  ) AS day_precise,
  (SELECT count(*) FROM text.sources) AS sources,
  (SELECT count(*) FROM text.sources WHERE coalesce(url, '') = '') AS without_address
