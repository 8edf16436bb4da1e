-- cohort: patients matching the shared sidebar filters, with their baseline-derived attributes
-- and the groupings every analysis uses (age group, lesion group): the one place they are defined.
-- Every other query that reads `cohort` gets this statement as a CTE (pts_explorer/sql.py).
-- params: $study, $arm, $site, $grade, $band, $sex  VARCHAR[] (empty list = no restriction)
--         $age_min, $age_max                         INTEGER, inclusive
--         $ulcer                                     'yes' / 'no' ulcer at baseline, NULL = any
-- grain: patient_id
SELECT *
FROM (
    SELECT
        p.*,
        b.pts_band AS baseline_band,
        b.villalta_total AS baseline_villalta,
        coalesce(b.ulcer_present, FALSE) AS baseline_ulcer,
        CASE WHEN p.age_years < 50 THEN '<50' WHEN p.age_years < 65 THEN '50-64' ELSE '65+' END AS age_group,
        CASE
            WHEN p.stenosis_pct < 70 THEN 'below_70'
            WHEN p.obstruction_site IN ('common_iliac', 'common_femoral') THEN 'high_grade_civ_cfv'
            ELSE 'high_grade_other'
        END AS lesion_group,
        md5(p.patient_id) AS sample_key
    FROM patients AS p
    LEFT JOIN visits AS b
        ON b.patient_id = p.patient_id AND b.visit_month = 0
) AS candidates
WHERE (array_length($study::VARCHAR[]) = 0 OR list_contains($study::VARCHAR[], study_id))
  AND (array_length($arm::VARCHAR[]) = 0 OR list_contains($arm::VARCHAR[], arm))
  AND (array_length($site::VARCHAR[]) = 0 OR list_contains($site::VARCHAR[], obstruction_site))
  AND (array_length($grade::VARCHAR[]) = 0 OR list_contains($grade::VARCHAR[], stenosis_grade))
  AND (array_length($band::VARCHAR[]) = 0 OR list_contains($band::VARCHAR[], baseline_band))
  AND (array_length($sex::VARCHAR[]) = 0 OR list_contains($sex::VARCHAR[], sex))
  AND age_years BETWEEN $age_min AND $age_max
  AND ($ulcer::VARCHAR IS NULL OR baseline_ulcer = ($ulcer::VARCHAR = 'yes'))
