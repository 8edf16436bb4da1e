-- option_counts: beside each option of the sidebar's list filters (and of the ulcer choice), the patients
-- the other filters keep who have that option: what the cohort would hold with the option alone chosen in
-- its filter, and what a click on it adds or removes. Each part filters with cohort_filter() with its own
-- filter lifted: the parameters prefixed o<field>_ are the cohort's with that one filter emptied
-- (pts_explorer.filters.CohortFilter.option_params).
-- params: for each prefix, the parameters of cohort.sql (VARCHAR[] lists, INTEGER ages, $ulcer):
--         $ostudy_study, $ostudy_arm, $ostudy_site, $ostudy_grade, $ostudy_band, $ostudy_sex, $ostudy_age_min, $ostudy_age_max,
--         $ostudy_ulcer
--         $oarm_study, $oarm_arm, $oarm_site, $oarm_grade, $oarm_band, $oarm_sex, $oarm_age_min, $oarm_age_max,
--         $oarm_ulcer
--         $osite_study, $osite_arm, $osite_site, $osite_grade, $osite_band, $osite_sex, $osite_age_min, $osite_age_max,
--         $osite_ulcer
--         $ograde_study, $ograde_arm, $ograde_site, $ograde_grade, $ograde_band, $ograde_sex, $ograde_age_min, $ograde_age_max,
--         $ograde_ulcer
--         $oband_study, $oband_arm, $oband_site, $oband_grade, $oband_band, $oband_sex, $oband_age_min, $oband_age_max,
--         $oband_ulcer
--         $osex_study, $osex_arm, $osex_site, $osex_grade, $osex_band, $osex_sex, $osex_age_min, $osex_age_max,
--         $osex_ulcer
--         $oulcer_study, $oulcer_arm, $oulcer_site, $oulcer_grade, $oulcer_band, $oulcer_sex, $oulcer_age_min, $oulcer_age_max,
--         $oulcer_ulcer
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: field, value
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT 'study' AS field, study_id AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(ostudy_) AND more_filter(ostudy_)
GROUP BY study_id
UNION ALL
SELECT 'arm' AS field, arm AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(oarm_) AND more_filter(oarm_)
GROUP BY arm
UNION ALL
SELECT 'site' AS field, obstruction_site AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(osite_) AND more_filter(osite_)
GROUP BY obstruction_site
UNION ALL
SELECT 'grade' AS field, stenosis_grade AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(ograde_) AND more_filter(ograde_)
GROUP BY stenosis_grade
UNION ALL
SELECT 'band' AS field, baseline_band AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(oband_) AND more_filter(oband_) AND baseline_band IS NOT NULL
GROUP BY baseline_band
UNION ALL
SELECT 'sex' AS field, sex AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(osex_) AND more_filter(osex_)
GROUP BY sex
UNION ALL
SELECT 'ulcer' AS field, CASE WHEN baseline_ulcer THEN 'yes' ELSE 'no' END AS value, count(*) AS patients
FROM patient_attributes
WHERE cohort_filter(oulcer_) AND more_filter(oulcer_)
GROUP BY baseline_ulcer
ORDER BY field, value
