-- study_summary: every study with its design, patients per arm and the longest follow-up, for the
-- home page's description of the loaded data (the whole database, not the cohort).
-- grain: study_id
-- params: $days_per_year (follow-up in years)
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    s.study_id,
    s.study_name,
    s.design,
    count(p.patient_id) AS patients,
    count(p.patient_id) FILTER (WHERE p.arm = 'stent') AS stent,
    count(p.patient_id) FILTER (WHERE p.arm = 'medical') AS medical,
    coalesce(max(p.last_contact_day), 0) / $days_per_year AS max_follow_up_years
FROM studies AS s
LEFT JOIN patients AS p
    ON p.study_id = s.study_id
WHERE allowed_studies(s.study_id)
GROUP BY ALL
ORDER BY s.study_id
