-- complication_counts (fast): the same rows as queries/complication_counts.sql, from each
-- patient's stored complication clocks of the period (patient_endpoints: origin, stop and status
-- per kind, NULL where the patient is not followed in the window or the kind is not theirs)
-- instead of a pass over the events and procedures, filtered by the sidebar's cohort_filter() on
-- the same table (no join to the cohort). Used only when no "More filters" restrict (db.run_query).
-- params: $period, $randomized_only as in complication_counts; the cohort's as in cohort.sql
-- grain: group_value (arm, or 'stent_related' for the stent kind), duration_days, status
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

clocked AS (
    SELECT
        e.arm,
        CASE $period WHEN 'within 30 days' THEN e.w30_origin WHEN 'after 30 days' THEN e.a30_origin
                     WHEN 'any time' THEN e.any_origin END AS origin_day,
        CASE $period WHEN 'within 30 days' THEN e.w30_shared_stop WHEN 'after 30 days' THEN e.a30_shared_stop
                     WHEN 'any time' THEN e.any_shared_stop END AS shared_stop,
        CASE $period WHEN 'within 30 days' THEN e.w30_shared_status WHEN 'after 30 days' THEN e.a30_shared_status
                     WHEN 'any time' THEN e.any_shared_status END AS shared_status,
        CASE $period WHEN 'within 30 days' THEN e.w30_stent_stop WHEN 'after 30 days' THEN e.a30_stent_stop
                     WHEN 'any time' THEN e.any_stent_stop END AS stent_stop,
        CASE $period WHEN 'within 30 days' THEN e.w30_stent_status WHEN 'after 30 days' THEN e.a30_stent_status
                     WHEN 'any time' THEN e.any_stent_status END AS stent_status
    FROM patient_endpoints AS e
    WHERE cohort_filter()
      AND study_id IN (SELECT study_id FROM studies WHERE design = 'randomized' OR NOT $randomized_only)
),

ended AS (
    SELECT arm AS group_value, shared_stop - origin_day AS duration_days, shared_status::INTEGER AS status
    FROM clocked
    WHERE shared_status IS NOT NULL
    UNION ALL
    SELECT 'stent_related', stent_stop - origin_day, stent_status::INTEGER
    FROM clocked
    WHERE stent_status IS NOT NULL
)

SELECT
    group_value,
    duration_days,
    status,
    count(*) AS n
FROM ended
GROUP BY ALL
ORDER BY group_value, duration_days, status
