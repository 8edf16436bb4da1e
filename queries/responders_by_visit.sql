-- responders_by_visit: per arm and post-baseline visit: patients due at the visit (n_due), those
-- seen there (n), and how many responded: Villalta improved by at least $threshold points, moved
-- down at least one PTS band, or either. A patient due but not seen is never a responder, so the
-- counts serve both non-responder imputation (over n_due) and complete cases (over n).
-- params: $threshold DOUBLE (Villalta points); $days_per_month, $randomized_only as in
--         responder_pairs
-- grain: arm, visit_month
SELECT
    arm,
    visit_month,
    count(*) AS n_due,
    count(*) FILTER (WHERE seen) AS n,
    count(*) FILTER (WHERE improvement >= $threshold) AS responders_points,
    count(*) FILTER (WHERE band_down) AS responders_band,
    count(*) FILTER (WHERE improvement >= $threshold OR band_down) AS responders_either
FROM responder_pairs
GROUP BY arm, visit_month
ORDER BY arm DESC, visit_month
