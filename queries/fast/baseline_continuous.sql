-- baseline_continuous (fast): answered from the pre-aggregated cells: each characteristic's
-- n, mean and SD per arm from the cells' n, sums and sums of squares.
-- grain: arm, variable
WITH

long AS (
    SELECT arm, patients, variable, stat
    FROM patient_cells
    UNPIVOT (
        stat FOR variable IN (
            stat_age_years AS 'age_years',
            stat_bmi AS 'bmi',
            stat_months_since_dvt AS 'months_since_dvt',
            stat_stenosis_pct AS 'stenosis_pct',
            stat_villalta_total AS 'villalta_total',
            stat_vcss AS 'vcss',
            stat_veines_qol AS 'veines_qol'
        )
    )
),

summed AS (
    SELECT arm, variable, sum(patients) AS patients, sum(stat.n) AS n, sum(stat.s) AS s, sum(stat.ss) AS ss
    FROM long
    GROUP BY arm, variable
)

SELECT
    arm,
    variable,
    CAST(patients AS BIGINT) AS patients,
    CAST(n AS BIGINT) AS n,
    s / nullif(n, 0) AS mean,
    CASE WHEN n > 1 THEN sqrt(greatest((ss - s * s / n) / (n - 1), 0)) END AS sd
FROM summed
ORDER BY variable, arm DESC
