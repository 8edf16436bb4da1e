-- cohort_funnel (fast): answered from the pre-aggregated cells (same columns and rows): how the
-- sidebar's filters narrow the cohort, one after another (queries/cohort_funnel.sql).
-- params: as in queries/cohort_funnel.sql
-- (step 9, the "More filters", is never restricted here: a statement they restrict runs from the
-- patient-level relations, db.run_query)
-- grain: step
SELECT
    0 AS step,
    CAST(coalesce(sum(patients), 0) AS BIGINT) AS patients
FROM agg_patient_cells
UNION ALL
SELECT 1 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f1_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 2 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f2_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 3 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f3_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 4 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f4_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 5 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f5_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 6 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f6_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 7 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f7_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 8 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f8_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 9 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f9_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
ORDER BY step
