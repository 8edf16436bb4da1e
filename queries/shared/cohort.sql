-- cohort: patients matching the shared sidebar filters, with their baseline-derived attributes
-- and groupings (patient_attributes).
-- Every other query that reads `cohort` gets this statement as a CTE (pts_explorer/sql.py).
-- params: $study, $arm, $site, $grade, $band, $sex  VARCHAR[] (empty list = no restriction)
--         $age_min, $age_max                         INTEGER, inclusive
--         $ulcer                                     'yes' / 'no' ulcer at baseline, NULL = any
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
