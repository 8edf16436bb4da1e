-- safety_events: per arm (and $group value) and event type, events and patients with at least one,
-- within 30 days of the index procedure (of enrollment in the medical arm) and later.
-- params: $group one of none, obstruction_site, stenosis_grade
-- grain: arm, group_value, event_type, period
WITH

patients_in AS (
    SELECT
        c.patient_id,
        c.arm,
        CASE $group WHEN 'obstruction_site' THEN c.obstruction_site WHEN 'stenosis_grade' THEN c.stenosis_grade
                    ELSE 'all' END AS group_value,
        coalesce(pr.procedure_day, 0) AS anchor_day
    FROM cohort AS c
    LEFT JOIN procedures AS pr
        ON pr.patient_id = c.patient_id
),

denominators AS (
    SELECT arm, group_value, count(*) AS patients FROM patients_in GROUP BY ALL
),

dated AS (
    SELECT
        p.arm,
        p.group_value,
        e.patient_id,
        e.event_type,
        CASE WHEN e.event_day - p.anchor_day <= 30 THEN 'within 30 days' ELSE 'after 30 days' END AS period
    FROM events AS e
    INNER JOIN patients_in AS p
        ON p.patient_id = e.patient_id
    WHERE e.event_type NOT IN ('patency_restored', 'ulcer_healed')
),

counted AS (
    SELECT arm, group_value, event_type, period, count(*) AS events, count(DISTINCT patient_id) AS patients_with
    FROM dated
    GROUP BY ALL
    UNION ALL
    SELECT arm, group_value, event_type, 'any time' AS period, count(*), count(DISTINCT patient_id)
    FROM dated
    GROUP BY ALL
)

SELECT c.*, d.patients
FROM counted AS c
INNER JOIN denominators AS d
    ON d.arm = c.arm AND d.group_value = c.group_value
ORDER BY c.event_type, c.arm DESC, c.group_value, c.period
