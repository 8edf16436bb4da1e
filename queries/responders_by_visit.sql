-- responders_by_visit: per arm and post-baseline visit, patients with both visits and how many
-- responded: Villalta improved by at least $threshold points, moved down at least one PTS band,
-- or either.
-- params: $threshold DOUBLE (Villalta points), $randomized_only BOOLEAN as in analysis_visit
-- grain: arm, visit_month
WITH

ranked AS (
    SELECT
        patient_id,
        visit_month,
        villalta_total,
        CASE pts_band WHEN 'none' THEN 0 WHEN 'mild' THEN 1 WHEN 'moderate' THEN 2 ELSE 3 END AS band_rank
    FROM visits
),

paired AS (
    SELECT
        e.arm,
        f.visit_month,
        (b.villalta_total - f.villalta_total) >= $threshold AS by_points,
        f.band_rank < b.band_rank AS by_band
    FROM analysis_cohort AS e
    INNER JOIN ranked AS b
        ON b.patient_id = e.patient_id AND b.visit_month = 0
    INNER JOIN ranked AS f
        ON f.patient_id = e.patient_id AND f.visit_month > 0
)

SELECT
    arm,
    visit_month,
    count(*) AS n,
    count(*) FILTER (WHERE by_points) AS responders_points,
    count(*) FILTER (WHERE by_band) AS responders_band,
    count(*) FILTER (WHERE by_points OR by_band) AS responders_either
FROM paired
GROUP BY arm, visit_month
ORDER BY arm DESC, visit_month
