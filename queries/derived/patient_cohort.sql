-- patient_cohort: every patient with the baseline-derived attributes and groupings of
-- queries/shared/patient_attributes.sql, stored (its columns in its order: that relation, composed in
-- as a CTE by pts_explorer/derived.py, is the one definition), so the fast twin of `cohort` is a
-- filtered scan instead of a join with the visits. Written with the data (pts_explorer/derived.py).
-- grain: patient_id
CREATE TABLE patient_cohort AS
SELECT *
FROM patient_attributes
ORDER BY study_id, patient_id
