-- complication_counts: time to the first complication of the Safety $period, per arm and kind of
-- complication, aggregated: status 1 a complication, 2 death first, 0 censored (at last contact
-- or at the end of the window), the input of a cumulative incidence curve.
-- Kinds, so that arms are compared like with like: 'shared', the complications either arm can
-- have (major bleeding, recurrent DVT, pulmonary embolism, ulcer recurrence), one curve per arm;
-- 'stent', those that need a stent or its procedure (stent thrombosis, restenosis,
-- reintervention, stent migration, access-site bleeding), the stent arm only.
-- Time origin and window, as safety_events dates its periods (the anchor is the index procedure
-- for stent patients, enrollment for medical ones; days are whole days from it):
--   within 30 days: from the anchor, days 0-30 (censored at day 30), patients followed at the anchor;
--   after 30 days: from day 30 after the anchor, events from day 31, patients followed beyond day 30;
--   any time: from enrollment (day 0) to last contact, every patient, whatever the arm.
-- "before the procedure" has no curve (the stent arm only, a window of days): no row.
-- params: $period one of the Safety periods; $group as in safety_follow_up (unused here)
-- grain: group_value (arm, or 'stent_related' for the stent kind), duration_days, status
WITH

clock AS (
    SELECT
        patient_id,
        arm,
        CASE $period WHEN 'within 30 days' THEN anchor_day WHEN 'after 30 days' THEN anchor_day + 30 ELSE 0 END
            AS origin_day,
        CASE $period WHEN 'within 30 days' THEN least(last_contact_day, anchor_day + 30) ELSE last_contact_day END
            AS end_day
    FROM safety_follow_up
    WHERE $period IN ('within 30 days', 'after 30 days', 'any time')
),

kinds AS (
    SELECT 'shared' AS kind
    UNION ALL
    SELECT 'stent'
),

framed AS (
    SELECT c.*, k.kind
    FROM clock AS c
    INNER JOIN kinds AS k
        ON k.kind = 'shared' OR c.arm = 'stent'
    -- in the window: followed on its first day (within 30 days, any time: day 0; after 30 days: day 31)
    WHERE c.end_day >= c.origin_day + CASE $period WHEN 'after 30 days' THEN 1 ELSE 0 END
),

dated AS (
    SELECT
        patient_id,
        event_day,
        event_type,
        CASE
            WHEN event_type IN ('major_bleeding', 'recurrent_dvt', 'pulmonary_embolism', 'ulcer_recurred') THEN 'shared'
            WHEN event_type IN ('stent_thrombosis', 'restenosis', 'reintervention', 'stent_migration',
                                'access_site_bleeding') THEN 'stent'
        END AS kind
    FROM events
),

firsts AS (
    SELECT
        f.patient_id,
        f.arm,
        f.kind,
        f.origin_day,
        f.end_day,
        min(e.event_day) FILTER (WHERE e.kind = f.kind) AS complication_day,
        min(e.event_day) FILTER (WHERE e.event_type = 'death') AS death_day
    FROM framed AS f
    LEFT JOIN dated AS e
        ON e.patient_id = f.patient_id
       AND e.event_day >= f.origin_day + CASE $period WHEN 'after 30 days' THEN 1 ELSE 0 END
       AND e.event_day <= f.end_day
    GROUP BY ALL
),

ended AS (
    SELECT
        CASE WHEN kind = 'stent' THEN 'stent_related' ELSE arm END AS group_value,
        origin_day,
        CASE
            WHEN complication_day IS NOT NULL AND (death_day IS NULL OR complication_day <= death_day) THEN 1
            WHEN death_day IS NOT NULL THEN 2
            ELSE 0
        END AS status,
        least(coalesce(complication_day, end_day), coalesce(death_day, end_day)) AS stop_day
    FROM firsts
)

SELECT
    group_value,
    stop_day - origin_day AS duration_days,
    status,
    count(*) AS n
FROM ended
GROUP BY ALL
ORDER BY group_value, duration_days, status
