-- cohort_funnel (fast): answered from the pre-aggregated cells (same columns and rows): how the
-- sidebar's filters narrow the cohort, one after another (queries/cohort_funnel.sql).
-- params: as in queries/cohort_funnel.sql
-- (the steps of "More filters", 9 on, are never restricted here: a statement they restrict runs from the
-- patient-level relations, db.run_query)
-- grain: step
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    0 AS step,
    CAST(coalesce(sum(patients), 0) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE allowed_studies()
UNION ALL
funnel_steps(agg_patient_cells)
ORDER BY step
