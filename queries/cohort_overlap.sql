-- cohort_overlap: per arm, the patients of cohort A (`cohort`), of cohort B (`cohort_b`) and of both.
-- params: the cohort's ($study ... as in cohort.sql) and cohort B's ($b_study ... as in cohort_b.sql)
-- grain: arm
WITH

a AS (
    SELECT patient_id, arm FROM cohort
),

b AS (
    SELECT patient_id, arm FROM cohort_b
),

either AS (
    SELECT
        coalesce(a.patient_id, b.patient_id) AS patient_id,
        coalesce(a.arm, b.arm) AS arm,
        a.patient_id IS NOT NULL AS in_a,
        b.patient_id IS NOT NULL AS in_b
    FROM a
    FULL JOIN b
        ON b.patient_id = a.patient_id
)

SELECT
    arm,
    count(*) FILTER (WHERE in_a) AS in_a,
    count(*) FILTER (WHERE in_b) AS in_b,
    count(*) FILTER (WHERE in_a AND in_b) AS in_both
FROM either
GROUP BY arm
ORDER BY arm DESC
