-- cohort_without_b (fast): the same patients and columns as queries/shared/cohort_without_b.sql,
-- from the stored patient_cohort table.
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         cohort B's $b_ parameters as in cohort_b.sql
-- grain: patient_id
SELECT *
FROM patient_cohort
WHERE cohort_filter()
  AND patient_id NOT IN (SELECT patient_id FROM cohort_b)
