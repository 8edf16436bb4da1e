-- more_option_counts: beside each option of the "More filters" sets (centre, limb side, CEAP class), the
-- patients the other filters keep who have it, as option_counts.sql does for the sidebar's filters: each part
-- filters with cohort_filter() and more_filter() with its own filter lifted (the parameters prefixed
-- o<key>_, pts_explorer.filters.CohortFilter.more_option_params). From the patient-level relation only: the
-- cells do not carry these columns.
-- params: for each prefix, the parameters of cohort.sql and of more_filter():
--         $ocenter_study, $ocenter_arm, $ocenter_site, $ocenter_grade, $ocenter_band, $ocenter_sex, $ocenter_age_min, $ocenter_age_max, $ocenter_ulcer
--         $ocenter_center, $ocenter_limb, $ocenter_ceap, $ocenter_stenosis_min, $ocenter_stenosis_max, $ocenter_length_min, $ocenter_length_max, $ocenter_dvt_min, $ocenter_dvt_max, $ocenter_bmi_min, $ocenter_bmi_max, $ocenter_bvillalta_min, $ocenter_bvillalta_max, $ocenter_bvcss_min, $ocenter_bvcss_max
--         $olimb_study, $olimb_arm, $olimb_site, $olimb_grade, $olimb_band, $olimb_sex, $olimb_age_min, $olimb_age_max, $olimb_ulcer
--         $olimb_center, $olimb_limb, $olimb_ceap, $olimb_stenosis_min, $olimb_stenosis_max, $olimb_length_min, $olimb_length_max, $olimb_dvt_min, $olimb_dvt_max, $olimb_bmi_min, $olimb_bmi_max, $olimb_bvillalta_min, $olimb_bvillalta_max, $olimb_bvcss_min, $olimb_bvcss_max
--         $oceap_study, $oceap_arm, $oceap_site, $oceap_grade, $oceap_band, $oceap_sex, $oceap_age_min, $oceap_age_max, $oceap_ulcer
--         $oceap_center, $oceap_limb, $oceap_ceap, $oceap_stenosis_min, $oceap_stenosis_max, $oceap_length_min, $oceap_length_max, $oceap_dvt_min, $oceap_dvt_max, $oceap_bmi_min, $oceap_bmi_max, $oceap_bvillalta_min, $oceap_bvillalta_max, $oceap_bvcss_min, $oceap_bvcss_max
-- grain: field, value
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT 'center' AS field, center_id AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(ocenter_) AND more_filter(ocenter_)
GROUP BY center_id
UNION ALL
SELECT 'limb' AS field, limb_side AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(olimb_) AND more_filter(olimb_)
GROUP BY limb_side
UNION ALL
SELECT 'ceap' AS field, ceap_c AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(oceap_) AND more_filter(oceap_)
GROUP BY ceap_c
ORDER BY field, value
