-- complication_counts: time from the anchor (procedure or enrollment, as in safety_follow_up) to
-- the first complication after it, aggregated per arm: status 1 a complication, 2 death first,
-- 0 censored at last contact, the input of a cumulative incidence curve.
-- params: $group as in safety_follow_up (unused here but part of the safety clock)
-- grain: group_value (the arm), duration_days, status
WITH

firsts AS (
    SELECT
        f.patient_id,
        f.arm,
        f.anchor_day,
        f.last_contact_day,
        min(e.event_day) FILTER (
            WHERE e.event_type NOT IN ('patency_restored', 'ulcer_healed', 'death') AND e.event_day >= f.anchor_day
        ) AS complication_day,
        min(e.event_day) FILTER (WHERE e.event_type = 'death') AS death_day
    FROM safety_follow_up AS f
    LEFT JOIN events AS e
        ON e.patient_id = f.patient_id
    GROUP BY f.patient_id, f.arm, f.anchor_day, f.last_contact_day
),

ended AS (
    SELECT
        arm,
        anchor_day,
        CASE
            WHEN complication_day <= last_contact_day AND (death_day IS NULL OR complication_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END AS status,
        least(coalesce(complication_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day)
            AS end_day
    FROM firsts
    WHERE last_contact_day >= anchor_day
)

SELECT
    arm AS group_value,
    end_day - anchor_day AS duration_days,
    status,
    count(*) AS n
FROM ended
GROUP BY ALL
ORDER BY group_value, duration_days
