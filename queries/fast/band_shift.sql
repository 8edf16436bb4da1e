-- band_shift (fast): the same rows as queries/band_shift.sql, from the visit rows that carry
-- their patient's baseline band.
-- params: $visit_month, $randomized_only as in analysis_visit
-- grain: arm, baseline_band, visit_band
SELECT
    arm,
    b_pts_band AS baseline_band,
    pts_band AS visit_band,
    count(*) AS n
FROM analysis_visits
WHERE visit_month = $visit_month AND b_pts_band IS NOT NULL
GROUP BY arm, b_pts_band, pts_band
ORDER BY arm DESC, baseline_band, visit_band
