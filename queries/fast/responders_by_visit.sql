-- responders_by_visit (fast): the same rows as queries/responders_by_visit.sql, summed from the
-- responder counts stored at each threshold a user may choose (agg_responder_counts: one threshold's
-- rows, no pass over each cell's improvement), of the cohort the sidebar's cohort_filter() keeps, of
-- randomized studies only when asked (as responder_cells). A threshold the counts were not stored for
-- (not one of threshold_values()) is summed from the responder cells instead: the same rows for any
-- threshold (DuckDB drops the branch that the bound threshold rules out before reading its table).
-- params: $threshold, $randomized_only as in responders_by_visit (the cells were written with
--         $days_per_month); the cohort's as in cohort.sql
-- grain: arm, visit_month
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

counted AS (
    SELECT arm, visit_month, n_due, n, responders_points, responders_band, responders_either
    FROM agg_responder_counts
    WHERE threshold = $threshold
      AND cohort_filter()
      AND study_id IN (SELECT study_id FROM studies WHERE design = 'randomized' OR NOT $randomized_only)
    UNION ALL
    SELECT
        arm,
        visit_month,
        patients AS n_due,
        CASE WHEN seen THEN patients ELSE 0 END AS n,
        CASE WHEN improvement >= $threshold THEN patients ELSE 0 END AS responders_points,
        CASE WHEN band_down THEN patients ELSE 0 END AS responders_band,
        CASE WHEN improvement >= $threshold OR band_down THEN patients ELSE 0 END AS responders_either
    FROM responder_cells
    WHERE $threshold NOT IN (threshold_values())
)

SELECT
    arm,
    visit_month,
    CAST(sum(n_due) AS BIGINT) AS n_due,
    CAST(sum(n) AS BIGINT) AS n,
    CAST(sum(responders_points) AS BIGINT) AS responders_points,
    CAST(sum(responders_band) AS BIGINT) AS responders_band,
    CAST(sum(responders_either) AS BIGINT) AS responders_either
FROM counted
GROUP BY arm, visit_month
ORDER BY arm DESC, visit_month
