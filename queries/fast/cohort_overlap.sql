-- cohort_overlap (fast): the same rows as queries/cohort_overlap.sql, from the pre-aggregated
-- patient cells: a cell holds patients alike on every filter dimension, so it is wholly in a
-- cohort or wholly out, and the patients in both are the cells both filters keep (cohort_filter()
-- and cohort_filter(b_), as in queries/shared/cohort.sql and cohort_b.sql).
-- params: the cohort's and cohort B's ($b_) filters, as in cohort.sql and cohort_b.sql
-- grain: arm
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

flagged AS (
    SELECT
        arm,
        patients,
        cohort_filter() IS TRUE AS in_a,
        cohort_filter(b_) IS TRUE AS in_b
    FROM agg_patient_cells
)

SELECT
    arm,
    CAST(coalesce(sum(patients) FILTER (WHERE in_a), 0) AS BIGINT) AS in_a,
    CAST(coalesce(sum(patients) FILTER (WHERE in_b), 0) AS BIGINT) AS in_b,
    CAST(coalesce(sum(patients) FILTER (WHERE in_a AND in_b), 0) AS BIGINT) AS in_both
FROM flagged
WHERE in_a OR in_b
GROUP BY arm
ORDER BY arm DESC
