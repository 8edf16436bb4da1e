-- responder_thresholds: at $visit_month, per arm and improvement threshold a user may choose
-- (threshold_values(), 1 to 15 Villalta points): patients due, seen, and responders by points or by
-- points-or-band (as responders_by_visit).
-- params: $visit_month INTEGER; $days_per_month, $randomized_only as in responder_pairs
-- grain: arm, threshold
WITH

thresholds AS (
    SELECT CAST(t AS DOUBLE) AS threshold
    FROM (VALUES threshold_values()) AS r(t)
)

SELECT
    p.arm,
    t.threshold,
    count(*) AS n_due,
    count(*) FILTER (WHERE p.seen) AS n,
    count(*) FILTER (WHERE p.improvement >= t.threshold) AS responders_points,
    count(*) FILTER (WHERE p.band_down) AS responders_band,
    count(*) FILTER (WHERE p.improvement >= t.threshold OR p.band_down) AS responders_either
FROM responder_pairs AS p
CROSS JOIN thresholds AS t
WHERE p.visit_month = $visit_month
GROUP BY p.arm, t.threshold
ORDER BY p.arm DESC, t.threshold
