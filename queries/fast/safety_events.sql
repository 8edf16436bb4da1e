-- safety_events (fast): the same rows as queries/safety_events.sql, summed from the pre-aggregated
-- safety event cells (patients with an event add up: each patient is in one cell).
-- params: $group as in safety_events
-- grain: arm, group_value, event_type, period
SELECT
    arm,
    group_value,
    event_type,
    period,
    CAST(sum(events) AS BIGINT) AS events,
    CAST(sum(patients_with) AS BIGINT) AS patients_with
FROM safety_event_cells
GROUP BY arm, group_value, event_type, period
ORDER BY event_type, arm DESC, group_value, period
