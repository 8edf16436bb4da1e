-- visit_cells: the cells of agg_visit_cells of the cohort the shared sidebar filters keep (the
-- filter of queries/shared/cohort.sql, cohort_filter()).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: one row per non-empty combination of the filter dimensions and visit_month
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM agg_visit_cells
WHERE cohort_filter()
