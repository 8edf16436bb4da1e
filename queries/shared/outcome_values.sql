-- outcome_values: the chosen outcome at every analysed (scheduled) visit, as one DOUBLE column.
-- Composed into the queries that read `outcome_values` (pts_explorer/sql.py).
-- params: $outcome one of villalta_total, vcss, veines_qol, veines_sym, pain_vas,
--         calf_circumference_cm, daily_steps (also checked against an allow-list in Python)
-- grain: patient_id, visit_month
SELECT
    patient_id,
    visit_month,
    CASE $outcome
        WHEN 'villalta_total' THEN villalta_total::DOUBLE
        WHEN 'vcss' THEN vcss::DOUBLE
        WHEN 'veines_qol' THEN veines_qol
        WHEN 'veines_sym' THEN veines_sym
        WHEN 'pain_vas' THEN pain_vas
        WHEN 'calf_circumference_cm' THEN calf_circumference_cm
        WHEN 'daily_steps' THEN daily_steps::DOUBLE
    END AS value
FROM scheduled_visits
