-- cohort_filter: the shared sidebar filter, the one definition of which patients a cohort holds, as a
-- condition on the columns of the relation it is written over (patient_attributes, patient_cohort,
-- the derived cells and patient_visits all carry them). Not a statement: the composer writes it where
-- a file says cohort_filter(), and with every parameter prefixed b_ where it says cohort_filter(b_)
-- (cohort B of the Compare page) (pts_explorer/sql.py).
-- params: $study, $arm, $site, $grade, $band, $sex  VARCHAR[] (empty list = no restriction)
--         $age_min, $age_max                         INTEGER, inclusive
--         $ulcer                                     'yes' / 'no' ulcer at baseline, NULL = any
-- grain: one condition per row of the relation it filters
(array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], study_id))
AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], arm))
AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], obstruction_site))
AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], stenosis_grade))
AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], baseline_band))
AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], sex))
AND age_years BETWEEN $age_min AND $age_max
AND ($ulcer::VARCHAR IS NULL OR baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
