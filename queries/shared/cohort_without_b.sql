-- cohort_without_b: the patients of the cohort (the filter of cohort.sql) that cohort B (`cohort_b`)
-- does not hold: on the Compare page, the rest of A when A contains B, or A's patients alone when
-- the two overlap (with the filters swapped, B without A). `<statement>@cohort_without_b` runs a
-- statement over these patients (pts_explorer/sql.py). The filter is cohort.sql's text (a test
-- keeps them equal).
-- params: $study, $arm, $site, $grade, $band, $sex VARCHAR[]; $age_min, $age_max INTEGER; $ulcer
--         as in cohort.sql; cohort B's $b_ parameters as in cohort_b.sql
-- grain: patient_id
SELECT *
FROM patient_attributes
WHERE (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], study_id))
  AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], arm))
  AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], obstruction_site))
  AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], stenosis_grade))
  AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], baseline_band))
  AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], sex))
  AND age_years BETWEEN $age_min AND $age_max
  AND ($ulcer::VARCHAR IS NULL OR baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
  AND patient_id NOT IN (SELECT patient_id FROM cohort_b)
