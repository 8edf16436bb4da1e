-- matched_cohort: the cohort's columns (as in cohort.sql, the same text up to the filter) for the
-- patients listed in $matched_ids: the Candidate page's matched patients. `<statement>@matched_cohort`
-- runs a statement with this relation standing in for `cohort` (pts_explorer/sql.py).
-- params: $matched_ids VARCHAR[] (patient_id values from candidate_match)
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
WHERE patient_id IN (SELECT unnest($matched_ids::VARCHAR[]))
