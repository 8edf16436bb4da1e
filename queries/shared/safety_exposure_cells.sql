-- safety_exposure_cells: the cells of agg_safety_exposure_cells of the cohort the shared sidebar filters
-- keep (the filter of queries/shared/cohort.sql; a test keeps the two equal), of randomized studies
-- only when asked (as analysis_cohort), with the page's grouping of the patients.
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         $randomized_only as in analysis_cohort; $group as in safety_follow_up
-- grain: one row per non-empty combination of the dimensions and period
SELECT
    r.*,
    CASE $group WHEN 'obstruction_site' THEN r.obstruction_site WHEN 'stenosis_grade' THEN r.stenosis_grade
                ELSE 'all' END AS group_value
FROM agg_safety_exposure_cells AS r
INNER JOIN studies AS s
    ON s.study_id = r.study_id
WHERE (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], r.study_id))
  AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], r.arm))
  AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], r.obstruction_site))
  AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], r.stenosis_grade))
  AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], r.baseline_band))
  AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], r.sex))
  AND r.age_years BETWEEN $age_min AND $age_max
  AND ($ulcer::VARCHAR IS NULL OR r.baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
  AND (s.design = 'randomized' OR NOT $randomized_only)
