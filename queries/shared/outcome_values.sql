-- outcome_values: the chosen outcome at every analysed (scheduled) visit, as one DOUBLE column.
-- Composed into the queries that read `outcome_values` (pts_explorer/sql.py).
-- The choice of the column is outcome_value(), written out from vocab.OUTCOMES (pts_explorer/sql.py).
-- params: $outcome one of the outcome columns of vocab.OUTCOMES (also checked against that allow-list
--         in Python)
-- grain: patient_id, visit_month
SELECT
    patient_id,
    visit_month,
    outcome_value() AS value
FROM scheduled_visits
