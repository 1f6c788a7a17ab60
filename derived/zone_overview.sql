-- zone_overview: one row per zone, with its programme, batch, host cities and provinces,
-- its preferred approval date and its focus industries, and the source behind each column.
-- Run by `zonedata release` on the release's SQLite database: the tables in `main` are
-- typed (booleans are 0 or 1), the same tables in `text` hold the cells as the CSV files do.
--
-- Rules:
-- 1. One row per row of zones, in the same order (by zone_id); zone_id, programme_id,
--    name_en and batch are copied, and zone_source_id is zones.source_id.
-- 2. city_ids lists the zone's rows of zone_cities (by city_id); city_names and
--    province_ids are those cities' cities.name_en and cities.province_id (a province
--    once); city_source_ids lists their zone_cities.source_id, sorted, each once.
-- 3. The approval date is the preferred zone_dates row of event approved; a zone with no
--    approved row takes its preferred announced row instead, and approval_event says
--    which. approval_precision is year, month or day by the date's length; no day or
--    month is ever invented. (Two preferred rows for one event would give the zone two
--    rows, which its primary key refuses: the release stops.)
-- 4. industry_ids lists the zone's zone_industries.industry_id, sorted, each once,
--    whichever source names it; industry_names are their industries.name_en. Each
--    source's own wording stays in zone_industries.wording. industry_source_ids lists
--    the sources, sorted, each once.
-- 5. List columns separate their values with '; '; an empty list is a missing value.
WITH
hosts AS (
  SELECT zc.zone_id, zc.city_id, zc.source_id, c.name_en, c.province_id
  FROM zone_cities AS zc LEFT JOIN cities AS c ON c.city_id = zc.city_id
),
focus AS (
  SELECT zi.zone_id, zi.industry_id, zi.source_id, i.name_en
  FROM zone_industries AS zi LEFT JOIN industries AS i ON i.industry_id = zi.industry_id
),
-- every value of every list column, with the key it is ordered by
items (zone_id, list, value, sort_key) AS (
  SELECT zone_id, 'city_ids', city_id, city_id FROM hosts
  UNION ALL SELECT zone_id, 'city_names', name_en, city_id FROM hosts
  UNION ALL SELECT zone_id, 'province_ids', province_id, city_id FROM hosts
  UNION ALL SELECT zone_id, 'city_source_ids', source_id, source_id FROM hosts
  UNION ALL SELECT zone_id, 'industry_ids', industry_id, industry_id FROM focus
  UNION ALL SELECT zone_id, 'industry_names', name_en, industry_id FROM focus
  UNION ALL SELECT zone_id, 'industry_source_ids', source_id, source_id FROM focus
),
-- each value once, at its first place
firsts AS (
  SELECT zone_id, list, value, min(sort_key) AS sort_key
  FROM items WHERE value IS NOT NULL
  GROUP BY zone_id, list, value
),
joined AS (
  SELECT DISTINCT zone_id, list,
    group_concat(value, '; ') OVER (
      PARTITION BY zone_id, list ORDER BY sort_key, value
      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
    ) AS joined
  FROM firsts
),
lists AS (
  SELECT zone_id,
    max(CASE list WHEN 'city_ids' THEN joined END) AS city_ids,
    max(CASE list WHEN 'city_names' THEN joined END) AS city_names,
    max(CASE list WHEN 'province_ids' THEN joined END) AS province_ids,
    max(CASE list WHEN 'city_source_ids' THEN joined END) AS city_source_ids,
    max(CASE list WHEN 'industry_ids' THEN joined END) AS industry_ids,
    max(CASE list WHEN 'industry_names' THEN joined END) AS industry_names,
    max(CASE list WHEN 'industry_source_ids' THEN joined END) AS industry_source_ids
  FROM joined GROUP BY zone_id
),
dates AS (
  SELECT zone_id, event, date, source_id FROM zone_dates
  WHERE preferred = 1 AND event IN ('approved', 'announced')
),
approval AS (
  SELECT d.zone_id, d.event, d.date, d.source_id FROM dates AS d
  WHERE d.event = 'approved'
    OR NOT EXISTS (SELECT 1 FROM dates AS a WHERE a.zone_id = d.zone_id AND a.event = 'approved')
)
SELECT
  z.zone_id AS zone_id,
  z.programme_id AS programme_id,
  z.name_en AS name_en,
  z.batch AS batch,
  z.source_id AS zone_source_id,
  l.city_ids AS city_ids,
  l.city_names AS city_names,
  l.province_ids AS province_ids,
  l.city_source_ids AS city_source_ids,
  a.date AS approval_date,
  CASE length(a.date) WHEN 4 THEN 'year' WHEN 7 THEN 'month' WHEN 10 THEN 'day' END
    AS approval_precision,
  a.event AS approval_event,
  a.source_id AS approval_source_id,
  l.industry_ids AS industry_ids,
  l.industry_names AS industry_names,
  l.industry_source_ids AS industry_source_ids
FROM zones AS z
LEFT JOIN lists AS l ON l.zone_id = z.zone_id
LEFT JOIN approval AS a ON a.zone_id = z.zone_id
ORDER BY z.zone_id
