-- cohort_alone: the patients of the cohort (the filter of cohort.sql) that none of up to three other
-- cohorts holds: on the Compare page with three or four cohorts, each cohort's own patients when the patients
-- in more than one are left out. `<statement>@cohort_alone` runs a statement over these patients
-- (pts_explorer/sql.py). The other cohorts' filters are cohort_filter() and more_filter() prefixed x1_, x2_,
-- x3_; a slot no cohort fills holds a filter nobody meets (filters.NOBODY: age 1 to 0). IS NOT TRUE: a
-- patient whose value a filter cannot judge (a NULL) is not in that cohort.
-- params: the cohort's ($study, $arm, $site, $grade, $band, $sex VARCHAR[]; $age_min, $age_max INTEGER; $ulcer),
--         as in cohort.sql; for each prefix x1_, x2_, x3_ the same parameters:
--         $x1_study, $x1_arm, $x1_site, $x1_grade, $x1_band, $x1_sex, $x1_age_min, $x1_age_max, $x1_ulcer
--         $x2_study, $x2_arm, $x2_site, $x2_grade, $x2_band, $x2_sex, $x2_age_min, $x2_age_max, $x2_ulcer
--         $x3_study, $x3_arm, $x3_site, $x3_grade, $x3_band, $x3_sex, $x3_age_min, $x3_age_max, $x3_ulcer
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: patient_id
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT *
FROM patient_attributes
WHERE cohort_filter()
  AND more_filter()
  AND (cohort_filter(x1_) AND more_filter(x1_)) IS NOT TRUE
  AND (cohort_filter(x2_) AND more_filter(x2_)) IS NOT TRUE
  AND (cohort_filter(x3_) AND more_filter(x3_)) IS NOT TRUE
