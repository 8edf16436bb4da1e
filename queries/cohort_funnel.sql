-- cohort_funnel: how the sidebar's filters narrow the cohort, one filter after another in the sidebar's
-- order (study, arm, site, grade, band, sex, age, ulcer, then each of "More filters" in vocab.MORE_FILTERS'
-- order: center, limb, ceap, stenosis, length, dvt, bmi, bvillalta, bvcss):
-- step 0 every patient, step k the patients the first k filters keep (cohort_filter(f<k>_) and
-- more_filter(f<k>_): the cohort's parameters with the later filters lifted,
-- pts_explorer.filters.CohortFilter.funnel_params). The last step is the cohort.
-- params: for each prefix, the parameters of cohort.sql (VARCHAR[] lists, INTEGER ages, $ulcer):
--         $f1_study, $f1_arm, $f1_site, $f1_grade, $f1_band, $f1_sex, $f1_age_min, $f1_age_max, $f1_ulcer
--         $f2_study, $f2_arm, $f2_site, $f2_grade, $f2_band, $f2_sex, $f2_age_min, $f2_age_max, $f2_ulcer
--         $f3_study, $f3_arm, $f3_site, $f3_grade, $f3_band, $f3_sex, $f3_age_min, $f3_age_max, $f3_ulcer
--         $f4_study, $f4_arm, $f4_site, $f4_grade, $f4_band, $f4_sex, $f4_age_min, $f4_age_max, $f4_ulcer
--         $f5_study, $f5_arm, $f5_site, $f5_grade, $f5_band, $f5_sex, $f5_age_min, $f5_age_max, $f5_ulcer
--         $f6_study, $f6_arm, $f6_site, $f6_grade, $f6_band, $f6_sex, $f6_age_min, $f6_age_max, $f6_ulcer
--         $f7_study, $f7_arm, $f7_site, $f7_grade, $f7_band, $f7_sex, $f7_age_min, $f7_age_max, $f7_ulcer
--         $f8_study, $f8_arm, $f8_site, $f8_grade, $f8_band, $f8_sex, $f8_age_min, $f8_age_max, $f8_ulcer
--         $f9_study, $f9_arm, $f9_site, $f9_grade, $f9_band, $f9_sex, $f9_age_min, $f9_age_max, $f9_ulcer
--         $f10_study, $f10_arm, $f10_site, $f10_grade, $f10_band, $f10_sex, $f10_age_min, $f10_age_max, $f10_ulcer
--         $f11_study, $f11_arm, $f11_site, $f11_grade, $f11_band, $f11_sex, $f11_age_min, $f11_age_max, $f11_ulcer
--         $f12_study, $f12_arm, $f12_site, $f12_grade, $f12_band, $f12_sex, $f12_age_min, $f12_age_max, $f12_ulcer
--         $f13_study, $f13_arm, $f13_site, $f13_grade, $f13_band, $f13_sex, $f13_age_min, $f13_age_max, $f13_ulcer
--         $f14_study, $f14_arm, $f14_site, $f14_grade, $f14_band, $f14_sex, $f14_age_min, $f14_age_max, $f14_ulcer
--         $f15_study, $f15_arm, $f15_site, $f15_grade, $f15_band, $f15_sex, $f15_age_min, $f15_age_max, $f15_ulcer
--         $f16_study, $f16_arm, $f16_site, $f16_grade, $f16_band, $f16_sex, $f16_age_min, $f16_age_max, $f16_ulcer
--         $f17_study, $f17_arm, $f17_site, $f17_grade, $f17_band, $f17_sex, $f17_age_min, $f17_age_max, $f17_ulcer
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: step
SELECT
    0 AS step,
    count(*) AS patients
FROM patient_attributes
UNION ALL
SELECT 1 AS step, count(*) FILTER (WHERE cohort_filter(f1_) AND more_filter(f1_)) AS patients FROM patient_attributes
UNION ALL
SELECT 2 AS step, count(*) FILTER (WHERE cohort_filter(f2_) AND more_filter(f2_)) AS patients FROM patient_attributes
UNION ALL
SELECT 3 AS step, count(*) FILTER (WHERE cohort_filter(f3_) AND more_filter(f3_)) AS patients FROM patient_attributes
UNION ALL
SELECT 4 AS step, count(*) FILTER (WHERE cohort_filter(f4_) AND more_filter(f4_)) AS patients FROM patient_attributes
UNION ALL
SELECT 5 AS step, count(*) FILTER (WHERE cohort_filter(f5_) AND more_filter(f5_)) AS patients FROM patient_attributes
UNION ALL
SELECT 6 AS step, count(*) FILTER (WHERE cohort_filter(f6_) AND more_filter(f6_)) AS patients FROM patient_attributes
UNION ALL
SELECT 7 AS step, count(*) FILTER (WHERE cohort_filter(f7_) AND more_filter(f7_)) AS patients FROM patient_attributes
UNION ALL
SELECT 8 AS step, count(*) FILTER (WHERE cohort_filter(f8_) AND more_filter(f8_)) AS patients FROM patient_attributes
UNION ALL
SELECT 9 AS step, count(*) FILTER (WHERE cohort_filter(f9_) AND more_filter(f9_)) AS patients FROM patient_attributes
UNION ALL
SELECT 10 AS step, count(*) FILTER (WHERE cohort_filter(f10_) AND more_filter(f10_)) AS patients FROM patient_attributes
UNION ALL
SELECT 11 AS step, count(*) FILTER (WHERE cohort_filter(f11_) AND more_filter(f11_)) AS patients FROM patient_attributes
UNION ALL
SELECT 12 AS step, count(*) FILTER (WHERE cohort_filter(f12_) AND more_filter(f12_)) AS patients FROM patient_attributes
UNION ALL
SELECT 13 AS step, count(*) FILTER (WHERE cohort_filter(f13_) AND more_filter(f13_)) AS patients FROM patient_attributes
UNION ALL
SELECT 14 AS step, count(*) FILTER (WHERE cohort_filter(f14_) AND more_filter(f14_)) AS patients FROM patient_attributes
UNION ALL
SELECT 15 AS step, count(*) FILTER (WHERE cohort_filter(f15_) AND more_filter(f15_)) AS patients FROM patient_attributes
UNION ALL
SELECT 16 AS step, count(*) FILTER (WHERE cohort_filter(f16_) AND more_filter(f16_)) AS patients FROM patient_attributes
UNION ALL
SELECT 17 AS step, count(*) FILTER (WHERE cohort_filter(f17_) AND more_filter(f17_)) AS patients FROM patient_attributes
ORDER BY step
