-- trajectory_sample (fast): the same rows as queries/trajectory_sample.sql, from the visit rows
-- that carry their patient's baseline (no self-join).
-- params: $outcome, $by_study, $per_arm as in trajectory_sample
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

valued AS (
    SELECT
        patient_id,
        visit_month,
        outcome_value() AS value,
        outcome_value(b_) AS baseline
    FROM patient_visits
)

SELECT
    p.patient_id,
    p.arm,
    p.study_group,
    v.visit_month,
    v.value,
    v.value - v.baseline AS change
FROM picked AS p
INNER JOIN valued AS v
    ON v.patient_id = p.patient_id
ORDER BY p.arm DESC, p.patient_id, v.visit_month
