-- import_issues_stored: the warnings the import stored (import_issues), one row per rule, file, column
-- and message, with how many rows it found, the first lines and the values seen (no row for a file
-- built elsewhere, or an import without warnings).
-- grain: rule x file x column x message
SELECT
    rule,
    file,
    coalesce(column_name, '') AS column_name,
    message,
    count(*) AS found,
    coalesce(
        array_to_string(list_slice(list(line ORDER BY line) FILTER (WHERE line IS NOT NULL), 1, 5), ', ')
        || CASE WHEN count(line) > 5 THEN ' (' || (count(line) - 5) || ' more)' ELSE '' END,
        ''
    ) AS lines,
    coalesce(
        array_to_string(list_slice(list(DISTINCT value ORDER BY value) FILTER (WHERE value IS NOT NULL), 1, 5), ', '),
        ''
    ) AS "values"
FROM import_issues
WHERE severity = 'warning'
GROUP BY rule, file, column_name, message
ORDER BY file, rule, column_name, message
