-- cox_data: patient-level time-to-event rows of $endpoint for the Cox model (a stable
-- pseudo-random sample above $max_patients).
-- params: $endpoint as in time_to_event; $max_patients INTEGER
-- grain: patient_id
SELECT *
FROM time_to_event
ORDER BY sample_key, patient_id
LIMIT $max_patients
