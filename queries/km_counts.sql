-- km_counts: the time-to-event data of $endpoint aggregated to (group, time, status) counts, which
-- is all a Kaplan-Meier or Aalen-Johansen estimate, the number at risk, a log-rank or Gray's test need.
-- params: $endpoint as in time_to_event; $group one of arm, obstruction_site, stenosis_grade,
--         study_id, sex, age_group
-- grain: group_value, duration_days, status (observed = status 1, the endpoint; 2 = death first)
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
    status,
    status = 1 AS observed,
    count(*) AS n
FROM time_to_event
GROUP BY ALL
ORDER BY group_value, duration_days, status
