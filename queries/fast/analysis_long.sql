-- analysis_long (fast): the same rows as queries/analysis_long.sql, from the visit rows that carry
-- their patient's baseline (no self-join).
-- params: $outcome, $randomized_only, $max_patients as in analysis_visit
-- grain: patient_id, visit_month
WITH

valued AS (
    SELECT
        patient_id,
        study_id,
        arm,
        age_years,
        sex,
        obstruction_site,
        stenosis_grade,
        baseline_band,
        lesion_group,
        high_grade_site,
        age_group,
        baseline_ulcer,
        sample_key,
        visit_month,
        outcome_value(b_) AS baseline,
        outcome_value() AS value
    FROM analysis_visits
),

sampled AS (
    SELECT patient_id
    FROM valued
    WHERE visit_month = 0 AND baseline IS NOT NULL
    ORDER BY sample_key, patient_id
    LIMIT $max_patients
)

SELECT
    v.patient_id,
    v.study_id,
    v.arm,
    v.age_years,
    v.sex,
    v.obstruction_site,
    v.stenosis_grade,
    v.baseline_band,
    v.lesion_group,
    v.high_grade_site,
    v.age_group,
    CASE WHEN v.baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
    v.baseline,
    v.visit_month,
    v.value - v.baseline AS change
FROM valued AS v
SEMI JOIN sampled AS s
    ON s.patient_id = v.patient_id
WHERE v.visit_month > 0 AND v.value IS NOT NULL
ORDER BY v.patient_id, v.visit_month
