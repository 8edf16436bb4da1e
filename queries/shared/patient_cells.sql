-- patient_cells: the cells of agg_patient_cells that the shared sidebar filters keep: the same
-- cohort as queries/shared/cohort.sql, counted instead of listed (the same cohort_filter()).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: one row per non-empty combination of the filter dimensions
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM agg_patient_cells
WHERE cohort_filter()
