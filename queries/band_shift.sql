-- band_shift: patients by baseline PTS band and band at $visit_month, per arm.
-- params: $visit_month INTEGER, $randomized_only BOOLEAN as in analysis_visit
-- grain: arm, baseline_band, visit_band
SELECT
    c.arm,
    b.pts_band AS baseline_band,
    f.pts_band AS visit_band,
    count(*) AS n
FROM analysis_cohort AS c
INNER JOIN scheduled_visits AS b
    ON b.patient_id = c.patient_id AND b.visit_month = 0
INNER JOIN scheduled_visits AS f
    ON f.patient_id = c.patient_id AND f.visit_month = $visit_month
GROUP BY ALL
ORDER BY c.arm DESC, baseline_band, visit_band
