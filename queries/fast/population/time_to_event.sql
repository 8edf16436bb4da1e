-- time_to_event (fast, over a population: name@population, pts_explorer/sql.py): the same rows as
-- queries/shared/time_to_event.sql, from each patient's stored clock of the endpoint
-- (patient_endpoints: start, end and status, NULL where the patient is not eligible) instead of a
-- pass over the events and procedures, for the population's patients (joined by patient id).
-- params: $endpoint, $randomized_only as in time_to_event
-- The patient columns are time_to_event_columns() (pts_explorer/sql.py), as in the statement it twins.
-- grain: patient_id
WITH

clocked AS (
    SELECT
        time_to_event_columns(c),
        endpoint_clock(start) AS start_day,
        endpoint_clock(status)::INTEGER AS status,
        endpoint_clock(end) AS end_day
    FROM analysis_cohort AS c
    INNER JOIN patient_endpoints AS e
        ON e.patient_id = c.patient_id
)

SELECT
    * EXCLUDE (end_day),
    greatest(end_day - start_day, 0) AS duration_days,
    status = 1 AS observed
FROM clocked
WHERE status IS NOT NULL
