-- safety_events: per arm (and $group value), event type and period, events and patients with at
-- least one. An event before the index procedure is in "before the procedure", never in a window
-- after it; "within 30 days" is days 0-30 from the anchor (day 0, the procedure or enrollment day,
-- included: 31 days, as safety_exposure counts them); "any time" counts every event from
-- enrollment to last contact. Periods as in safety_exposure.
-- params: $group as in safety_follow_up
-- grain: arm, group_value, event_type, period
WITH

dated AS (
    SELECT
        f.arm,
        f.group_value,
        e.patient_id,
        e.event_type,
        CASE
            WHEN e.event_day < f.anchor_day THEN 'before the procedure'
            WHEN e.event_day - f.anchor_day <= 30 THEN 'within 30 days'
            ELSE 'after 30 days'
        END AS period
    FROM events AS e
    INNER JOIN safety_follow_up AS f
        ON f.patient_id = e.patient_id
    WHERE e.event_type NOT IN ('patency_restored', 'ulcer_healed')
),

both_ways AS (
    SELECT arm, group_value, patient_id, event_type, period FROM dated
    UNION ALL
    SELECT arm, group_value, patient_id, event_type, 'any time' FROM dated
)

SELECT
    arm,
    group_value,
    event_type,
    period,
    count(*) AS events,
    count(DISTINCT patient_id) AS patients_with
FROM both_ways
GROUP BY arm, group_value, event_type, period
ORDER BY event_type, arm DESC, group_value, period
