-- safety_denominators: patients per arm (and $group value), the denominators of the event rates.
-- params: $group as in safety_events
-- grain: arm, group_value
SELECT
    arm,
    CASE $group WHEN 'obstruction_site' THEN obstruction_site WHEN 'stenosis_grade' THEN stenosis_grade
                ELSE 'all' END AS group_value,
    count(*) AS patients
FROM cohort
GROUP BY ALL
ORDER BY arm DESC, group_value
