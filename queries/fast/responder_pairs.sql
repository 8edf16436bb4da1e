-- responder_pairs (fast): the same rows as queries/shared/responder_pairs.sql; the baseline comes
-- with the cohort (stored patient_cohort) instead of a join with the visits. Read for a population
-- (the Candidate page's matched patients): the counts over the sidebar's cohort come from cells.
-- params: $days_per_month, $randomized_only as in responder_pairs
-- grain: patient_id, visit_month
WITH

band_ranked AS (
    SELECT
        patient_id,
        visit_month,
        villalta_total,
        CASE pts_band WHEN 'none' THEN 0 WHEN 'mild' THEN 1 WHEN 'moderate' THEN 2 ELSE 3 END AS band_rank
    FROM patient_visits
    WHERE visit_month > 0
      AND patient_id IN (SELECT patient_id FROM analysis_cohort)  -- only the population's visits are read
),

scheduled AS (  -- the months of the analysed visits, from their cells (not a pass over every visit)
    SELECT DISTINCT visit_month
    FROM agg_visit_cells
    WHERE visit_month > 0
),

cut_off AS (
    SELECT study_id, max(enrolled_on + last_contact_day) AS cut_off_date
    FROM patients
    GROUP BY study_id
),

due AS (
    SELECT
        e.patient_id,
        e.arm,
        m.visit_month,
        e.baseline_villalta,
        CASE e.baseline_band WHEN 'none' THEN 0 WHEN 'mild' THEN 1 WHEN 'moderate' THEN 2 ELSE 3 END AS baseline_rank
    FROM analysis_cohort AS e
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
    d.patient_id,
    d.arm,
    d.visit_month,
    f.patient_id IS NOT NULL AS seen,
    d.baseline_villalta - f.villalta_total AS improvement,
    f.band_rank < d.baseline_rank AS band_down
FROM due AS d
LEFT JOIN band_ranked AS f
    ON f.patient_id = d.patient_id AND f.visit_month = d.visit_month
