-- adtte_reconciliation: a sponsor's ADTTE endpoint against the app's own derivation of $endpoint,
-- patient by patient (sponsor CNSR = 0 is an event; AVAL in days from the same start).
-- params: the cohort's, $endpoint, $randomized_only
-- grain: one row
WITH

sponsor AS (
    SELECT
        usubjid AS patient_id,
        try_cast(aval AS DOUBLE) AS days,
        try_cast(cnsr AS DOUBLE) = 0 AS event
    FROM sponsor_adtte
    WHERE endpoint = $endpoint
),

app AS (
    SELECT patient_id, duration_days AS days, observed AS event
    FROM time_to_event
),

paired AS (
    SELECT s.patient_id IS NOT NULL AS in_sponsor, a.patient_id IS NOT NULL AS in_app, s.event AS sponsor_event,
        a.event AS app_event, s.days AS sponsor_days, a.days AS app_days
    FROM sponsor AS s
    FULL JOIN app AS a ON a.patient_id = s.patient_id
)

SELECT
    count(*) FILTER (WHERE in_sponsor) AS sponsor_patients,
    count(*) FILTER (WHERE in_app) AS app_patients,
    count(*) FILTER (WHERE in_sponsor AND in_app) AS both_patients,
    count(*) FILTER (WHERE sponsor_event) AS sponsor_events,
    count(*) FILTER (WHERE app_event AND in_sponsor) AS app_events,
    count(*) FILTER (WHERE in_sponsor AND in_app AND sponsor_event IS DISTINCT FROM app_event) AS status_differs,
    count(*) FILTER (WHERE in_sponsor AND in_app AND abs(sponsor_days - app_days) > 1) AS time_differs
FROM paired
HAVING count(*) FILTER (WHERE in_sponsor) > 0
