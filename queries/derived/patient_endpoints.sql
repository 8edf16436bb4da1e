-- patient_endpoints: every patient's clock for each time-to-event endpoint, computed once: the day
-- it starts, the day it ends (the endpoint, death first, or censoring) and how it ended (status 1
-- the endpoint, 2 death first, 0 censored), so Durability, Compare and Safety read one row per
-- patient instead of joining the patients to their events and procedures. Each row carries the
-- patient's cohort_filter() dimensions and the columns time_to_event hands on (as patient_cohort
-- holds them), so the sidebar's cohort is a filtered scan of this table alone. Written with the
-- data (pts_explorer/derived.py) from patient_cohort, patient_events and events.
-- Durability's endpoints as queries/shared/time_to_event.sql defines them: <endpoint>_start,
-- <endpoint>_end, <endpoint>_status, all NULL where the patient is not eligible (the four stent
-- endpoints: stent arm and a technically successful procedure; ulcer_healing: an ulcer at
-- baseline). Short names: pp primary patency, app assisted primary patency, sp secondary patency,
-- ffr freedom from reintervention, uh ulcer healing, fdvt freedom from recurrent DVT. Each endpoint's
-- columns are written by endpoint_clocks() from sql.ENDPOINT_CLOCKS (who is eligible, when the clock
-- starts, the event that ends it), its end and status by the same endpoint_end()/endpoint_status()
-- that time_to_event uses; the patient columns by clock_patient_columns() (pts_explorer/sql.py).
-- Safety's complication clocks as queries/complication_counts.sql defines them, per period (w30
-- within 30 days, a30 after 30 days, any any time): <period>_origin and per kind of complication
-- (shared: either arm; stent: the stent arm only) <period>_<kind>_stop and <period>_<kind>_status,
-- all NULL where the patient is not followed on the window's first day; written by safety_windows(),
-- safety_firsts(), safety_followed() and safety_clocks() from sql.SAFETY_PERIODS and SAFETY_KINDS.
-- sample_rank: the patient's place in the order (sample_key, patient_id) that draws every stable random
-- sample, 1 first (queries/fast/cox_data.sql draws the Cox model's sample by it).
-- grain: patient_id
CREATE TABLE patient_endpoints AS
WITH

clocked AS (
    SELECT
        clock_patient_columns(c),
        c.arm = 'stent' AND coalesce(e.technical_success, FALSE) AS stent_eligible,
        e.procedure_day,
        e.primary_loss_day,
        e.assisted_loss_day,
        e.secondary_loss_day,
        e.reintervention_day,
        e.ulcer_healed_day,
        e.recurrent_dvt_day,
        e.death_day,
        -- Safety's anchor (queries/shared/safety_follow_up.sql)
        CASE WHEN c.arm = 'stent' THEN coalesce(e.procedure_day, 0) ELSE 0 END AS anchor_day
    FROM patient_cohort AS c
    LEFT JOIN patient_events AS e
        ON e.patient_id = c.patient_id
),

-- each Safety period's days: within 30 days, days 0-30 from the anchor; after 30 days, from day 31;
-- any time, from enrollment; each to last contact
windows AS (
    SELECT
        *,
        safety_windows()
    FROM clocked
),

kinds AS (
    SELECT
        patient_id,
        event_day,
        CASE
            WHEN event_type IN ('major_bleeding', 'recurrent_dvt', 'pulmonary_embolism', 'ulcer_recurred') THEN 'shared'
            WHEN event_type IN ('stent_thrombosis', 'restenosis', 'reintervention', 'stent_migration',
                                'access_site_bleeding') THEN 'stent'
            WHEN event_type = 'death' THEN 'death'
        END AS kind
    FROM events
),

-- the first complication of each kind, and death, within each window
firsts AS (
    SELECT
        w.patient_id,
        safety_firsts()
    FROM windows AS w
    INNER JOIN kinds AS v
        ON v.patient_id = w.patient_id
    WHERE v.kind IS NOT NULL
    GROUP BY w.patient_id
),

framed AS (
    SELECT
        w.*,
        f.* EXCLUDE (patient_id),
        safety_followed()
    FROM windows AS w
    LEFT JOIN firsts AS f
        ON f.patient_id = w.patient_id
)

SELECT
    clock_patient_columns(),
    CAST(row_number() OVER (ORDER BY sample_key, patient_id) AS INTEGER) AS sample_rank,
    endpoint_clocks(),
    safety_clocks()
FROM framed
ORDER BY study_id, patient_id
