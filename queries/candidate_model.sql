-- candidate_model: the Candidate page's model data: every patient of the analysis cohort (the
-- randomized ones when asked) with the baseline fields a candidate's profile can give and the
-- $outcome at baseline and at $visit_month. Patients without the visit keep a row with a NULL value:
-- the model is complete-case, and the page says how many it leaves out and why.
-- params: $outcome (as in outcome_values), $visit_month INTEGER,
--         $randomized_only BOOLEAN (TRUE = patients of randomized studies only),
--         $max_patients INTEGER (a stable pseudo-random sample above this size)
-- grain: patient_id
WITH

measured AS (
    SELECT patient_id, visit_month, value
    FROM outcome_values
    WHERE visit_month IN (0, $visit_month)
)

SELECT
    e.patient_id,
    e.study_id,
    e.arm,
    e.lesion_group,
    e.obstruction_site,
    e.stenosis_grade,
    e.age_years::DOUBLE AS age_years,
    CASE WHEN e.sex = 'female' THEN 1.0 ELSE 0.0 END AS female,
    CASE WHEN e.baseline_ulcer THEN 1.0 ELSE 0.0 END AS ulcer,
    v.vcss::DOUBLE AS vcss,
    e.months_since_dvt::DOUBLE AS months_since_dvt,
    e.lesion_length_mm::DOUBLE AS lesion_length_mm,
    CASE e.limb_side WHEN 'left' THEN 1.0 WHEN 'right' THEN 0.0 END AS left_limb,
    b.value AS baseline,
    f.value AS value,
    f.value - b.value AS change
FROM analysis_cohort AS e
LEFT JOIN scheduled_visits AS v
    ON v.patient_id = e.patient_id AND v.visit_month = 0
LEFT JOIN measured AS b
    ON b.patient_id = e.patient_id AND b.visit_month = 0
LEFT JOIN measured AS f
    ON f.patient_id = e.patient_id AND f.visit_month = $visit_month
ORDER BY e.sample_key, e.patient_id
LIMIT $max_patients
