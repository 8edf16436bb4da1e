-- time_to_event: one row per cohort patient eligible for $endpoint, with the time to the endpoint,
-- to death (the competing event) or to censoring at last contact, whichever came first.
-- status: 1 the endpoint, 2 death first (competing), 0 censored; observed = (status = 1).
-- params: $endpoint one of
--   primary_patency           lost at the first stent_thrombosis, restenosis or reintervention
--   assisted_primary_patency  lost at the first stent_thrombosis
--   secondary_patency         lost at a stent_thrombosis with no patency_restored on or after it
--   freedom_from_reintervention  first reintervention
--     (these four: stent arm, technically successful procedures, time from the procedure)
--   ulcer_healing             first ulcer_healed; patients with an ulcer at baseline, both arms
--   freedom_from_recurrent_dvt  first recurrent_dvt; both arms
--     (these two: time from enrollment)
-- $randomized_only as in analysis_cohort
-- The patient columns handed on are time_to_event_columns(), and how a clock ends endpoint_status() and
-- endpoint_end() (pts_explorer/sql.py), written once with patient_endpoints' stored clocks.
-- grain: patient_id
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

stent_endpoint AS (
    SELECT $endpoint IN ('primary_patency', 'assisted_primary_patency', 'secondary_patency',
                         'freedom_from_reintervention') AS yes
),

framed AS (
    SELECT
        time_to_event_columns(c),
        CASE WHEN (SELECT yes FROM stent_endpoint) THEN pr.procedure_day ELSE 0 END AS start_day,
        CASE $endpoint
            WHEN 'primary_patency' THEN f.primary_loss_day
            WHEN 'assisted_primary_patency' THEN f.assisted_loss_day
            WHEN 'secondary_patency' THEN u.secondary_loss_day
            WHEN 'freedom_from_reintervention' THEN f.reintervention_day
            WHEN 'ulcer_healing' THEN f.ulcer_healed_day
            WHEN 'freedom_from_recurrent_dvt' THEN f.recurrent_dvt_day
        END AS event_day,
        f.death_day
    FROM analysis_cohort AS c
    LEFT JOIN procedures AS pr
        ON pr.patient_id = c.patient_id
    LEFT JOIN first_events AS f
        ON f.patient_id = c.patient_id
    LEFT JOIN unrestored_occlusions AS u
        ON u.patient_id = c.patient_id
    WHERE CASE
        WHEN (SELECT yes FROM stent_endpoint) THEN c.arm = 'stent' AND coalesce(pr.technical_success, FALSE)
        WHEN $endpoint = 'ulcer_healing' THEN c.baseline_ulcer
        ELSE TRUE
    END
),

ended AS (
    SELECT
        * EXCLUDE (event_day, death_day),
        endpoint_status(event_day) AS status,
        endpoint_end(event_day) AS end_day
    FROM framed
)

SELECT
    * EXCLUDE (end_day),
    greatest(end_day - start_day, 0) AS duration_days,
    status = 1 AS observed
FROM ended
