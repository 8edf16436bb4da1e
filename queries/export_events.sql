-- export_events: the cohort's rows of `events`, every column of the data contract, for the
-- patient-level export (pts_explorer/exports.py).
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql
-- grain: as in the events table
SELECT t.*
FROM events AS t
SEMI JOIN cohort AS c
    ON c.patient_id = t.patient_id
ORDER BY t.patient_id, t.event_day, t.event_type
