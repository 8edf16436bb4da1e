-- agg_safety_exposure_cells: patients followed in the period (at least one day) and their
-- follow-up days per combination of the cohort filter's dimensions (as in agg_patient_cells) and
-- period from the patient's anchor, counted as queries/safety_exposure.sql counts them (before the
-- procedure for stent patients, within 30 days = days 0-30, after 30 days, any time). Written
-- with the data (pts_explorer/derived.py); the fast safety_exposure reads it.
-- grain: one row per non-empty combination of the dimensions and period
CREATE TABLE agg_safety_exposure_cells AS
WITH

follow_up AS (
    SELECT
        c.study_id,
        c.arm,
        c.obstruction_site,
        c.stenosis_grade,
        c.baseline_band,
        c.sex,
        c.age_years,
        c.baseline_ulcer,
        CASE WHEN c.arm = 'stent' THEN coalesce(pr.procedure_day, 0) ELSE 0 END AS anchor_day,
        c.last_contact_day
    FROM patient_cohort AS c
    LEFT JOIN procedures AS pr
        ON pr.patient_id = c.patient_id
),

periods AS (
    SELECT study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, 'before the procedure' AS period, least(anchor_day, last_contact_day + 1) AS days
    FROM follow_up
    WHERE arm = 'stent'
    UNION ALL
    SELECT study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, 'within 30 days', greatest(least(last_contact_day - anchor_day, 30) + 1, 0)
    FROM follow_up
    UNION ALL
    SELECT study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, 'after 30 days', greatest(last_contact_day - anchor_day - 30, 0)
    FROM follow_up
    UNION ALL
    SELECT study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, 'any time', last_contact_day + 1
    FROM follow_up
)

SELECT
    study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer,
    period,
    count(*) FILTER (WHERE days > 0) AS patients,
    sum(days) AS follow_up_days
FROM periods
GROUP BY study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, period
ORDER BY study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, period
