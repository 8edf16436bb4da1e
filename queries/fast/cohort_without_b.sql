-- cohort_without_b (fast): the same patients and columns as queries/shared/cohort_without_b.sql,
-- from the stored patient_cohort table.
-- params: $study, $arm, $site, $grade, $band, $sex, $age_min, $age_max, $ulcer as in cohort.sql;
--         cohort B's $b_ parameters as in cohort_b.sql
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_cohort
WHERE cohort_filter()
  AND more_filter()
  AND patient_id NOT IN (SELECT patient_id FROM cohort_b)
