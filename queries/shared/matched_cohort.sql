-- matched_cohort: the cohort's columns (patient_attributes, as in cohort.sql) for the
-- patients listed in $matched_ids: the Candidate page's matched patients. `<statement>@matched_cohort`
-- runs a statement with this relation standing in for `cohort` (pts_explorer/sql.py).
-- params: $matched_ids VARCHAR[] (patient_id values from candidate_match)
-- grain: patient_id
SELECT *
FROM patient_attributes
WHERE patient_id IN (SELECT unnest($matched_ids::VARCHAR[]))
