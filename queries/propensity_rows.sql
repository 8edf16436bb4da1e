-- propensity_rows: one row per analysis_cohort patient for the propensity-score analyses
-- (pts_explorer/analytics/propensity.py): the study and its design, centre, arm, the baseline
-- covariates a propensity score may use, the outcome at baseline and at $visit_month (empty when
-- that visit is missing) and the time to $endpoint (empty for a patient not eligible for it).
-- params: $outcome (as in trajectory_summary), $visit_month INTEGER, $endpoint (as in time_to_event;
--         ulcer_healing or freedom_from_recurrent_dvt: the endpoints of both arms),
--         $randomized_only as in analysis_cohort,
--         $max_patients INTEGER (a stable pseudo-random sample of the cohort above this size, as
--         analysis_visit takes it; the rows stay in patient order)
-- grain: patient_id
WITH

sampled AS (
    SELECT *
    FROM analysis_cohort
    ORDER BY sample_key, patient_id
    LIMIT $max_patients
),

measured AS (
    SELECT patient_id, visit_month, value
    FROM outcome_values
    WHERE visit_month IN (0, $visit_month)
)

SELECT
    c.patient_id,
    c.study_id,
    s.design,
    c.center_id,
    c.arm,
    c.obstruction_site,
    c.stenosis_grade,
    c.stenosis_pct,
    c.lesion_length_mm,
    c.baseline_villalta,
    c.baseline_vcss,
    CASE WHEN c.baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
    c.age_years,
    c.sex,
    c.months_since_dvt,
    b.value AS baseline,
    f.value AS value,
    f.value - b.value AS change,
    t.duration_days,
    t.observed
FROM sampled AS c
INNER JOIN studies AS s
    ON s.study_id = c.study_id
LEFT JOIN measured AS b
    ON b.patient_id = c.patient_id AND b.visit_month = 0
LEFT JOIN measured AS f
    ON f.patient_id = c.patient_id AND f.visit_month = $visit_month
LEFT JOIN time_to_event AS t
    ON t.patient_id = c.patient_id
ORDER BY c.patient_id
