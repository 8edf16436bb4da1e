-- agg_safety_event_cells: adverse events (every event but patency restored and ulcer healed) per
-- combination of the cohort filter's dimensions (as in agg_patient_cells), event type and period
-- from the patient's anchor (the index procedure for a stent patient, enrollment otherwise; as in
-- queries/shared/safety_follow_up.sql), also 'any time': the events and the patients with at least
-- one, which add up across cells because each patient is in one cell. Written with the data
-- (pts_explorer/derived.py); the fast safety_events reads it.
-- grain: one row per non-empty combination of the dimensions, event_type and period
CREATE TABLE agg_safety_event_cells AS
WITH

follow_up AS (
    SELECT
        c.patient_id,
        c.study_id,
        c.arm,
        c.obstruction_site,
        c.stenosis_grade,
        c.baseline_band,
        c.sex,
        c.age_years,
        c.baseline_ulcer,
        CASE WHEN c.arm = 'stent' THEN coalesce(pr.procedure_day, 0) ELSE 0 END AS anchor_day
    FROM patient_cohort AS c
    LEFT JOIN procedures AS pr
        ON pr.patient_id = c.patient_id
),

dated AS (
    SELECT
        f.*,
        e.event_type,
        CASE
            WHEN e.event_day < f.anchor_day THEN 'before the procedure'
            WHEN e.event_day - f.anchor_day <= 30 THEN 'within 30 days'
            ELSE 'after 30 days'
        END AS period
    FROM events AS e
    INNER JOIN follow_up AS f
        ON f.patient_id = e.patient_id
    WHERE e.event_type NOT IN ('patency_restored', 'ulcer_healed')
),

per_patient AS (
    SELECT study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, patient_id, event_type, period, count(*) AS events
    FROM dated
    GROUP BY ALL
    UNION ALL
    SELECT study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, patient_id, event_type, 'any time' AS period, count(*) AS events
    FROM dated
    GROUP BY ALL
)

SELECT
    study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer,
    event_type,
    period,
    sum(events) AS events,
    count(*) AS patients_with
FROM per_patient
GROUP BY study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, event_type, period
ORDER BY study_id, arm, obstruction_site, stenosis_grade, baseline_band, sex, age_years, baseline_ulcer, event_type, period
