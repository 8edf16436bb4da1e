-- cohort_b (fast): the same patients and columns as queries/shared/cohort_b.sql, from the stored
-- patient_cohort table.
-- params: $b_study, $b_arm, $b_site, $b_grade, $b_band, $b_sex, $b_age_min, $b_age_max, $b_ulcer as in cohort_b.sql
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_cohort
WHERE cohort_filter(b_)
  AND more_filter(b_)
