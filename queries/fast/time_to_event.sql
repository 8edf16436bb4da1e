-- time_to_event (fast): the same rows as queries/shared/time_to_event.sql, from each patient's
-- stored clock of the endpoint (patient_endpoints: start, end and status, NULL where the patient is
-- not eligible), filtered by the sidebar's cohort_filter() on the same table: no pass over the
-- events and procedures, and no join to the cohort. Used only when no "More filters" restrict
-- (db.run_query; the table does not carry their columns); over a population the twin in
-- queries/fast/population/ reads the population's patients.
-- params: $endpoint, $randomized_only as in time_to_event; the cohort's as in cohort.sql
-- The patient columns are time_to_event_columns() (pts_explorer/sql.py), as in the statement it twins.
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

clocked AS (
    SELECT
        time_to_event_columns(c),
        endpoint_clock(start) AS start_day,
        endpoint_clock(status)::INTEGER AS status,
        endpoint_clock(end) AS end_day
    FROM patient_endpoints AS c
    WHERE cohort_filter()
      AND study_id IN (SELECT study_id FROM studies WHERE design = 'randomized' OR NOT $randomized_only)
)

SELECT
    * EXCLUDE (end_day),
    greatest(end_day - start_day, 0) AS duration_days,
    status = 1 AS observed
FROM clocked
WHERE status IS NOT NULL
