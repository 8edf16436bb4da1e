-- cohort_b: a second cohort beside `cohort` (the Compare page): the same relation, with every
-- parameter prefixed b_ (a test keeps the two filters the same text).
-- params: $b_study, $b_arm, $b_site, $b_grade, $b_band, $b_sex VARCHAR[]; $b_age_min, $b_age_max INTEGER;
--         $b_ulcer as $ulcer in cohort.sql
-- grain: patient_id
SELECT *
FROM patient_attributes
WHERE (array_length($b_study::VARCHAR[]) = 0 OR list_contains($b_study::VARCHAR[], study_id))
  AND (array_length($b_arm::VARCHAR[]) = 0 OR list_contains($b_arm::VARCHAR[], arm))
  AND (array_length($b_site::VARCHAR[]) = 0 OR list_contains($b_site::VARCHAR[], obstruction_site))
  AND (array_length($b_grade::VARCHAR[]) = 0 OR list_contains($b_grade::VARCHAR[], stenosis_grade))
  AND (array_length($b_band::VARCHAR[]) = 0 OR list_contains($b_band::VARCHAR[], baseline_band))
  AND (array_length($b_sex::VARCHAR[]) = 0 OR list_contains($b_sex::VARCHAR[], sex))
  AND age_years BETWEEN $b_age_min AND $b_age_max
  AND ($b_ulcer::VARCHAR IS NULL OR baseline_ulcer = ($b_ulcer::VARCHAR = 'yes'))
