-- safety_follow_up: each cohort patient's safety clock. Windows start at the "anchor": the index
-- procedure for stented patients, enrollment (day 0) for medical ones, so that "within 30 days"
-- means 30 days after the procedure in the stent arm. Follow-up days spent in each period.
-- params: $group one of none, obstruction_site, stenosis_grade (the split of the safety table);
--         $randomized_only as in analysis_cohort
-- grain: patient_id
SELECT
    c.patient_id,
    c.arm,
    CASE $group WHEN 'obstruction_site' THEN c.obstruction_site WHEN 'stenosis_grade' THEN c.stenosis_grade
                ELSE 'all' END AS group_value,
    CASE WHEN c.arm = 'stent' THEN coalesce(pr.procedure_day, 0) ELSE 0 END AS anchor_day,
    c.last_contact_day
FROM analysis_cohort AS c
LEFT JOIN procedures AS pr
    ON pr.patient_id = c.patient_id
