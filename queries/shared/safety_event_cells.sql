-- safety_event_cells: the cells of agg_safety_event_cells of the cohort the shared sidebar filters
-- keep (cohort_filter(), the filter of queries/shared/cohort.sql), of randomized studies
-- only when asked (as analysis_cohort), with the page's grouping of the patients.
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         $randomized_only as in analysis_cohort; $group as in safety_follow_up
-- grain: one row per non-empty combination of the dimensions and period and event_type
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    r.*,
    CASE $group WHEN 'obstruction_site' THEN r.obstruction_site WHEN 'stenosis_grade' THEN r.stenosis_grade
                ELSE 'all' END AS group_value
FROM (SELECT * FROM agg_safety_event_cells WHERE cohort_filter()) AS r
INNER JOIN studies AS s
    ON s.study_id = r.study_id
WHERE (s.design = 'randomized' OR NOT $randomized_only)
