-- event_days: each patient's index procedure and the first day of every event the time-to-event
-- endpoints end at (queries/shared/time_to_event.sql), for the patients with a procedure or an event:
-- the one definition of those days, which time_to_event reads and queries/derived/patient_events.sql
-- stores (pts_explorer/derived.py composes it in).
-- secondary_loss_day: the first stent thrombosis with no patency restored on or after it.
-- grain: patient_id (patients with a procedure or an event)
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

first_events AS (
    SELECT
        patient_id,
        min(event_day) FILTER (WHERE event_type IN ('stent_thrombosis', 'restenosis', 'reintervention'))
            AS primary_loss_day,
        min(event_day) FILTER (WHERE event_type = 'stent_thrombosis') AS assisted_loss_day,
        min(event_day) FILTER (WHERE event_type = 'reintervention') AS reintervention_day,
        min(event_day) FILTER (WHERE event_type = 'ulcer_healed') AS ulcer_healed_day,
        min(event_day) FILTER (WHERE event_type = 'recurrent_dvt') AS recurrent_dvt_day,
        min(event_day) FILTER (WHERE event_type = 'death') AS death_day
    FROM events
    GROUP BY patient_id
),

unrestored_occlusions AS (
    SELECT t.patient_id, min(t.event_day) AS secondary_loss_day
    FROM events AS t
    WHERE t.event_type = 'stent_thrombosis'
      AND NOT EXISTS (
          SELECT 1 FROM events AS r
          WHERE r.patient_id = t.patient_id AND r.event_type = 'patency_restored' AND r.event_day >= t.event_day
      )
    GROUP BY t.patient_id
),

with_event_or_procedure AS (
    SELECT patient_id FROM first_events
    UNION
    SELECT patient_id FROM procedures
)

SELECT
    w.patient_id,
    pr.procedure_day,
    pr.technical_success,
    f.primary_loss_day,
    f.assisted_loss_day,
    f.reintervention_day,
    f.ulcer_healed_day,
    f.recurrent_dvt_day,
    f.death_day,
    u.secondary_loss_day
FROM with_event_or_procedure AS w
LEFT JOIN procedures AS pr
    ON pr.patient_id = w.patient_id
LEFT JOIN first_events AS f
    ON f.patient_id = w.patient_id
LEFT JOIN unrestored_occlusions AS u
    ON u.patient_id = w.patient_id
WHERE w.patient_id IN (SELECT patient_id FROM patients WHERE allowed_studies())
