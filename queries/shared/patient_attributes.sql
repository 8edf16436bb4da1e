-- patient_attributes: every patient with the baseline-derived attributes and the groupings every
-- analysis uses (age group, lesion group, sample key): the one place they are defined. The cohort
-- relations (cohort, cohort_b, matched_cohort) filter it; queries/derived/patient_cohort.sql stores
-- the same columns for the fast twins.
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    p.*,
    b.pts_band AS baseline_band,
    b.villalta_total AS baseline_villalta,
    coalesce(b.ulcer_present, FALSE) AS baseline_ulcer,
    b.vcss AS baseline_vcss,
    CASE WHEN p.age_years < 50 THEN '<50' WHEN p.age_years < 65 THEN '50-64' ELSE '65+' END AS age_group,
    CASE
        WHEN p.stenosis_pct < 70 THEN 'below_70'
        WHEN p.obstruction_site IN ('common_iliac', 'common_femoral') THEN 'high_grade_civ_cfv'
        ELSE 'high_grade_other'
    END AS lesion_group,
    CASE WHEN p.stenosis_pct >= 70 THEN p.obstruction_site ELSE 'below_70' END AS high_grade_site,
    md5(p.patient_id) AS sample_key
FROM patients AS p
LEFT JOIN scheduled_visits AS b
    ON b.patient_id = p.patient_id AND b.visit_month = 0
WHERE allowed_studies(p.study_id)
