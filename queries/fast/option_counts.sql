-- option_counts (fast): answered from the pre-aggregated cells (same columns and rows): the patients of
-- each option of the sidebar's filters that the other filters keep (queries/option_counts.sql).
-- params: as in queries/option_counts.sql
-- grain: field, value
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT 'study' AS field, study_id AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(ostudy_)
GROUP BY study_id
UNION ALL
SELECT 'arm' AS field, arm AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(oarm_)
GROUP BY arm
UNION ALL
SELECT 'site' AS field, obstruction_site AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(osite_)
GROUP BY obstruction_site
UNION ALL
SELECT 'grade' AS field, stenosis_grade AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(ograde_)
GROUP BY stenosis_grade
UNION ALL
SELECT 'band' AS field, baseline_band AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(oband_) AND baseline_band IS NOT NULL
GROUP BY baseline_band
UNION ALL
SELECT 'sex' AS field, sex AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(osex_)
GROUP BY sex
UNION ALL
SELECT 'ulcer' AS field, CASE WHEN baseline_ulcer THEN 'yes' ELSE 'no' END AS value, CAST(sum(patients) AS BIGINT) AS patients
FROM agg_patient_cells
WHERE cohort_filter(oulcer_)
GROUP BY baseline_ulcer
ORDER BY field, value
