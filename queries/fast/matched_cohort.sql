-- matched_cohort (fast): the same patients and columns as queries/shared/matched_cohort.sql, from
-- the stored patient_cohort table.
-- params: $matched_ids VARCHAR[]
-- grain: patient_id
SELECT *
FROM patient_cohort
WHERE patient_id IN (SELECT unnest($matched_ids::VARCHAR[]))
