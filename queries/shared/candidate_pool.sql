-- candidate_pool: every cohort patient with what the Candidate page matches on (baseline VCSS from
-- the month-0 visit) and whether they fall in each widening of the candidate's anatomy:
--   in_level_0  the same obstruction site and stenosis grade
--   in_level_1  the same site and grade group (70% or more / below 70%)
--   in_level_2  the same region (iliocaval: IVC, common or external iliac; femoral: common
--               femoral, femoral) and grade group
-- A NULL candidate value restricts nothing.
-- params: $c_site, $c_grade VARCHAR (NULL = not given); $c_region 'iliocaval' / 'femoral' / NULL;
--         $c_grade_group 'high' / 'low' / NULL (pts_explorer.candidate computes both)
-- grain: patient_id
WITH

described AS (
    SELECT
        c.patient_id,
        c.study_id,
        c.arm,
        c.obstruction_site,
        c.stenosis_grade,
        c.stenosis_pct,
        c.lesion_length_mm,
        c.limb_side,
        c.age_years,
        c.sex,
        c.months_since_dvt,
        c.baseline_villalta,
        c.baseline_ulcer,
        v.vcss AS baseline_vcss,
        CASE WHEN c.obstruction_site IN ('common_femoral', 'femoral') THEN 'femoral' ELSE 'iliocaval' END AS region,
        CASE WHEN c.stenosis_grade IN ('70-99%', 'occlusion') THEN 'high' ELSE 'low' END AS grade_group
    FROM cohort AS c
    LEFT JOIN scheduled_visits AS v
        ON v.patient_id = c.patient_id AND v.visit_month = 0
)

SELECT
    *,
    ($c_site::VARCHAR IS NULL OR obstruction_site = $c_site::VARCHAR)
    AND ($c_grade::VARCHAR IS NULL OR stenosis_grade = $c_grade::VARCHAR) AS in_level_0,
    ($c_site::VARCHAR IS NULL OR obstruction_site = $c_site::VARCHAR)
    AND ($c_grade_group::VARCHAR IS NULL OR grade_group = $c_grade_group::VARCHAR) AS in_level_1,
    ($c_region::VARCHAR IS NULL OR region = $c_region::VARCHAR)
    AND ($c_grade_group::VARCHAR IS NULL OR grade_group = $c_grade_group::VARCHAR) AS in_level_2
FROM described
