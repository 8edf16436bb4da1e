-- cohort_funnel (fast): answered from the pre-aggregated cells (same columns and rows): how the
-- sidebar's filters narrow the cohort, one after another (queries/cohort_funnel.sql).
-- params: as in queries/cohort_funnel.sql
-- (the steps of "More filters", 9 on, are never restricted here: a statement they restrict runs from the
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
UNION ALL
SELECT 10 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f10_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 11 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f11_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 12 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f12_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 13 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f13_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 14 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f14_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 15 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f15_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 16 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f16_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
UNION ALL
SELECT 17 AS step, CAST(coalesce(sum(patients) FILTER (WHERE cohort_filter(f17_)), 0) AS BIGINT) AS patients FROM agg_patient_cells
ORDER BY step
