-- analysis_visits: the visits of the analysis set (cohort patients, of randomized studies only
-- when asked) from the denormalised patient_visits table, for the fast twins of the analysis
-- queries (queries/fast/).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         $randomized_only as in analysis_cohort
-- grain: patient_id, visit_month
SELECT v.*
FROM patient_visits AS v
INNER JOIN studies AS s
    ON s.study_id = v.study_id
WHERE (s.design = 'randomized' OR NOT $randomized_only)
  AND (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], v.study_id))
  AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], v.arm))
  AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], v.obstruction_site))
  AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], v.stenosis_grade))
  AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], v.baseline_band))
  AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], v.sex))
  AND v.age_years BETWEEN $age_min AND $age_max
  AND ($ulcer::VARCHAR IS NULL OR v.baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
