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
--    else 0. either: 1 when miit or most is 1.
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
        COALESCE(y.year >= mi.approval_year, 0) AS miit,
        COALESCE(y.year >= mo.approval_year, 0) AS most,
        COALESCE(y.year >= mi.first_full_year, 0) AS miit_full,
        COALESCE(y.year >= mo.first_full_year, 0) AS most_full
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
    MAX(panel.miit, panel.most) AS either,
    panel.miit_full,
    panel.most_full,
    MAX(panel.miit_full, panel.most_full) AS either_full
FROM panel
LEFT JOIN cities AS c ON c.admin_code = panel.admin_code
ORDER BY panel.admin_code, panel.year;
