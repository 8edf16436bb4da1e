-- cohort_without_b (fast): the same patients and columns as queries/shared/cohort_without_b.sql,
-- from the stored patient_cohort table.
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         cohort B's $b_ parameters as in cohort_b.sql
-- grain: patient_id
SELECT *
FROM patient_cohort
WHERE (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], study_id))
  AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], arm))
  AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], obstruction_site))
  AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], stenosis_grade))
  AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], baseline_band))
  AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], sex))
  AND age_years BETWEEN $age_min AND $age_max
  AND ($ulcer::VARCHAR IS NULL OR baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
  AND patient_id NOT IN (SELECT patient_id FROM cohort_b)
