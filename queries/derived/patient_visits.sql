-- patient_visits: every analysed visit (queries/shared/scheduled_visits.sql) with its patient's
-- filter dimensions and groupings and the patient's own month-0 values (b_*), denormalised, so the
-- analysis queries' fast twins need no join with the patients and no self-join for the baseline.
-- Sorted by visit month: a query for one visit reads only that part of the table. Written with the
-- data (pts_explorer/derived.py).
-- grain: patient_id, visit_month
CREATE TABLE patient_visits AS
SELECT
    c.study_id,
    c.arm,
    c.obstruction_site,
    c.stenosis_grade,
    c.baseline_band,
    c.sex,
    c.age_years,
    c.baseline_ulcer,
    c.age_group,
    c.lesion_group,
    c.high_grade_site,
    c.stenosis_pct,
    c.lesion_length_mm,
    c.months_since_dvt,
    c.sample_key,
    c.enrolled_on,
    v.patient_id,
    v.visit_month,
    v.visit_day,
    v.v_pain, v.v_cramps, v.v_heaviness, v.v_paresthesia, v.v_pruritus, v.v_edema, v.v_induration,
    v.v_hyperpigmentation, v.v_redness, v.v_ectasia, v.v_calf_pain,
    v.ulcer_present,
    v.villalta_total,
    v.pts_band,
    v.vcss,
    v.veines_qol,
    v.veines_sym,
    v.pain_vas,
    v.calf_circumference_cm,
    v.daily_steps,
    b.v_pain AS b_pain, b.v_cramps AS b_cramps, b.v_heaviness AS b_heaviness,
    b.v_paresthesia AS b_paresthesia, b.v_pruritus AS b_pruritus, b.v_edema AS b_edema,
    b.v_induration AS b_induration, b.v_hyperpigmentation AS b_hyperpigmentation, b.v_redness AS b_redness,
    b.v_ectasia AS b_ectasia, b.v_calf_pain AS b_calf_pain,
    b.ulcer_present AS b_ulcer_present,
    b.villalta_total AS b_villalta_total,
    b.pts_band AS b_pts_band,
    b.vcss AS b_vcss,
    b.veines_qol AS b_veines_qol,
    b.veines_sym AS b_veines_sym,
    b.pain_vas AS b_pain_vas,
    b.calf_circumference_cm AS b_calf_circumference_cm,
    b.daily_steps AS b_daily_steps
FROM scheduled_visits AS v
INNER JOIN patient_cohort AS c
    ON c.patient_id = v.patient_id
LEFT JOIN scheduled_visits AS b
    ON b.patient_id = v.patient_id AND b.visit_month = 0
ORDER BY v.visit_month, c.study_id, v.patient_id
