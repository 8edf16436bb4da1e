-- km_counts: the time-to-event data of $endpoint aggregated to (group, time, event) counts, which
-- is all a Kaplan-Meier estimate, its number-at-risk table and a log-rank test need.
-- params: $endpoint as in time_to_event; $group one of arm, obstruction_site, stenosis_grade,
--         study_id, sex, age_group
-- grain: group_value, duration_days, observed
SELECT
    CASE $group
        WHEN 'arm' THEN arm
        WHEN 'obstruction_site' THEN obstruction_site
        WHEN 'stenosis_grade' THEN stenosis_grade
        WHEN 'study_id' THEN study_id
        WHEN 'sex' THEN sex
        WHEN 'age_group' THEN age_group
    END AS group_value,
    duration_days,
    observed,
    count(*) AS n
FROM time_to_event
GROUP BY ALL
ORDER BY group_value, duration_days
