-- cohort: patients matching the shared sidebar filters, with their baseline-derived attributes
-- and groupings (patient_attributes).
-- Every other query that reads `cohort` gets this statement as a CTE (pts_explorer/sql.py). The filter
-- is cohort_filter(), written once in queries/fragments/cohort_filter.sql.
-- params: $study, $arm, $site, $grade, $band, $sex  VARCHAR[] (empty list = no restriction)
--         $age_min, $age_max                         INTEGER, inclusive
--         $ulcer                                     'yes' / 'no' ulcer at baseline, NULL = any
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_attributes
WHERE cohort_filter()
  AND more_filter()
