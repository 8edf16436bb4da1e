-- time_to_event (fast, over a population: name@population, pts_explorer/sql.py): the same rows as
-- queries/shared/time_to_event.sql, from each patient's stored clock of the endpoint
-- (patient_endpoints: start, end and status, NULL where the patient is not eligible) instead of a
-- pass over the events and procedures, for the population's patients (joined by patient id).
-- params: $endpoint, $randomized_only as in time_to_event
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
        CASE $endpoint
            WHEN 'primary_patency' THEN e.pp_start
            WHEN 'assisted_primary_patency' THEN e.app_start
            WHEN 'secondary_patency' THEN e.sp_start
            WHEN 'freedom_from_reintervention' THEN e.ffr_start
            WHEN 'ulcer_healing' THEN e.uh_start
            WHEN 'freedom_from_recurrent_dvt' THEN e.fdvt_start
        END AS start_day,
        CASE $endpoint
            WHEN 'primary_patency' THEN e.pp_status
            WHEN 'assisted_primary_patency' THEN e.app_status
            WHEN 'secondary_patency' THEN e.sp_status
            WHEN 'freedom_from_reintervention' THEN e.ffr_status
            WHEN 'ulcer_healing' THEN e.uh_status
            WHEN 'freedom_from_recurrent_dvt' THEN e.fdvt_status
        END::INTEGER AS status,
        CASE $endpoint
            WHEN 'primary_patency' THEN e.pp_end
            WHEN 'assisted_primary_patency' THEN e.app_end
            WHEN 'secondary_patency' THEN e.sp_end
            WHEN 'freedom_from_reintervention' THEN e.ffr_end
            WHEN 'ulcer_healing' THEN e.uh_end
            WHEN 'freedom_from_recurrent_dvt' THEN e.fdvt_end
        END AS end_day
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
