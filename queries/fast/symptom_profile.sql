-- symptom_profile (fast): the same rows as queries/symptom_profile.sql, from the visit rows that
-- carry their patient's baseline items.
-- params: $visit_month, $randomized_only as in analysis_visit
-- grain: arm, item
WITH

paired AS (
    SELECT
        arm,
        b_pain, v_pain AS f_pain,
        b_cramps, v_cramps AS f_cramps,
        b_heaviness, v_heaviness AS f_heaviness,
        b_paresthesia, v_paresthesia AS f_paresthesia,
        b_pruritus, v_pruritus AS f_pruritus,
        b_edema, v_edema AS f_edema,
        b_induration, v_induration AS f_induration,
        b_hyperpigmentation, v_hyperpigmentation AS f_hyperpigmentation,
        b_redness, v_redness AS f_redness,
        b_ectasia, v_ectasia AS f_ectasia,
        b_calf_pain, v_calf_pain AS f_calf_pain,
        b_ulcer_present::INTEGER AS b_ulcer, ulcer_present::INTEGER AS f_ulcer
    FROM analysis_visits
    WHERE visit_month = $visit_month AND b_pts_band IS NOT NULL
),

long AS (
    SELECT arm, item, baseline, visit
    FROM paired
    UNPIVOT ((baseline, visit) FOR item IN (
        (b_pain, f_pain) AS pain, (b_cramps, f_cramps) AS cramps, (b_heaviness, f_heaviness) AS heaviness,
        (b_paresthesia, f_paresthesia) AS paresthesia, (b_pruritus, f_pruritus) AS pruritus,
        (b_edema, f_edema) AS edema, (b_induration, f_induration) AS induration,
        (b_hyperpigmentation, f_hyperpigmentation) AS hyperpigmentation, (b_redness, f_redness) AS redness,
        (b_ectasia, f_ectasia) AS ectasia, (b_calf_pain, f_calf_pain) AS calf_pain, (b_ulcer, f_ulcer) AS ulcer
    ))
)

SELECT
    arm,
    item,
    count(*) AS n,
    avg(baseline) AS mean_baseline,
    avg(visit) AS mean_visit,
    avg(visit - baseline) AS mean_change
FROM long
GROUP BY arm, item
ORDER BY arm DESC, item
