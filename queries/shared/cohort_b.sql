-- cohort_b: a second cohort beside `cohort` (the Compare page): the same relation, with every
-- parameter prefixed b_ (cohort_filter(b_): the one filter, queries/fragments/cohort_filter.sql).
-- params: $b_study, $b_arm, $b_site, $b_grade, $b_band, $b_sex VARCHAR[]; $b_age_min, $b_age_max INTEGER;
--         $b_ulcer as $ulcer in cohort.sql
-- grain: patient_id
SELECT *
FROM patient_attributes
WHERE cohort_filter(b_)
