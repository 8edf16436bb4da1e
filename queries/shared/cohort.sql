-- cohort: patients matching the shared sidebar filters, with their baseline-derived attributes
-- and groupings (patient_attributes).
-- Every other query that reads `cohort` gets this statement as a CTE (pts_explorer/sql.py). The filter
-- is cohort_filter(), written once in queries/fragments/cohort_filter.sql.
-- params: $study, $arm, $site, $grade, $band, $sex  VARCHAR[] (empty list = no restriction)
--         $age_min, $age_max                         INTEGER, inclusive
--         $ulcer                                     'yes' / 'no' ulcer at baseline, NULL = any
-- grain: patient_id
SELECT *
FROM patient_attributes
WHERE cohort_filter()
