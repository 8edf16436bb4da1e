-- band_distribution (fast): answered from the pre-aggregated visit cells (bands that occur).
-- params: $by_study as in trajectory_summary
-- grain: study_group, arm, visit_month, pts_band
WITH

grouped AS (
    SELECT
        CASE WHEN $by_study THEN study_id ELSE 'All studies' END AS study_group,
        arm,
        visit_month,
        sum(band_none) AS band_none,
        sum(band_mild) AS band_mild,
        sum(band_moderate) AS band_moderate,
        sum(band_severe) AS band_severe
    FROM visit_cells
    GROUP BY study_group, arm, visit_month
)

SELECT study_group, arm, visit_month, pts_band, CAST(n AS BIGINT) AS n
FROM grouped
UNPIVOT (
    n FOR pts_band IN (band_none AS 'none', band_mild AS 'mild', band_moderate AS 'moderate', band_severe AS 'severe')
)
WHERE n > 0
ORDER BY study_group, arm DESC, visit_month, pts_band
