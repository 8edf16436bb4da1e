-- cohort_without_b: the patients of the cohort (the filter of cohort.sql) that cohort B (`cohort_b`)
-- does not hold: on the Compare page, the rest of A when A contains B, or A's patients alone when
-- the two overlap (with the filters swapped, B without A). `<statement>@cohort_without_b` runs a
-- statement over these patients (pts_explorer/sql.py). The filter is cohort.sql's, cohort_filter().
-- params: $study, $arm, $site, $grade, $band, $sex VARCHAR[]; $age_min, $age_max INTEGER; $ulcer
--         as in cohort.sql; cohort B's $b_ parameters as in cohort_b.sql
-- grain: patient_id
SELECT *
FROM patient_attributes
WHERE cohort_filter()
  AND patient_id NOT IN (SELECT patient_id FROM cohort_b)
