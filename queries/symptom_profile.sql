-- symptom_profile: mean of each Villalta item and the share with an open ulcer, at baseline and
-- at $visit_month, per arm, among patients seen at both.
-- params: $visit_month INTEGER, $randomized_only BOOLEAN as in analysis_visit
-- grain: arm, item
WITH

paired AS (
    SELECT
        c.arm,
        b.v_pain AS b_pain, f.v_pain AS f_pain,
        b.v_cramps AS b_cramps, f.v_cramps AS f_cramps,
        b.v_heaviness AS b_heaviness, f.v_heaviness AS f_heaviness,
        b.v_paresthesia AS b_paresthesia, f.v_paresthesia AS f_paresthesia,
        b.v_pruritus AS b_pruritus, f.v_pruritus AS f_pruritus,
        b.v_edema AS b_edema, f.v_edema AS f_edema,
        b.v_induration AS b_induration, f.v_induration AS f_induration,
        b.v_hyperpigmentation AS b_hyperpigmentation, f.v_hyperpigmentation AS f_hyperpigmentation,
        b.v_redness AS b_redness, f.v_redness AS f_redness,
        b.v_ectasia AS b_ectasia, f.v_ectasia AS f_ectasia,
        b.v_calf_pain AS b_calf_pain, f.v_calf_pain AS f_calf_pain,
        b.ulcer_present::INTEGER AS b_ulcer, f.ulcer_present::INTEGER AS f_ulcer
    FROM analysis_cohort AS c
    INNER JOIN scheduled_visits AS b
        ON b.patient_id = c.patient_id AND b.visit_month = 0
    INNER JOIN scheduled_visits AS f
        ON f.patient_id = c.patient_id AND f.visit_month = $visit_month
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
