-- cohort_size_by_study_arm (fast): answered from the pre-aggregated cells.
-- grain: study_id, arm
SELECT
    s.study_id,
    s.study_name,
    s.design,
    c.arm,
    CAST(sum(c.patients) AS BIGINT) AS patients
FROM patient_cells AS c
INNER JOIN studies AS s
    ON s.study_id = c.study_id
GROUP BY s.study_id, s.study_name, s.design, c.arm
ORDER BY s.study_id, c.arm DESC
