-- centers: every centre of the data, the options of the "More filters" centre set.
-- grain: center_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT DISTINCT center_id
FROM patients
WHERE allowed_studies()
ORDER BY center_id
