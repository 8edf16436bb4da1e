-- patient_events: each patient's index procedure and first day of every event the durability
-- endpoints start from (queries/shared/event_days.sql, composed in as a CTE by pts_explorer/derived.py:
-- the one definition, which queries/shared/time_to_event.sql reads too), computed once, so the fast twin
-- of time_to_event needs no pass over the events. Written with the data (pts_explorer/derived.py).
-- grain: patient_id (patients with a procedure or an event)
CREATE TABLE patient_events AS
SELECT *
FROM event_days
ORDER BY patient_id
