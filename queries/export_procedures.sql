-- export_procedures: the cohort's rows of `procedures`, every column of the data contract, for the
-- patient-level export (pts_explorer/exports.py).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: as in the procedures table
SELECT t.*
FROM procedures AS t
SEMI JOIN cohort AS c
    ON c.patient_id = t.patient_id
ORDER BY t.patient_id, t.procedure_day
