-- city_treatment: one row per city and programme it entered.
--
-- Reads the release's SQLite tables zones, zone_cities, zone_dates and cities (table
-- names = resource names). Derived by these rules, never edited by hand:
--
-- 1. A zone's approval date is its preferred 'approved' row in zone_dates; a zone with
--    no approved row takes its preferred 'announced' row instead (approval_event says
--    which). The date keeps the precision the source gives (YYYY, YYYY-MM or
--    YYYY-MM-DD); approval_precision is year, month or day accordingly.
-- 2. A city enters a programme with the first of its zones in that programme: the
--    earliest approval date (ISO text order; a shorter date sorts before the longer
--    dates of the same period), then the zone_id. Its batch, date, event and
--    precision are that zone's; zone_ids lists all its zones in the programme.
-- 3. approval_year is the calendar year of that date.
-- 4. first_full_year is the first calendar year the city spends entirely under the
--    programme: approval_year if the date is exactly YYYY-01-01, else approval_year + 1
--    (a month-only or year-only date may fall on any day of its period, so the year of
--    approval is never counted as full for it).
-- 5. coverage is 'city' when at least one of those zones covers the whole city, and
--    'part' when each covers only a district or county of it (area_admin_codes lists
--    their codes), as Deqing County does for Huzhou.
WITH zone_approval AS (
    SELECT
        z.zone_id,
        z.programme_id,
        z.batch,
        COALESCE(ap.date, an.date) AS approval_date,
        CASE
            WHEN ap.date IS NOT NULL THEN 'approved'
            WHEN an.date IS NOT NULL THEN 'announced'
        END AS approval_event
    FROM zones AS z
    LEFT JOIN zone_dates AS ap
        ON ap.zone_id = z.zone_id AND ap.event = 'approved' AND ap.preferred = 1
    LEFT JOIN zone_dates AS an
        ON an.zone_id = z.zone_id AND an.event = 'announced' AND an.preferred = 1
),
city_zone AS (
    SELECT
        zc.city_id,
        za.programme_id,
        za.zone_id,
        za.batch,
        za.approval_date,
        za.approval_event,
        zc.area_admin_code,
        ROW_NUMBER() OVER (
            PARTITION BY zc.city_id, za.programme_id
            ORDER BY za.approval_date, za.zone_id
        ) AS rank_in_programme
    FROM zone_cities AS zc
    JOIN zone_approval AS za ON za.zone_id = zc.zone_id
),
city_programme AS (
    SELECT
        city_id,
        programme_id,
        GROUP_CONCAT(zone_id, '; ') AS zone_ids,
        GROUP_CONCAT(area_admin_code, '; ') AS area_admin_codes,
        MAX(area_admin_code IS NULL) AS covers_whole_city
    FROM (SELECT * FROM city_zone ORDER BY city_id, programme_id, zone_id)
    GROUP BY city_id, programme_id
)
SELECT
    c.admin_code,
    cz.city_id,
    c.name_en AS city_name_en,
    c.name_zh AS city_name_zh,
    c.province_id,
    cz.programme_id,
    cp.zone_ids,
    cz.batch,
    cz.approval_date,
    CASE LENGTH(cz.approval_date) WHEN 4 THEN 'year' WHEN 7 THEN 'month' WHEN 10 THEN 'day' END
        AS approval_precision,
    cz.approval_event,
    CAST(SUBSTR(cz.approval_date, 1, 4) AS INTEGER) AS approval_year,
    CASE
        WHEN cz.approval_date = SUBSTR(cz.approval_date, 1, 4) || '-01-01'
            THEN CAST(SUBSTR(cz.approval_date, 1, 4) AS INTEGER)
        ELSE CAST(SUBSTR(cz.approval_date, 1, 4) AS INTEGER) + 1
    END AS first_full_year,
    CASE WHEN cp.covers_whole_city = 1 THEN 'city' ELSE 'part' END AS coverage,
    cp.area_admin_codes
FROM city_zone AS cz
JOIN city_programme AS cp
    ON cp.city_id = cz.city_id AND cp.programme_id = cz.programme_id
JOIN cities AS c ON c.city_id = cz.city_id
WHERE cz.rank_in_programme = 1
ORDER BY cz.city_id, cz.programme_id;
