-- responder_pairs: one row per analysis-set patient with a baseline Villalta and each
-- post-baseline visit they were due at: a visit of their study's schedule that they had been
-- enrolled long enough to reach by the study's data cut-off (its latest last contact). Villalta
-- improvement and whether the PTS band went down, where the visit was attended; NULL where not.
-- params: $days_per_month DOUBLE (pts_explorer.vocab.DAYS_PER_MONTH), $randomized_only as in
--         analysis_cohort
-- grain: patient_id, visit_month
WITH

band_ranked AS (
    SELECT
        patient_id,
        visit_month,
        villalta_total,
        CASE pts_band WHEN 'none' THEN 0 WHEN 'mild' THEN 1 WHEN 'moderate' THEN 2 ELSE 3 END AS band_rank
    FROM scheduled_visits
),

scheduled AS (
    SELECT DISTINCT visit_month
    FROM scheduled_visits
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
        b.villalta_total AS baseline_villalta,
        b.band_rank AS baseline_rank
    FROM analysis_cohort AS e
    INNER JOIN band_ranked AS b
        ON b.patient_id = e.patient_id AND b.visit_month = 0
    INNER JOIN studies AS s
        ON s.study_id = e.study_id
    INNER JOIN cut_off AS c
        ON c.study_id = e.study_id
    INNER JOIN scheduled AS m
        ON list_contains(s.visit_months, m.visit_month)
    WHERE e.enrolled_on + CAST(round(m.visit_month * $days_per_month) AS INTEGER) <= c.cut_off_date
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
