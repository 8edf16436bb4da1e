-- cohort_counts (fast): answered from the pre-aggregated cells (same columns and rows).
-- grain: arm
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

kept AS (
    SELECT arm, sum(patients) AS matching FROM patient_cells GROUP BY arm
)

SELECT
    a.arm,
    CAST(sum(a.patients) AS BIGINT) AS total,
    CAST(coalesce(any_value(k.matching), 0) AS BIGINT) AS matching
FROM agg_patient_cells AS a
LEFT JOIN kept AS k
    ON k.arm = a.arm
WHERE allowed_studies(a.study_id)
GROUP BY a.arm
ORDER BY a.arm DESC
