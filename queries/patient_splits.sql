-- patient_splits: the attributes of each analysis-cohort patient that Who benefits may split the
-- cohort by (a column of the contract's patients table, or the baseline Villalta): the page joins
-- them to the analysis rows by patient_id and forms the groups (the largest levels of a category,
-- or the ranges between the cut points a user types), so nothing typed reaches this statement.
-- params: $randomized_only as in analysis_cohort
-- grain: patient_id
SELECT
    patient_id,
    study_id,
    center_id,
    limb_side,
    ceap_c,
    stenosis_pct,
    lesion_length_mm,
    age_years,
    baseline_villalta,
    months_since_dvt,
    bmi
FROM analysis_cohort
ORDER BY patient_id
