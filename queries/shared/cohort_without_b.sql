-- cohort_without_b: the patients of the cohort (the filter of cohort.sql) that cohort B (`cohort_b`)
-- does not hold: on the Compare page, the rest of A when A contains B, or A's patients alone when
-- the two overlap (with the filters swapped, B without A). `<statement>@cohort_without_b` runs a
-- statement over these patients (pts_explorer/sql.py). The filter is cohort.sql's, cohort_filter().
-- params: $study, $arm, $site, $grade, $band, $sex VARCHAR[]; $age_min, $age_max INTEGER; $ulcer
--         as in cohort.sql; cohort B's $b_ parameters as in cohort_b.sql
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_attributes
WHERE cohort_filter()
  AND more_filter()
  AND patient_id NOT IN (SELECT patient_id FROM cohort_b)
