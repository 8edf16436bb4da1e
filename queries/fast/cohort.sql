-- cohort (fast): the same patients and columns as queries/shared/cohort.sql, from the stored
-- patient_cohort table (the same cohort_filter()).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: patient_id
SELECT *
FROM patient_cohort
WHERE cohort_filter()
