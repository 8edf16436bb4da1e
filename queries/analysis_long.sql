-- analysis_long: every post-baseline visit of cohort patients with a baseline value: the data of
-- the repeated-measures model (MMRM), with the groupings Who benefits splits it by.
-- params: $outcome, $randomized_only, $max_patients as in analysis_visit
-- grain: patient_id, visit_month
WITH

sampled AS (
    SELECT e.*, b.value AS baseline
    FROM analysis_cohort AS e
    INNER JOIN outcome_values AS b
        ON b.patient_id = e.patient_id AND b.visit_month = 0
    WHERE b.value IS NOT NULL
    ORDER BY e.sample_key, e.patient_id
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
    s.baseline_band,
    s.lesion_group,
    s.high_grade_site,
    s.age_group,
    CASE WHEN s.baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
    s.baseline,
    m.visit_month,
    m.value - s.baseline AS change
FROM sampled AS s
INNER JOIN outcome_values AS m
    ON m.patient_id = s.patient_id AND m.visit_month > 0
WHERE m.value IS NOT NULL
ORDER BY s.patient_id, m.visit_month
