-- trajectory_summary: per arm and visit month, the outcome's n, mean and SD, both as measured
-- and as change from the patient's own baseline (patients with a baseline value only).
-- params: $outcome  one of the contract's outcome columns (checked against an allow-list too)
--         $by_study BOOLEAN: TRUE = one group per study, FALSE = all studies pooled
-- grain: study_group, arm, visit_month
WITH

measured AS (
    SELECT
        c.patient_id,
        c.arm,
        CASE WHEN $by_study THEN c.study_id ELSE 'All studies' END AS study_group,
        v.visit_month,
        v.value
    FROM cohort AS c
    INNER JOIN outcome_values AS v
        ON v.patient_id = c.patient_id
),

with_change AS (
    SELECT
        m.*,
        m.value - b.value AS change
    FROM measured AS m
    LEFT JOIN measured AS b
        ON b.patient_id = m.patient_id AND b.visit_month = 0
)

SELECT
    study_group,
    arm,
    visit_month,
    count(value) AS n,
    avg(value) AS mean,
    stddev_samp(value) AS sd,
    count(change) AS n_change,
    avg(change) AS mean_change,
    stddev_samp(change) AS sd_change
FROM with_change
GROUP BY study_group, arm, visit_month
ORDER BY study_group, arm DESC, visit_month
