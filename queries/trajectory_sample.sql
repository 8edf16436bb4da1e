-- trajectory_sample: every visit of a fixed pseudo-random sample of up to $per_arm patients per
-- arm (and study group), for drawing individual trajectories. The sample is stable for a cohort.
-- params: $outcome, $by_study as in trajectory_summary; $per_arm INTEGER
-- grain: patient_id, visit_month
WITH

picked AS (
    SELECT patient_id, arm, study_group
    FROM (
        SELECT
            patient_id,
            arm,
            study_group,
            row_number() OVER (PARTITION BY arm, study_group ORDER BY sample_key, patient_id) AS pick
        FROM (
            SELECT
                patient_id,
                arm,
                sample_key,
                CASE WHEN $by_study THEN study_id ELSE 'All studies' END AS study_group
            FROM cohort
        ) AS grouped
    ) AS ranked
    WHERE pick <= $per_arm
),

measured AS (
    SELECT
        p.patient_id,
        p.arm,
        p.study_group,
        v.visit_month,
        v.value
    FROM picked AS p
    INNER JOIN outcome_values AS v
        ON v.patient_id = p.patient_id
)

SELECT
    m.*,
    m.value - b.value AS change
FROM measured AS m
LEFT JOIN measured AS b
    ON b.patient_id = m.patient_id AND b.visit_month = 0
ORDER BY m.arm DESC, m.patient_id, m.visit_month
