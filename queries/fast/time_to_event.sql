-- time_to_event (fast): the same rows as queries/shared/time_to_event.sql, from the stored first
-- event days of each patient (patient_events) instead of a pass over the events.
-- params: $endpoint, $randomized_only as in time_to_event
-- grain: patient_id
WITH

stent_endpoint AS (
    SELECT $endpoint IN ('primary_patency', 'assisted_primary_patency', 'secondary_patency',
                         'freedom_from_reintervention') AS yes
),

framed AS (
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
        CASE WHEN c.baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
        c.last_contact_day,
        c.sample_key,
        CASE WHEN (SELECT yes FROM stent_endpoint) THEN pr.procedure_day ELSE 0 END AS start_day,
        CASE $endpoint
            WHEN 'primary_patency' THEN pr.primary_loss_day
            WHEN 'assisted_primary_patency' THEN pr.assisted_loss_day
            WHEN 'secondary_patency' THEN pr.secondary_loss_day
            WHEN 'freedom_from_reintervention' THEN pr.reintervention_day
            WHEN 'ulcer_healing' THEN pr.ulcer_healed_day
            WHEN 'freedom_from_recurrent_dvt' THEN pr.recurrent_dvt_day
        END AS event_day,
        pr.death_day
    FROM analysis_cohort AS c
    LEFT JOIN patient_events AS pr
        ON pr.patient_id = c.patient_id
    WHERE CASE
        WHEN (SELECT yes FROM stent_endpoint) THEN c.arm = 'stent' AND coalesce(pr.technical_success, FALSE)
        WHEN $endpoint = 'ulcer_healing' THEN c.baseline_ulcer
        ELSE TRUE
    END
),

ended AS (
    SELECT
        * EXCLUDE (event_day, death_day),
        CASE
            WHEN event_day <= last_contact_day AND (death_day IS NULL OR event_day <= death_day) THEN 1
            WHEN death_day <= last_contact_day THEN 2
            ELSE 0
        END AS status,
        least(coalesce(event_day, last_contact_day), coalesce(death_day, last_contact_day), last_contact_day)
            AS end_day
    FROM framed
)

SELECT
    * EXCLUDE (end_day),
    greatest(end_day - start_day, 0) AS duration_days,
    status = 1 AS observed
FROM ended
