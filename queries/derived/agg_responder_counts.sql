-- agg_responder_counts: the responder counts of agg_responder_cells at each threshold a user may choose
-- (threshold_values(), vocab.RESPONDER_THRESHOLDS), so a threshold's counts are read without the
-- improvement of each cell: per threshold and combination of the cohort filter's dimensions and visit
-- month, the patients due (n_due), seen (n), and responders by points (improvement >= threshold), by
-- band and by either, as queries/responders_by_visit.sql counts them. Written with the data
-- (pts_explorer/derived.py) from agg_responder_cells; ordered by threshold and visit month, so one
-- threshold's rows are read alone. The fast responders_by_visit and responder_thresholds read it.
-- grain: one row per threshold and non-empty combination of the dimensions and visit_month
CREATE TABLE agg_responder_counts AS
WITH

thresholds AS (
    SELECT CAST(t AS DOUBLE) AS threshold
    FROM (VALUES threshold_values()) AS r(t)
)

SELECT
    t.threshold,
    c.study_id,
    c.arm,
    c.obstruction_site,
    c.stenosis_grade,
    c.baseline_band,
    c.sex,
    c.age_years,
    c.baseline_ulcer,
    c.visit_month,
    CAST(sum(c.patients) AS BIGINT) AS n_due,
    CAST(coalesce(sum(c.patients) FILTER (WHERE c.seen), 0) AS BIGINT) AS n,
    CAST(coalesce(sum(c.patients) FILTER (WHERE c.improvement >= t.threshold), 0) AS BIGINT) AS responders_points,
    CAST(coalesce(sum(c.patients) FILTER (WHERE c.band_down), 0) AS BIGINT) AS responders_band,
    CAST(coalesce(sum(c.patients) FILTER (WHERE c.improvement >= t.threshold OR c.band_down), 0) AS BIGINT)
        AS responders_either
FROM agg_responder_cells AS c
CROSS JOIN thresholds AS t
GROUP BY t.threshold, c.study_id, c.arm, c.obstruction_site, c.stenosis_grade, c.baseline_band, c.sex, c.age_years,
    c.baseline_ulcer, c.visit_month
ORDER BY t.threshold, c.visit_month, c.study_id, c.arm, c.obstruction_site, c.stenosis_grade, c.baseline_band, c.sex,
    c.age_years, c.baseline_ulcer
