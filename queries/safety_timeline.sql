-- safety_timeline: complications per arm, event type and month since the index procedure (since
-- enrollment in the medical arm), for a timeline of when they occur.
-- params: $days_per_month DOUBLE (the app's one month length, pts_explorer.vocab.DAYS_PER_MONTH)
-- grain: arm, event_type, month
SELECT
    c.arm,
    e.event_type,
    floor((e.event_day - coalesce(pr.procedure_day, 0)) / $days_per_month)::INTEGER AS month,
    count(*) AS events
FROM events AS e
INNER JOIN cohort AS c
    ON c.patient_id = e.patient_id
LEFT JOIN procedures AS pr
    ON pr.patient_id = e.patient_id
WHERE e.event_type NOT IN ('patency_restored', 'ulcer_healed')
GROUP BY ALL
ORDER BY c.arm DESC, e.event_type, month
