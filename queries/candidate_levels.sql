-- candidate_levels: per arm, how many cohort patients share the candidate's anatomy at each
-- widening (candidate_pool's levels), so the page can choose the narrowest that holds enough.
-- params: as in candidate_pool
-- grain: arm
SELECT
    arm,
    count(*) FILTER (WHERE in_level_0) AS level_0,
    count(*) FILTER (WHERE in_level_1) AS level_1,
    count(*) FILTER (WHERE in_level_2) AS level_2
FROM candidate_pool
GROUP BY arm
ORDER BY arm DESC
