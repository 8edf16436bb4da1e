-- safety_denominators: patients per arm (and $group value), the denominators of the event rates.
-- params: $group as in safety_events, $randomized_only as in analysis_cohort
-- grain: arm, group_value
SELECT
    arm,
    CASE $group WHEN 'obstruction_site' THEN obstruction_site WHEN 'stenosis_grade' THEN stenosis_grade
                ELSE 'all' END AS group_value,
    count(*) AS patients
FROM analysis_cohort
GROUP BY ALL
ORDER BY arm DESC, group_value
