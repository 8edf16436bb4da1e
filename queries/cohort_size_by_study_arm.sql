-- cohort_size_by_study_arm: cohort patients per study and arm, with the study design.
-- grain: study_id, arm
SELECT
    s.study_id,
    s.study_name,
    s.design,
    c.arm,
    count(*) AS patients
FROM cohort AS c
INNER JOIN studies AS s
    ON s.study_id = c.study_id
GROUP BY ALL
ORDER BY s.study_id, c.arm DESC
