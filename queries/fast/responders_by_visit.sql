-- responders_by_visit (fast): the same rows as queries/responders_by_visit.sql, summed from the
-- pre-aggregated responder cells instead of pairing every due patient with their visits.
-- params: $threshold, $randomized_only as in responders_by_visit (the cells were written with
--         $days_per_month)
-- grain: arm, visit_month
SELECT
    arm,
    visit_month,
    CAST(sum(patients) AS BIGINT) AS n_due,
    CAST(coalesce(sum(patients) FILTER (WHERE seen), 0) AS BIGINT) AS n,
    CAST(coalesce(sum(patients) FILTER (WHERE improvement >= $threshold), 0) AS BIGINT) AS responders_points,
    CAST(coalesce(sum(patients) FILTER (WHERE band_down), 0) AS BIGINT) AS responders_band,
    CAST(coalesce(sum(patients) FILTER (WHERE improvement >= $threshold OR band_down), 0) AS BIGINT)
        AS responders_either
FROM responder_cells
GROUP BY arm, visit_month
ORDER BY arm DESC, visit_month
