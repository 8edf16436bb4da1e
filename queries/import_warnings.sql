-- import_warnings: the warnings the import recorded, counted by rule (no row for a file built elsewhere).
-- grain: rule
SELECT rule, count(*) AS warnings
FROM import_issues
WHERE rule = $rule
GROUP BY rule
