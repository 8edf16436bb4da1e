-- studies: every study in the database, for the study filter and design labels.
-- grain: study_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT study_id, study_name, design, visit_months
FROM studies
WHERE allowed_studies()
ORDER BY study_id
