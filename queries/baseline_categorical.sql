-- baseline_categorical: Table 1 categorical characteristics by arm, counts per level.
-- grain: arm, variable, level
WITH

baseline AS (
    SELECT
        arm,
        study_id AS study,
        sex,
        limb_side,
        obstruction_site,
        stenosis_grade,
        ceap_c,
        baseline_band,
        CASE WHEN baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer
    FROM cohort
),

long AS (
    SELECT arm, variable, level
    FROM baseline
    UNPIVOT (level FOR variable IN (
        study, sex, limb_side, obstruction_site, stenosis_grade, ceap_c, baseline_band, baseline_ulcer
    ))
)

SELECT
    arm,
    variable,
    level,
    count(*) AS n
FROM long
GROUP BY ALL
ORDER BY variable, level, arm DESC
