-- cohort_counts: patients matching the filters in each arm, out of all patients in that arm.
-- grain: arm
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    p.arm,
    count(*) AS total,
    count(c.patient_id) AS matching
FROM patients AS p
LEFT JOIN cohort AS c
    ON c.patient_id = p.patient_id
WHERE allowed_studies(p.study_id)
GROUP BY p.arm
ORDER BY p.arm DESC
