-- import_warnings: how many warnings of one rule the import recorded (no row when none, or for a file
-- built elsewhere).
-- params: $rule an import rule, e.g. events:healing
-- grain: rule
SELECT rule, count(*) AS warnings
FROM import_issues
WHERE rule = $rule
GROUP BY rule
