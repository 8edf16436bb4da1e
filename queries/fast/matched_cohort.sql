-- matched_cohort (fast): the same patients and columns as queries/shared/matched_cohort.sql, from
-- the stored patient_cohort table.
-- params: $matched_ids VARCHAR[]
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_cohort
WHERE patient_id IN (SELECT unnest($matched_ids::VARCHAR[])) AND allowed_studies()
