-- cox_data (fast): the same rows as queries/cox_data.sql. The sample is the eligible patients first in
-- the order (sample_key, patient_id); patient_endpoints stores each patient's place in that order
-- (sample_rank), so the last patient the sample takes is found by a top-N over one integer of the
-- cohort's eligible patients (the filter and eligibility of queries/fast/time_to_event.sql), and the
-- sample is then a filter on the sample key: every eligible patient up to that one's key (and any
-- whose key ties it), ordered and cut as cox_data does. Sorting the eligible rows whole was the cost
-- (a top-N over wide rows).
-- params: $endpoint, $randomized_only as in time_to_event; $max_patients INTEGER; the cohort's as in
--         cohort.sql
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
WITH

last_taken AS (
    SELECT max(sample_rank) AS sample_rank
    FROM (
        SELECT sample_rank
        FROM patient_endpoints
        WHERE cohort_filter()
          AND study_id IN (SELECT study_id FROM studies WHERE design = 'randomized' OR NOT $randomized_only)
          AND endpoint_clock(status) IS NOT NULL
        ORDER BY sample_rank
        LIMIT $max_patients
    )
)

SELECT *
FROM time_to_event
WHERE sample_key <= (
    SELECT e.sample_key
    FROM patient_endpoints AS e
    INNER JOIN last_taken AS l
        ON l.sample_rank = e.sample_rank
)
ORDER BY sample_key, patient_id
LIMIT $max_patients
