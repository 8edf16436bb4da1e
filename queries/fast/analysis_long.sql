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
        sample_key,
        visit_month,
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
    v.baseline,
    v.visit_month,
    v.value - v.baseline AS change
FROM valued AS v
SEMI JOIN sampled AS s
    ON s.patient_id = v.patient_id
WHERE v.visit_month > 0 AND v.value IS NOT NULL
ORDER BY v.patient_id, v.visit_month
