-- agg_responder_cells: the responder pairs of queries/shared/responder_pairs.sql (every patient with
-- a baseline PTS band and each post-baseline visit they were due at, whether they were seen there,
-- their Villalta improvement and whether their band went down) counted per combination of the
-- cohort filter's dimensions (as in agg_patient_cells), visit month and outcome. Written with the
-- data (pts_explorer/derived.py) from patient_cohort and patient_visits, with $days_per_month
-- (pts_explorer.vocab.DAYS_PER_MONTH); the fast responders_by_visit and responder_thresholds read it.
-- grain: one row per non-empty combination of the dimensions, visit_month, seen, improvement and
-- band_down
CREATE TABLE agg_responder_cells AS
WITH

band_ranked AS (
    SELECT
        patient_id,
        visit_month,
        villalta_total,
        CASE pts_band WHEN 'none' THEN 0 WHEN 'mild' THEN 1 WHEN 'moderate' THEN 2 ELSE 3 END AS band_rank
    FROM patient_visits
    WHERE visit_month > 0
),

scheduled AS (
    SELECT DISTINCT visit_month
    FROM band_ranked
),

cut_off AS (
    SELECT study_id, max(enrolled_on + last_contact_day) AS cut_off_date
    FROM patients
    GROUP BY study_id
),

due AS (
    SELECT
        e.patient_id,
        e.study_id,
        e.arm,
        e.obstruction_site,
        e.stenosis_grade,
        e.baseline_band,
        e.sex,
        e.age_years,
        e.baseline_ulcer,
        m.visit_month,
        e.baseline_villalta,
        CASE e.baseline_band WHEN 'none' THEN 0 WHEN 'mild' THEN 1 WHEN 'moderate' THEN 2 ELSE 3 END AS baseline_rank
    FROM patient_cohort AS e
    INNER JOIN studies AS s
        ON s.study_id = e.study_id
    INNER JOIN cut_off AS c
        ON c.study_id = e.study_id
    INNER JOIN scheduled AS m
        ON list_contains(s.visit_months, m.visit_month)
    WHERE e.baseline_band IS NOT NULL
      AND e.enrolled_on + CAST(round(m.visit_month * $days_per_month) AS INTEGER) <= c.cut_off_date
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
    d.visit_month,
    f.patient_id IS NOT NULL AS seen,
    d.baseline_villalta - f.villalta_total AS improvement,
    f.band_rank < d.baseline_rank AS band_down,
    count(*) AS patients
FROM due AS d
LEFT JOIN band_ranked AS f
    ON f.patient_id = d.patient_id AND f.visit_month = d.visit_month
GROUP BY d.study_id, d.arm, d.obstruction_site, d.stenosis_grade, d.baseline_band, d.sex, d.age_years,
    d.baseline_ulcer, d.visit_month, seen, improvement, band_down
ORDER BY d.visit_month, d.study_id, d.arm, d.obstruction_site, d.stenosis_grade, d.baseline_band, d.sex,
    d.age_years, d.baseline_ulcer
