-- time_to_event (fast): the same rows as queries/shared/time_to_event.sql, from each patient's
-- stored clock of the endpoint (patient_endpoints: start, end and status, NULL where the patient is
-- not eligible), filtered by the sidebar's cohort_filter() on the same table: no pass over the
-- events and procedures, and no join to the cohort. Used only when no "More filters" restrict
-- (db.run_query; the table does not carry their columns); over a population the twin in
-- queries/fast/population/ reads the population's patients.
-- params: $endpoint, $randomized_only as in time_to_event; the cohort's as in cohort.sql
-- grain: patient_id
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
        CASE WHEN c.baseline_ulcer THEN 'yes' ELSE 'no' END AS baseline_ulcer,
        c.last_contact_day,
        c.sample_key,
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
