-- cohort_overlap (fast): the same rows as queries/cohort_overlap.sql, from the pre-aggregated
-- patient cells: a cell holds patients alike on every filter dimension, so it is wholly in a
-- cohort or wholly out, and the patients in both are the cells both filters keep (a test keeps
-- the two filters the text of queries/shared/cohort.sql and cohort_b.sql).
-- params: the cohort's and cohort B's ($b_) filters, as in cohort.sql and cohort_b.sql
-- grain: arm
WITH

flagged AS (
    SELECT
        arm,
        patients,
        (
            (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], study_id))
            AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], arm))
            AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], obstruction_site))
            AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], stenosis_grade))
            AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], baseline_band))
            AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], sex))
            AND age_years BETWEEN $age_min AND $age_max
            AND ($ulcer::VARCHAR IS NULL OR baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
        ) IS TRUE AS in_a,
        (
            (array_length($b_study::VARCHAR[]) = 0 OR list_contains($b_study::VARCHAR[], study_id))
            AND (array_length($b_arm::VARCHAR[]) = 0 OR list_contains($b_arm::VARCHAR[], arm))
            AND (array_length($b_site::VARCHAR[]) = 0 OR list_contains($b_site::VARCHAR[], obstruction_site))
            AND (array_length($b_grade::VARCHAR[]) = 0 OR list_contains($b_grade::VARCHAR[], stenosis_grade))
            AND (array_length($b_band::VARCHAR[]) = 0 OR list_contains($b_band::VARCHAR[], baseline_band))
            AND (array_length($b_sex::VARCHAR[]) = 0 OR list_contains($b_sex::VARCHAR[], sex))
            AND age_years BETWEEN $b_age_min AND $b_age_max
            AND ($b_ulcer::VARCHAR IS NULL OR baseline_ulcer = ($b_ulcer::VARCHAR = 'yes'))
        ) IS TRUE AS in_b
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
