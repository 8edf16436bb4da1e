-- band_distribution: attended visits per PTS band, by arm and visit month.
-- params: $by_study BOOLEAN as in trajectory_summary
-- grain: study_group, arm, visit_month, pts_band
SELECT
    CASE WHEN $by_study THEN c.study_id ELSE 'All studies' END AS study_group,
    c.arm,
    v.visit_month,
    v.pts_band,
    count(*) AS n
FROM cohort AS c
INNER JOIN scheduled_visits AS v
    ON v.patient_id = c.patient_id
GROUP BY ALL
ORDER BY study_group, c.arm DESC, v.visit_month, v.pts_band
