-- outcome_values (fast): the same rows as queries/shared/outcome_values.sql, from the stored
-- patient_visits (every analysed visit, queries/shared/scheduled_visits.sql) instead of the visits
-- joined to their patients and studies: a statement joining it to a population of a few patients
-- (the Candidate page's matched patients) reads their visits through that join.
-- params: $outcome as in outcome_values
-- grain: patient_id, visit_month
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    patient_id,
    visit_month,
    outcome_value() AS value
FROM patient_visits
WHERE allowed_studies()
