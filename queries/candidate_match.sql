-- candidate_match: the patients most like a candidate, per arm. Exact on the anatomy at the chosen
-- widening ($level, see candidate_pool), then nearest first by a standardized Euclidean distance
-- over the other fields the candidate gives: each numeric difference divided by that field's SD
-- among the patients of the same anatomy (a missing value counts as 1 SD), and 1 for each
-- differing sex, limb side or ulcer status. The $match_per_arm nearest of each arm are kept, with every
-- patient tied with the last one (so a candidate who gives no other field matches the whole
-- anatomy group). Each matched patient comes with the fields a profile gives, so the page can say
-- how many agree with the candidate on each.
-- params: as in candidate_pool; $level INTEGER 0-2; $match_per_arm INTEGER;
--         $c_age, $c_villalta, $c_vcss, $c_months, $c_length, $c_stenosis DOUBLE (NULL = not used);
--         $c_sex, $c_side VARCHAR and $c_ulcer BOOLEAN (NULL = not used)
-- grain: patient_id
WITH

pool AS (
    SELECT *
    FROM candidate_pool
    WHERE CASE $level WHEN 0 THEN in_level_0 WHEN 1 THEN in_level_1 ELSE in_level_2 END
),

spread AS (
    SELECT
        coalesce(nullif(stddev_samp(age_years), 0), 1) AS sd_age,
        coalesce(nullif(stddev_samp(baseline_villalta), 0), 1) AS sd_villalta,
        coalesce(nullif(stddev_samp(baseline_vcss), 0), 1) AS sd_vcss,
        coalesce(nullif(stddev_samp(months_since_dvt), 0), 1) AS sd_months,
        coalesce(nullif(stddev_samp(lesion_length_mm), 0), 1) AS sd_length,
        coalesce(nullif(stddev_samp(stenosis_pct), 0), 1) AS sd_stenosis
    FROM pool
),

scored AS (
    SELECT
        pool.patient_id,
        pool.study_id,
        pool.arm,
        pool.obstruction_site,
        pool.stenosis_grade,
        pool.stenosis_pct,
        pool.lesion_length_mm,
        pool.limb_side,
        pool.baseline_villalta,
        pool.baseline_ulcer,
        pool.baseline_vcss,
        pool.age_years,
        pool.sex,
        pool.months_since_dvt,
        sqrt(
            CASE WHEN $c_age::DOUBLE IS NULL THEN 0
                ELSE coalesce(((age_years - $c_age::DOUBLE) / sd_age) ^ 2, 1) END
            + CASE WHEN $c_villalta::DOUBLE IS NULL THEN 0
                ELSE coalesce(((baseline_villalta - $c_villalta::DOUBLE) / sd_villalta) ^ 2, 1) END
            + CASE WHEN $c_vcss::DOUBLE IS NULL THEN 0
                ELSE coalesce(((baseline_vcss - $c_vcss::DOUBLE) / sd_vcss) ^ 2, 1) END
            + CASE WHEN $c_months::DOUBLE IS NULL THEN 0
                ELSE coalesce(((months_since_dvt - $c_months::DOUBLE) / sd_months) ^ 2, 1) END
            + CASE WHEN $c_length::DOUBLE IS NULL THEN 0
                ELSE coalesce(((lesion_length_mm - $c_length::DOUBLE) / sd_length) ^ 2, 1) END
            + CASE WHEN $c_stenosis::DOUBLE IS NULL THEN 0
                ELSE coalesce(((stenosis_pct - $c_stenosis::DOUBLE) / sd_stenosis) ^ 2, 1) END
            + CASE WHEN $c_sex::VARCHAR IS NULL THEN 0 WHEN sex = $c_sex::VARCHAR THEN 0 ELSE 1 END
            + CASE WHEN $c_side::VARCHAR IS NULL THEN 0 WHEN limb_side = $c_side::VARCHAR THEN 0 ELSE 1 END
            + CASE WHEN $c_ulcer::BOOLEAN IS NULL THEN 0 WHEN baseline_ulcer = $c_ulcer::BOOLEAN THEN 0 ELSE 1 END
        ) AS distance
    FROM pool, spread
),

ranked AS (
    SELECT
        *,
        rank() OVER (PARTITION BY arm ORDER BY distance) AS place
    FROM scored
)

SELECT
    patient_id,
    study_id,
    arm,
    distance,
    obstruction_site,
    stenosis_grade,
    stenosis_pct,
    lesion_length_mm,
    limb_side,
    baseline_villalta,
    baseline_ulcer,
    baseline_vcss,
    age_years,
    sex,
    months_since_dvt
FROM ranked
WHERE place <= $match_per_arm
ORDER BY arm DESC, distance, patient_id
