-- analysis_visits: the visits of the analysis set (cohort patients, of randomized studies only
-- when asked) from the denormalised patient_visits table, for the fast twins of the analysis
-- queries (queries/fast/).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         $randomized_only as in analysis_cohort
-- grain: patient_id, visit_month
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT v.*
FROM (SELECT * FROM patient_visits WHERE cohort_filter()) AS v
INNER JOIN studies AS s
    ON s.study_id = v.study_id
WHERE (s.design = 'randomized' OR NOT $randomized_only)
