-- cohort_funnel: how the sidebar's filters narrow the cohort, one filter after another in the sidebar's
-- order (study, arm, site, grade, band, sex, age, ulcer, then each of "More filters" in vocab.MORE_FILTERS'
-- order):
-- step 0 every patient, step k the patients the first k filters keep (cohort_filter(f<k>_) and
-- more_filter(f<k>_): the cohort's parameters with the later filters lifted,
-- pts_explorer.filters.CohortFilter.funnel_params). The last step is the cohort.
-- params: for each step k (1 to len(pts_explorer.filters.FUNNEL_FIELDS), written by the composer,
--         funnel_steps(), pts_explorer/sql.py), the parameters of cohort.sql prefixed f<k>_:
--         $f<k>_study, $f<k>_arm, $f<k>_site, $f<k>_grade, $f<k>_band, $f<k>_sex  VARCHAR[]
--         $f<k>_age_min, $f<k>_age_max INTEGER, $f<k>_ulcer
-- more params: the "More filters" of more_filter() (pts_explorer/sql.py, vocab.MORE_FILTERS), prefixed as the
--         cohort's: a set's VARCHAR[] ($center, $limb, $ceap), a range's INTEGER $<key>_min, $<key>_max
-- grain: step
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    0 AS step,
    count(*) AS patients
FROM patient_attributes
UNION ALL
funnel_steps(patient_attributes)
ORDER BY step
