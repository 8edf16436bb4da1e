-- visit_cells: the cells of agg_visit_cells of the cohort the shared sidebar filters keep (the
-- filter of queries/shared/cohort.sql; a test keeps the two equal).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: one row per non-empty combination of the filter dimensions and visit_month
SELECT *
FROM agg_visit_cells
WHERE (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], study_id))
  AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], arm))
  AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], obstruction_site))
  AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], stenosis_grade))
  AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], baseline_band))
  AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], sex))
  AND age_years BETWEEN $age_min AND $age_max
  AND ($ulcer::VARCHAR IS NULL OR baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
