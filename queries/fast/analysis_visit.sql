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
        high_grade_site,
        stenosis_pct,
        lesion_length_mm,
        months_since_dvt,
        sample_key,
        CASE WHEN baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
        outcome_value(b_) AS baseline,
        outcome_value() AS value
    FROM analysis_visits
    WHERE visit_month = $visit_month
)

SELECT *, value - baseline AS change
FROM paired
WHERE baseline IS NOT NULL AND value IS NOT NULL
ORDER BY sample_key, patient_id
LIMIT $max_patients
