-- agg_patient_cells: patients counted per combination of the cohort filter's dimensions (study,
-- arm, site, grade, baseline band, sex, exact age, baseline ulcer), with what Table 1 needs: for
-- each continuous characteristic its n, sum and sum of squares, and counts per level of the
-- categorical ones that are not dimensions. Written with the data (pts_explorer/derived.py).
-- grain: one row per non-empty combination of the dimensions
CREATE TABLE agg_patient_cells AS
WITH

with_baseline AS (
    SELECT
        p.*,
        b.pts_band AS baseline_band,
        coalesce(b.ulcer_present, FALSE) AS baseline_ulcer,
        b.villalta_total::DOUBLE AS villalta_total,
        b.vcss::DOUBLE AS vcss,
        b.veines_qol AS veines_qol
    FROM patients AS p
    LEFT JOIN scheduled_visits AS b
        ON b.patient_id = p.patient_id AND b.visit_month = 0
)

SELECT
    study_id,
    arm,
    obstruction_site,
    stenosis_grade,
    baseline_band,
    sex,
    age_years,
    baseline_ulcer,
    count(*) AS patients,
    {'n': count(age_years), 's': sum(age_years::DOUBLE), 'ss': sum(age_years::DOUBLE ^ 2)} AS stat_age_years,
    {'n': count(bmi), 's': sum(bmi), 'ss': sum(bmi ^ 2)} AS stat_bmi,
    {'n': count(months_since_dvt), 's': sum(months_since_dvt::DOUBLE), 'ss': sum(months_since_dvt::DOUBLE ^ 2)}
        AS stat_months_since_dvt,
    {'n': count(stenosis_pct), 's': sum(stenosis_pct::DOUBLE), 'ss': sum(stenosis_pct::DOUBLE ^ 2)}
        AS stat_stenosis_pct,
    {'n': count(villalta_total), 's': sum(villalta_total), 'ss': sum(villalta_total ^ 2)} AS stat_villalta_total,
    {'n': count(vcss), 's': sum(vcss), 'ss': sum(vcss ^ 2)} AS stat_vcss,
    {'n': count(veines_qol), 's': sum(veines_qol), 'ss': sum(veines_qol ^ 2)} AS stat_veines_qol,
    count(*) FILTER (WHERE limb_side = 'left') AS limb_side_left,
    count(*) FILTER (WHERE limb_side = 'right') AS limb_side_right,
    count(*) FILTER (WHERE ceap_c = 'C3') AS ceap_c_c3,
    count(*) FILTER (WHERE ceap_c = 'C4a') AS ceap_c_c4a,
    count(*) FILTER (WHERE ceap_c = 'C4b') AS ceap_c_c4b,
    count(*) FILTER (WHERE ceap_c = 'C4c') AS ceap_c_c4c,
    count(*) FILTER (WHERE ceap_c = 'C5') AS ceap_c_c5,
    count(*) FILTER (WHERE ceap_c = 'C6') AS ceap_c_c6
FROM with_baseline
GROUP BY study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer
ORDER BY study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer
