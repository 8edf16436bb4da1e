-- export_patients: the cohort's rows of `patients`, every column of the data contract, for the
-- patient-level export (pts_explorer/exports.py).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: as in the patients table
SELECT t.*
FROM patients AS t
SEMI JOIN cohort AS c
    ON c.patient_id = t.patient_id
ORDER BY t.patient_id
