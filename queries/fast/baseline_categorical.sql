-- baseline_categorical (fast): answered from the pre-aggregated cells (levels that occur).
-- grain: arm, variable, level
WITH

counted AS (
    SELECT arm, 'study' AS variable, study_id AS level, patients AS n FROM patient_cells
    UNION ALL
    SELECT arm, 'sex', sex, patients FROM patient_cells
    UNION ALL
    SELECT arm, 'obstruction_site', obstruction_site, patients FROM patient_cells
    UNION ALL
    SELECT arm, 'stenosis_grade', stenosis_grade, patients FROM patient_cells
    UNION ALL
    SELECT arm, 'baseline_band', baseline_band, patients FROM patient_cells WHERE baseline_band IS NOT NULL
    UNION ALL
    SELECT arm, 'baseline_ulcer', CASE WHEN baseline_ulcer THEN 'yes' ELSE 'no' END, patients FROM patient_cells
    UNION ALL
    SELECT arm, 'limb_side', 'left', limb_side_left FROM patient_cells
    UNION ALL
    SELECT arm, 'limb_side', 'right', limb_side_right FROM patient_cells
    UNION ALL
    SELECT arm, 'ceap_c', 'C3', ceap_c_c3 FROM patient_cells
    UNION ALL
    SELECT arm, 'ceap_c', 'C4a', ceap_c_c4a FROM patient_cells
    UNION ALL
    SELECT arm, 'ceap_c', 'C4b', ceap_c_c4b FROM patient_cells
    UNION ALL
    SELECT arm, 'ceap_c', 'C4c', ceap_c_c4c FROM patient_cells
    UNION ALL
    SELECT arm, 'ceap_c', 'C5', ceap_c_c5 FROM patient_cells
    UNION ALL
    SELECT arm, 'ceap_c', 'C6', ceap_c_c6 FROM patient_cells
)

SELECT
    arm,
    variable,
    level,
    CAST(sum(n) AS BIGINT) AS n
FROM counted
GROUP BY arm, variable, level
HAVING sum(n) > 0
ORDER BY variable, level, arm DESC
