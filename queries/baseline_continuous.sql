-- baseline_continuous: Table 1 continuous characteristics by arm (month-0 visit for scores).
-- grain: arm, variable
WITH

baseline AS (
    SELECT
        c.arm,
        c.age_years::DOUBLE AS age_years,
        c.bmi::DOUBLE AS bmi,
        c.months_since_dvt::DOUBLE AS months_since_dvt,
        c.stenosis_pct::DOUBLE AS stenosis_pct,
        v.villalta_total::DOUBLE AS villalta_total,
        v.vcss::DOUBLE AS vcss,
        v.veines_qol::DOUBLE AS veines_qol
    FROM cohort AS c
    LEFT JOIN scheduled_visits AS v
        ON v.patient_id = c.patient_id AND v.visit_month = 0
),

arm_size AS (
    SELECT arm, count(*) AS patients FROM baseline GROUP BY arm
),

long AS (
    SELECT arm, variable, value
    FROM baseline
    UNPIVOT INCLUDE NULLS (
        value FOR variable IN (age_years, bmi, months_since_dvt, stenosis_pct, villalta_total, vcss, veines_qol)
    )
)

SELECT
    long.arm,
    long.variable,
    any_value(arm_size.patients) AS patients,
    count(long.value) AS n,
    avg(long.value) AS mean,
    stddev_samp(long.value) AS sd
FROM long
INNER JOIN arm_size
    ON arm_size.arm = long.arm
GROUP BY long.arm, long.variable
ORDER BY long.variable, long.arm DESC
