-- responder_thresholds (fast): the same rows as queries/responder_thresholds.sql, summed from the
-- responder counts stored at each of its thresholds (agg_responder_counts, threshold_values()), of
-- the cohort the sidebar's cohort_filter() keeps, of randomized studies only when asked (as
-- responder_cells).
-- params: $visit_month, $randomized_only as in responder_thresholds (the cells were written with
--         $days_per_month); the cohort's as in cohort.sql
-- grain: arm, threshold
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    arm,
    threshold,
    CAST(sum(n_due) AS BIGINT) AS n_due,
    CAST(sum(n) AS BIGINT) AS n,
    CAST(sum(responders_points) AS BIGINT) AS responders_points,
    CAST(sum(responders_band) AS BIGINT) AS responders_band,
    CAST(sum(responders_either) AS BIGINT) AS responders_either
FROM agg_responder_counts
WHERE visit_month = $visit_month
  AND cohort_filter()
  AND study_id IN (SELECT study_id FROM studies WHERE design = 'randomized' OR NOT $randomized_only)
GROUP BY arm, threshold
ORDER BY arm DESC, threshold
