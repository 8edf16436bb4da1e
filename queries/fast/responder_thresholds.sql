-- responder_thresholds (fast): the same rows as queries/responder_thresholds.sql, summed from the
-- pre-aggregated responder cells.
-- params: $visit_month, $randomized_only as in responder_thresholds (the cells were written with
--         $days_per_month)
-- grain: arm, threshold
WITH

thresholds AS (
    SELECT CAST(t AS DOUBLE) AS threshold
    FROM (VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15)) AS r(t)
)

SELECT
    p.arm,
    t.threshold,
    CAST(sum(p.patients) AS BIGINT) AS n_due,
    CAST(coalesce(sum(p.patients) FILTER (WHERE p.seen), 0) AS BIGINT) AS n,
    CAST(coalesce(sum(p.patients) FILTER (WHERE p.improvement >= t.threshold), 0) AS BIGINT) AS responders_points,
    CAST(coalesce(sum(p.patients) FILTER (WHERE p.band_down), 0) AS BIGINT) AS responders_band,
    CAST(coalesce(sum(p.patients) FILTER (WHERE p.improvement >= t.threshold OR p.band_down), 0) AS BIGINT)
        AS responders_either
FROM responder_cells AS p
CROSS JOIN thresholds AS t
WHERE p.visit_month = $visit_month
GROUP BY p.arm, t.threshold
ORDER BY p.arm DESC, t.threshold
