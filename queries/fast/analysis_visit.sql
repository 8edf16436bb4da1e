-- analysis_visit (fast): the same rows as queries/analysis_visit.sql, from the visit rows that
-- carry their patient's baseline (no self-join).
-- params: $outcome, $visit_month, $randomized_only, $max_patients as in analysis_visit
-- grain: patient_id
WITH

paired AS (
    SELECT
        patient_id,
        study_id,
        arm,
        age_years,
        age_group,
        sex,
        obstruction_site,
        stenosis_grade,
        baseline_band,
        lesion_group,
        sample_key,
        CASE WHEN baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
        CASE $outcome
            WHEN 'villalta_total' THEN b_villalta_total::DOUBLE
            WHEN 'vcss' THEN b_vcss::DOUBLE
            WHEN 'veines_qol' THEN b_veines_qol
            WHEN 'veines_sym' THEN b_veines_sym
            WHEN 'pain_vas' THEN b_pain_vas
            WHEN 'calf_circumference_cm' THEN b_calf_circumference_cm
            WHEN 'daily_steps' THEN b_daily_steps::DOUBLE
        END AS baseline,
        CASE $outcome
            WHEN 'villalta_total' THEN villalta_total::DOUBLE
            WHEN 'vcss' THEN vcss::DOUBLE
            WHEN 'veines_qol' THEN veines_qol
            WHEN 'veines_sym' THEN veines_sym
            WHEN 'pain_vas' THEN pain_vas
            WHEN 'calf_circumference_cm' THEN calf_circumference_cm
            WHEN 'daily_steps' THEN daily_steps::DOUBLE
        END AS value
    FROM analysis_visits
    WHERE visit_month = $visit_month
)

SELECT *, value - baseline AS change
FROM paired
WHERE baseline IS NOT NULL AND value IS NOT NULL
ORDER BY sample_key, patient_id
LIMIT $max_patients
