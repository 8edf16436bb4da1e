-- analysis_visit: one row per cohort patient with a baseline and a $visit_month value of the
-- outcome: the analysis set of the ANCOVA, the subgroup models and their baseline balance, with
-- the continuous effect modifiers (stenosis %, lesion length, months since DVT, age, baseline).
-- params: $outcome (as in trajectory_summary), $visit_month INTEGER,
--         $randomized_only BOOLEAN (TRUE = patients of randomized studies only),
--         $max_patients INTEGER (a stable pseudo-random sample above this size)
-- grain: patient_id
WITH

measured AS (
    SELECT patient_id, visit_month, value
    FROM outcome_values
    WHERE visit_month IN (0, $visit_month)
),

paired AS (
    SELECT
        e.patient_id,
        e.study_id,
        e.arm,
        e.age_years,
        e.age_group,
        e.sex,
        e.obstruction_site,
        e.stenosis_grade,
        e.baseline_band,
        e.lesion_group,
        e.high_grade_site,
        e.stenosis_pct,
        e.lesion_length_mm,
        e.months_since_dvt,
        e.sample_key,
        CASE WHEN e.baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
        b.value AS baseline,
        f.value AS value,
        f.value - b.value AS change
    FROM analysis_cohort AS e
    INNER JOIN measured AS b
        ON b.patient_id = e.patient_id AND b.visit_month = 0
    INNER JOIN measured AS f
        ON f.patient_id = e.patient_id AND f.visit_month = $visit_month
    WHERE b.value IS NOT NULL AND f.value IS NOT NULL
)

SELECT *
FROM paired
ORDER BY sample_key, patient_id
LIMIT $max_patients
