-- centers: every centre of the data, the options of the "More filters" centre set.
-- grain: center_id
SELECT DISTINCT center_id
FROM patients
ORDER BY center_id
