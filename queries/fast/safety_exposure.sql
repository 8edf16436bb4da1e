-- safety_exposure (fast): the same rows as queries/safety_exposure.sql, summed from the
-- pre-aggregated safety exposure cells.
-- params: $group as in safety_exposure
-- grain: arm, group_value, period
SELECT
    arm,
    group_value,
    period,
    CAST(sum(patients) AS BIGINT) AS patients,
    sum(follow_up_days) AS follow_up_days
FROM safety_exposure_cells
GROUP BY arm, group_value, period
ORDER BY arm DESC, group_value, period
