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
-- ffr freedom from reintervention, uh ulcer healing, fdvt freedom from recurrent DVT.
-- Safety's complication clocks as queries/complication_counts.sql defines them, per period (w30
-- within 30 days, a30 after 30 days, any any time): <period>_origin and per kind of complication
-- (shared: either arm; stent: the stent arm only) <period>_<kind>_stop and <period>_<kind>_status,
-- all NULL where the patient is not followed on the window's first day.
-- sample_rank: the patient's place in the order (sample_key, patient_id) that draws every stable random
-- sample, 1 first (queries/fast/cox_data.sql draws the Cox model's sample by it).
-- grain: patient_id
CREATE TABLE patient_endpoints AS
WITH

clocked AS (
    SELECT
        c.patient_id,
        c.study_id,
        c.arm,
        c.obstruction_site,
        c.stenosis_grade,
        c.sex,
        c.age_years,
        c.age_group,
        c.baseline_band,
        c.lesion_group,
        c.high_grade_site,
        c.baseline_ulcer,
        c.last_contact_day,
        c.sample_key,
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
        anchor_day AS w30_low,
        least(last_contact_day, anchor_day + 30) AS w30_high,
        anchor_day + 31 AS a30_low,
        last_contact_day AS a30_high,
        0 AS any_low,
        last_contact_day AS any_high
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
        min(v.event_day) FILTER (WHERE v.kind = 'shared' AND v.event_day BETWEEN w.w30_low AND w.w30_high) AS w30_shared,
        min(v.event_day) FILTER (WHERE v.kind = 'stent' AND v.event_day BETWEEN w.w30_low AND w.w30_high) AS w30_stent,
        min(v.event_day) FILTER (WHERE v.kind = 'death' AND v.event_day BETWEEN w.w30_low AND w.w30_high) AS w30_death,
        min(v.event_day) FILTER (WHERE v.kind = 'shared' AND v.event_day BETWEEN w.a30_low AND w.a30_high) AS a30_shared,
        min(v.event_day) FILTER (WHERE v.kind = 'stent' AND v.event_day BETWEEN w.a30_low AND w.a30_high) AS a30_stent,
        min(v.event_day) FILTER (WHERE v.kind = 'death' AND v.event_day BETWEEN w.a30_low AND w.a30_high) AS a30_death,
        min(v.event_day) FILTER (WHERE v.kind = 'shared' AND v.event_day BETWEEN w.any_low AND w.any_high) AS any_shared,
        min(v.event_day) FILTER (WHERE v.kind = 'stent' AND v.event_day BETWEEN w.any_low AND w.any_high) AS any_stent,
        min(v.event_day) FILTER (WHERE v.kind = 'death' AND v.event_day BETWEEN w.any_low AND w.any_high) AS any_death
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
        w.w30_high >= w.w30_low AS w30_followed,
        w.a30_high >= w.a30_low AS a30_followed,
        w.any_high >= w.any_low AS any_followed
    FROM windows AS w
    LEFT JOIN firsts AS f
        ON f.patient_id = w.patient_id
)

SELECT
    patient_id,
    study_id,
    arm,
    obstruction_site,
    stenosis_grade,
    sex,
    age_years,
    age_group,
    baseline_band,
    lesion_group,
    high_grade_site,
    baseline_ulcer,
    last_contact_day,
    sample_key,
    CAST(row_number() OVER (ORDER BY sample_key, patient_id) AS INTEGER) AS sample_rank,
    CASE WHEN stent_eligible THEN procedure_day END AS pp_start,
    CASE WHEN stent_eligible THEN least(coalesce(primary_loss_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day) END
        AS pp_end,
    CASE WHEN stent_eligible THEN
        CASE
            WHEN primary_loss_day <= last_contact_day AND (death_day IS NULL OR primary_loss_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END
    END::TINYINT AS pp_status,
    CASE WHEN stent_eligible THEN procedure_day END AS app_start,
    CASE WHEN stent_eligible THEN least(coalesce(assisted_loss_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day) END
        AS app_end,
    CASE WHEN stent_eligible THEN
        CASE
            WHEN assisted_loss_day <= last_contact_day AND (death_day IS NULL OR assisted_loss_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END
    END::TINYINT AS app_status,
    CASE WHEN stent_eligible THEN procedure_day END AS sp_start,
    CASE WHEN stent_eligible THEN least(coalesce(secondary_loss_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day) END
        AS sp_end,
    CASE WHEN stent_eligible THEN
        CASE
            WHEN secondary_loss_day <= last_contact_day AND (death_day IS NULL OR secondary_loss_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END
    END::TINYINT AS sp_status,
    CASE WHEN stent_eligible THEN procedure_day END AS ffr_start,
    CASE WHEN stent_eligible THEN least(coalesce(reintervention_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day) END
        AS ffr_end,
    CASE WHEN stent_eligible THEN
        CASE
            WHEN reintervention_day <= last_contact_day AND (death_day IS NULL OR reintervention_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END
    END::TINYINT AS ffr_status,
    CASE WHEN baseline_ulcer THEN 0 END AS uh_start,
    CASE WHEN baseline_ulcer THEN least(coalesce(ulcer_healed_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day) END
        AS uh_end,
    CASE WHEN baseline_ulcer THEN
        CASE
            WHEN ulcer_healed_day <= last_contact_day AND (death_day IS NULL OR ulcer_healed_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END
    END::TINYINT AS uh_status,
    CASE WHEN TRUE THEN 0 END AS fdvt_start,
    CASE WHEN TRUE THEN least(coalesce(recurrent_dvt_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day) END
        AS fdvt_end,
    CASE WHEN TRUE THEN
        CASE
            WHEN recurrent_dvt_day <= last_contact_day AND (death_day IS NULL OR recurrent_dvt_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END
    END::TINYINT AS fdvt_status,
    CASE WHEN w30_followed THEN anchor_day END AS w30_origin,
    CASE WHEN w30_followed THEN least(coalesce(w30_shared, w30_high), coalesce(w30_death, w30_high)) END
        AS w30_shared_stop,
    CASE WHEN w30_followed THEN
        CASE
            WHEN w30_shared IS NOT NULL AND (w30_death IS NULL OR w30_shared <= w30_death) THEN 1
            WHEN w30_death IS NOT NULL THEN 2
            ELSE 0
        END
    END::TINYINT AS w30_shared_status,
    CASE WHEN w30_followed AND arm = 'stent' THEN least(coalesce(w30_stent, w30_high), coalesce(w30_death, w30_high)) END
        AS w30_stent_stop,
    CASE WHEN w30_followed AND arm = 'stent' THEN
        CASE
            WHEN w30_stent IS NOT NULL AND (w30_death IS NULL OR w30_stent <= w30_death) THEN 1
            WHEN w30_death IS NOT NULL THEN 2
            ELSE 0
        END
    END::TINYINT AS w30_stent_status,
    CASE WHEN a30_followed THEN anchor_day + 30 END AS a30_origin,
    CASE WHEN a30_followed THEN least(coalesce(a30_shared, a30_high), coalesce(a30_death, a30_high)) END
        AS a30_shared_stop,
    CASE WHEN a30_followed THEN
        CASE
            WHEN a30_shared IS NOT NULL AND (a30_death IS NULL OR a30_shared <= a30_death) THEN 1
            WHEN a30_death IS NOT NULL THEN 2
            ELSE 0
        END
    END::TINYINT AS a30_shared_status,
    CASE WHEN a30_followed AND arm = 'stent' THEN least(coalesce(a30_stent, a30_high), coalesce(a30_death, a30_high)) END
        AS a30_stent_stop,
    CASE WHEN a30_followed AND arm = 'stent' THEN
        CASE
            WHEN a30_stent IS NOT NULL AND (a30_death IS NULL OR a30_stent <= a30_death) THEN 1
            WHEN a30_death IS NOT NULL THEN 2
            ELSE 0
        END
    END::TINYINT AS a30_stent_status,
    CASE WHEN any_followed THEN 0 END AS any_origin,
    CASE WHEN any_followed THEN least(coalesce(any_shared, any_high), coalesce(any_death, any_high)) END
        AS any_shared_stop,
    CASE WHEN any_followed THEN
        CASE
            WHEN any_shared IS NOT NULL AND (any_death IS NULL OR any_shared <= any_death) THEN 1
            WHEN any_death IS NOT NULL THEN 2
            ELSE 0
        END
    END::TINYINT AS any_shared_status,
    CASE WHEN any_followed AND arm = 'stent' THEN least(coalesce(any_stent, any_high), coalesce(any_death, any_high)) END
        AS any_stent_stop,
    CASE WHEN any_followed AND arm = 'stent' THEN
        CASE
            WHEN any_stent IS NOT NULL AND (any_death IS NULL OR any_stent <= any_death) THEN 1
            WHEN any_death IS NOT NULL THEN 2
            ELSE 0
        END
    END::TINYINT AS any_stent_status
FROM framed
ORDER BY study_id, patient_id
