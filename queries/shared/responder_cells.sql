-- responder_cells: the cells of agg_responder_cells of the cohort the shared sidebar filters keep
-- (cohort_filter(), the filter of queries/shared/cohort.sql), of randomized studies
-- only when asked (as analysis_cohort).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         $randomized_only as in analysis_cohort
-- grain: one row per non-empty combination of the dimensions, visit_month and outcome
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT r.*
FROM (SELECT * FROM agg_responder_cells WHERE cohort_filter()) AS r
INNER JOIN studies AS s
    ON s.study_id = r.study_id
WHERE (s.design = 'randomized' OR NOT $randomized_only)
