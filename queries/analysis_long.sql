-- analysis_long: every post-baseline visit of cohort patients with a baseline value: the data of
-- the repeated-measures model (MMRM).
-- params: $outcome, $randomized_only, $max_patients as in analysis_visit
-- grain: patient_id, visit_month
WITH

eligible AS (
    SELECT c.*
    FROM cohort AS c
    INNER JOIN studies AS s
        ON s.study_id = c.study_id
    WHERE s.design = 'randomized' OR NOT $randomized_only
),

measured AS (
    SELECT
        v.patient_id,
        v.visit_month,
        CASE $outcome
            WHEN 'villalta_total' THEN v.villalta_total::DOUBLE
            WHEN 'vcss' THEN v.vcss::DOUBLE
            WHEN 'veines_qol' THEN v.veines_qol
            WHEN 'veines_sym' THEN v.veines_sym
            WHEN 'pain_vas' THEN v.pain_vas
            WHEN 'calf_circumference_cm' THEN v.calf_circumference_cm
            WHEN 'daily_steps' THEN v.daily_steps::DOUBLE
        END AS value
    FROM visits AS v
),

sampled AS (
    SELECT e.*, b.value AS baseline
    FROM eligible AS e
    INNER JOIN measured AS b
        ON b.patient_id = e.patient_id AND b.visit_month = 0
    WHERE b.value IS NOT NULL
    ORDER BY hash(e.patient_id), e.patient_id
    LIMIT $max_patients
)

SELECT
    s.patient_id,
    s.study_id,
    s.arm,
    s.age_years,
    s.sex,
    s.obstruction_site,
    s.stenosis_grade,
    s.baseline,
    m.visit_month,
    m.value - s.baseline AS change
FROM sampled AS s
INNER JOIN measured AS m
    ON m.patient_id = s.patient_id AND m.visit_month > 0
WHERE m.value IS NOT NULL
ORDER BY s.patient_id, m.visit_month
