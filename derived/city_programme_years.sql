-- city_programme_years: every prefecture-level unit x every year from 2010 to 2025, with
-- a 0/1 column per programme and one for either, ready to merge with a city panel on
-- (admin_code, year).
--
-- Reads the release's SQLite tables divisions, cities, zones, zone_cities and
-- zone_dates (table names = resource names). Derived by these rules, never edited by
-- hand:
--
-- 1. The units are the rows of divisions with prefecture_level = 1: the prefecture-level
--    divisions of the Ministry of Civil Affairs' list for 2024 and the four
--    municipalities. Divisions abolished or recoded before 2024 are not units (see
--    division_changes: for example Laiwu, 371200, merged into Jinan in 2018).
-- 2. A city's approval date in a programme is the one city_treatment.sql derives: the
--    earliest preferred approval date (else announcement date) among its zones in the
--    programme; a zone covering only a district or county of the city (Pudong New Area,
--    Binhai New Area, Deqing County) counts for the city.
-- 3. miit, most: 1 from the calendar year of approval on (year >= approval year),
--    else 0; empty (unknown, never guessed) for a city that entered the programme with
--    zones of no known date. either: 1 when miit or most is 1, else empty when either is
--    unknown, else 0.
-- 4. miit_full, most_full, either_full: the same from the first full year of treatment
--    on (the year after the approval year, unless the date is exactly 1 January).
-- The years are listed, not generated: a release runs no recursive SQL.
WITH years(year) AS (
    VALUES (2010), (2011), (2012), (2013), (2014), (2015), (2016), (2017),
        (2018), (2019), (2020), (2021), (2022), (2023), (2024), (2025)
),
zone_approval AS (
    SELECT
        z.zone_id,
        z.programme_id,
        COALESCE(ap.date, an.date) AS approval_date
    FROM zones AS z
    LEFT JOIN zone_dates AS ap
        ON ap.zone_id = z.zone_id AND ap.event = 'approved' AND ap.preferred = 1
    LEFT JOIN zone_dates AS an
        ON an.zone_id = z.zone_id AND an.event = 'announced' AND an.preferred = 1
),
entry AS (
    SELECT
        c.admin_code,
        za.programme_id,
        CAST(SUBSTR(MIN(za.approval_date), 1, 4) AS INTEGER) AS approval_year,
        CAST(SUBSTR(MIN(za.approval_date), 1, 4) AS INTEGER)
            + (MIN(za.approval_date) <> SUBSTR(MIN(za.approval_date), 1, 4) || '-01-01')
            AS first_full_year
    FROM zone_cities AS zc
    JOIN zone_approval AS za ON za.zone_id = zc.zone_id
    JOIN cities AS c ON c.city_id = zc.city_id
    GROUP BY c.admin_code, za.programme_id
),
panel AS (
    SELECT
        d.admin_code,
        d.name_zh,
        d.province_code,
        y.year,
        CASE WHEN mi.admin_code IS NULL THEN 0 ELSE y.year >= mi.approval_year END AS miit,
        CASE WHEN mo.admin_code IS NULL THEN 0 ELSE y.year >= mo.approval_year END AS most,
        CASE WHEN mi.admin_code IS NULL THEN 0 ELSE y.year >= mi.first_full_year END
            AS miit_full,
        CASE WHEN mo.admin_code IS NULL THEN 0 ELSE y.year >= mo.first_full_year END
            AS most_full
    FROM divisions AS d
    CROSS JOIN years AS y
    LEFT JOIN entry AS mi ON mi.admin_code = d.admin_code AND mi.programme_id = 'miit'
    LEFT JOIN entry AS mo ON mo.admin_code = d.admin_code AND mo.programme_id = 'most'
    WHERE d.prefecture_level = 1
)
SELECT
    panel.admin_code,
    panel.year,
    panel.name_zh,
    panel.province_code,
    c.city_id,
    panel.miit,
    panel.most,
    CASE
        WHEN panel.miit = 1 OR panel.most = 1 THEN 1
        WHEN panel.miit IS NULL OR panel.most IS NULL THEN NULL
        ELSE 0
    END AS either,
    panel.miit_full,
    panel.most_full,
    CASE
        WHEN panel.miit_full = 1 OR panel.most_full = 1 THEN 1
        WHEN panel.miit_full IS NULL OR panel.most_full IS NULL THEN NULL
        ELSE 0
    END AS either_full
FROM panel
LEFT JOIN cities AS c ON c.admin_code = panel.admin_code
ORDER BY panel.admin_code, panel.year;
