-- candidate_baseline: per arm, the baseline of the patients the Candidate page matched (run as
-- candidate_baseline@matched_cohort), in the fields a candidate is described by: mean and SD of the
-- numbers, the share of each category. The VCSS is the cohort's baseline_vcss (month 0), so the statement
-- reads no visit: over the matched patients it reads theirs alone.
-- grain: arm, variable
WITH

described AS (
    SELECT
        c.arm,
        c.age_years::DOUBLE AS age_years,
        c.stenosis_pct::DOUBLE AS stenosis_pct,
        c.lesion_length_mm::DOUBLE AS lesion_length_mm,
        c.months_since_dvt::DOUBLE AS months_since_dvt,
        c.baseline_villalta::DOUBLE AS villalta_total,
        c.baseline_vcss::DOUBLE AS vcss,
        CASE WHEN c.sex = 'female' THEN 1.0 ELSE 0.0 END AS female,
        CASE WHEN c.limb_side = 'left' THEN 1.0 ELSE 0.0 END AS left_limb,
        CASE WHEN c.baseline_ulcer THEN 1.0 ELSE 0.0 END AS ulcer
    FROM cohort AS c
),

long AS (
    SELECT arm, variable, value
    FROM described
    UNPIVOT (value FOR variable IN (
        age_years, stenosis_pct, lesion_length_mm, months_since_dvt, villalta_total, vcss, female, left_limb, ulcer
    ))
)

SELECT
    arm,
    variable,
    count(value) AS n,
    avg(value) AS mean,
    stddev_samp(value) AS sd
FROM long
GROUP BY arm, variable
ORDER BY arm DESC, variable
