-- cohort_b: a second cohort beside `cohort` (the Compare page): the same relation, with every
-- parameter prefixed b_ (cohort_filter(b_): the one filter, queries/fragments/cohort_filter.sql).
-- params: $b_study, $b_arm, $b_site, $b_grade, $b_band, $b_sex VARCHAR[]; $b_age_min, $b_age_max INTEGER;
--         $b_ulcer as $ulcer in cohort.sql
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_attributes
WHERE cohort_filter(b_)
  AND more_filter(b_)
