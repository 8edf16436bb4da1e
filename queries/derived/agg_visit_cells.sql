-- agg_visit_cells: analysed visits (queries/shared/scheduled_visits.sql) per combination of the
-- cohort filter's dimensions (as in agg_patient_cells) and visit month, with each outcome's n, sum
-- and sum of squares, measured and as change from the patient's own baseline (visits of patients
-- with a baseline value), and the visits per PTS band. Written with the data
-- (pts_explorer/derived.py).
-- grain: one row per non-empty combination of the dimensions and visit_month
CREATE TABLE agg_visit_cells AS
WITH

dimensions AS (
    SELECT
        p.patient_id,
        p.study_id,
        p.arm,
        p.obstruction_site,
        p.stenosis_grade,
        b.pts_band AS baseline_band,
        p.sex,
        p.age_years,
        coalesce(b.ulcer_present, FALSE) AS baseline_ulcer
    FROM patients AS p
    LEFT JOIN scheduled_visits AS b
        ON b.patient_id = p.patient_id AND b.visit_month = 0
),

changes AS (
    SELECT
        v.patient_id,
        v.visit_month,
        v.pts_band,
        v.villalta_total::DOUBLE AS villalta_total,
        v.villalta_total::DOUBLE - b.villalta_total::DOUBLE AS villalta_total_change,
        v.vcss::DOUBLE AS vcss,
        v.vcss::DOUBLE - b.vcss::DOUBLE AS vcss_change,
        v.veines_qol AS veines_qol,
        v.veines_qol - b.veines_qol AS veines_qol_change,
        v.veines_sym AS veines_sym,
        v.veines_sym - b.veines_sym AS veines_sym_change,
        v.pain_vas AS pain_vas,
        v.pain_vas - b.pain_vas AS pain_vas_change,
        v.calf_circumference_cm AS calf_circumference_cm,
        v.calf_circumference_cm - b.calf_circumference_cm AS calf_circumference_cm_change,
        v.daily_steps::DOUBLE AS daily_steps,
        v.daily_steps::DOUBLE - b.daily_steps::DOUBLE AS daily_steps_change
    FROM scheduled_visits AS v
    LEFT JOIN scheduled_visits AS b
        ON b.patient_id = v.patient_id AND b.visit_month = 0
)

SELECT
    d.study_id,
    d.arm,
    d.obstruction_site,
    d.stenosis_grade,
    d.baseline_band,
    d.sex,
    d.age_years,
    d.baseline_ulcer,
    c.visit_month,
    count(*) AS visits,
    {'n': count(c.villalta_total), 's': sum(c.villalta_total), 'ss': sum(c.villalta_total ^ 2),
     'n_change': count(c.villalta_total_change), 's_change': sum(c.villalta_total_change),
     'ss_change': sum(c.villalta_total_change ^ 2)} AS stat_villalta_total,
    {'n': count(c.vcss), 's': sum(c.vcss), 'ss': sum(c.vcss ^ 2),
     'n_change': count(c.vcss_change), 's_change': sum(c.vcss_change), 'ss_change': sum(c.vcss_change ^ 2)}
        AS stat_vcss,
    {'n': count(c.veines_qol), 's': sum(c.veines_qol), 'ss': sum(c.veines_qol ^ 2),
     'n_change': count(c.veines_qol_change), 's_change': sum(c.veines_qol_change),
     'ss_change': sum(c.veines_qol_change ^ 2)} AS stat_veines_qol,
    {'n': count(c.veines_sym), 's': sum(c.veines_sym), 'ss': sum(c.veines_sym ^ 2),
     'n_change': count(c.veines_sym_change), 's_change': sum(c.veines_sym_change),
     'ss_change': sum(c.veines_sym_change ^ 2)} AS stat_veines_sym,
    {'n': count(c.pain_vas), 's': sum(c.pain_vas), 'ss': sum(c.pain_vas ^ 2),
     'n_change': count(c.pain_vas_change), 's_change': sum(c.pain_vas_change),
     'ss_change': sum(c.pain_vas_change ^ 2)} AS stat_pain_vas,
    {'n': count(c.calf_circumference_cm), 's': sum(c.calf_circumference_cm),
     'ss': sum(c.calf_circumference_cm ^ 2), 'n_change': count(c.calf_circumference_cm_change),
     's_change': sum(c.calf_circumference_cm_change), 'ss_change': sum(c.calf_circumference_cm_change ^ 2)}
        AS stat_calf_circumference_cm,
    {'n': count(c.daily_steps), 's': sum(c.daily_steps), 'ss': sum(c.daily_steps ^ 2),
     'n_change': count(c.daily_steps_change), 's_change': sum(c.daily_steps_change),
     'ss_change': sum(c.daily_steps_change ^ 2)} AS stat_daily_steps,
    count(*) FILTER (WHERE c.pts_band = 'none') AS band_none,
    count(*) FILTER (WHERE c.pts_band = 'mild') AS band_mild,
    count(*) FILTER (WHERE c.pts_band = 'moderate') AS band_moderate,
    count(*) FILTER (WHERE c.pts_band = 'severe') AS band_severe
FROM changes AS c
INNER JOIN dimensions AS d
    ON d.patient_id = c.patient_id
GROUP BY d.study_id, d.arm, d.obstruction_site, d.stenosis_grade, d.baseline_band, d.sex, d.age_years,
    d.baseline_ulcer, c.visit_month
ORDER BY d.study_id, d.arm, d.obstruction_site, d.stenosis_grade, d.baseline_band, d.sex, d.age_years,
    d.baseline_ulcer, c.visit_month
