-- allowed_studies: the studies the signed-in user may see (issue 30; pts_explorer/access.py), as a
-- condition on a study_id column. Not a statement: the composer writes it after every cohort_filter(...)
-- (unprefixed: cohort B and the option counts are limited alike), and where a file says
-- allowed_studies() or allowed_studies(<column>) (pts_explorer/sql.py).
-- params: $allowed_studies  VARCHAR[]: the studies allowed; NULL = every study (no permissions
--         file); an empty list = none (a permissions file that grants nothing, or cannot be read)
-- grain: one condition per row of the relation it is written over
($allowed_studies::VARCHAR[] IS NULL OR list_contains($allowed_studies::VARCHAR[], study_id))
