-- analysis_cohort: the cohort, restricted to patients of randomized studies when asked. Composed
-- into the analysis queries that read `analysis_cohort`.
-- params: $randomized_only BOOLEAN (TRUE = patients of randomized studies only)
-- grain: patient_id
SELECT c.*
FROM cohort AS c
INNER JOIN studies AS s
    ON s.study_id = c.study_id
WHERE s.design = 'randomized' OR NOT $randomized_only
