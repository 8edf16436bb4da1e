-- studies: every study in the database, for the study filter and design labels.
-- grain: study_id
SELECT study_id, study_name, design, visit_months
FROM studies
ORDER BY study_id
