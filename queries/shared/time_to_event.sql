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
-- The event days are event_days' (queries/shared/event_days.sql, which patient_events stores); the patient
-- columns handed on are time_to_event_columns(), and how a clock ends endpoint_status() and endpoint_end()
-- (pts_explorer/sql.py), written once with patient_endpoints' stored clocks.
-- grain: patient_id
WITH

stent_endpoint AS (
    SELECT $endpoint IN ('primary_patency', 'assisted_primary_patency', 'secondary_patency',
                         'freedom_from_reintervention') AS yes
),

framed AS (
    SELECT
        time_to_event_columns(c),
        CASE WHEN (SELECT yes FROM stent_endpoint) THEN e.procedure_day ELSE 0 END AS start_day,
        CASE $endpoint
            WHEN 'primary_patency' THEN e.primary_loss_day
            WHEN 'assisted_primary_patency' THEN e.assisted_loss_day
            WHEN 'secondary_patency' THEN e.secondary_loss_day
            WHEN 'freedom_from_reintervention' THEN e.reintervention_day
            WHEN 'ulcer_healing' THEN e.ulcer_healed_day
            WHEN 'freedom_from_recurrent_dvt' THEN e.recurrent_dvt_day
        END AS event_day,
        e.death_day
    FROM analysis_cohort AS c
    LEFT JOIN event_days AS e
        ON e.patient_id = c.patient_id
    WHERE CASE
        WHEN (SELECT yes FROM stent_endpoint) THEN c.arm = 'stent' AND coalesce(e.technical_success, FALSE)
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
