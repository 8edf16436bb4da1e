-- trajectory_summary (fast): answered from the pre-aggregated visit cells: per arm and visit
-- the outcome's n, mean and SD from the cells' n, sums and sums of squares, measured and as change.
-- params: $outcome, $by_study as in trajectory_summary
-- grain: study_group, arm, visit_month
WITH

picked AS (
    SELECT
        CASE WHEN $by_study THEN study_id ELSE 'All studies' END AS study_group,
        arm,
        visit_month,
        outcome_stat() AS stat
    FROM visit_cells
),

summed AS (
    SELECT
        study_group,
        arm,
        visit_month,
        sum(stat.n) AS n,
        sum(stat.s) AS s,
        sum(stat.ss) AS ss,
        sum(stat.n_change) AS n_change,
        sum(stat.s_change) AS s_change,
        sum(stat.ss_change) AS ss_change
    FROM picked
    GROUP BY study_group, arm, visit_month
)

SELECT
    study_group,
    arm,
    visit_month,
    CAST(n AS BIGINT) AS n,
    s / nullif(n, 0) AS mean,
    CASE WHEN n > 1 THEN sqrt(greatest((ss - s * s / n) / (n - 1), 0)) END AS sd,
    CAST(n_change AS BIGINT) AS n_change,
    s_change / nullif(n_change, 0) AS mean_change,
    CASE WHEN n_change > 1 THEN sqrt(greatest((ss_change - s_change * s_change / n_change) / (n_change - 1), 0)) END
        AS sd_change
FROM summed
ORDER BY study_group, arm DESC, visit_month
