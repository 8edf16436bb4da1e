-- import_issues_stored: the warnings the import stored (import_issues), one row per rule, file, column
-- and message, with how many rows it found, its first five lines and first five values seen (in order),
-- and how many lines carry a number (no row for a file built elsewhere, or an import without warnings).
-- Written without list functions, so that it runs on Spark as on DuckDB.
-- grain: rule x file x column x message
WITH

warned AS (
    SELECT rule, file, coalesce(column_name, '') AS column_name, message, line, value
    FROM import_issues
    WHERE severity = 'warning'
),

ranked AS (
    SELECT
        *,
        CASE WHEN line IS NOT NULL THEN
            row_number() OVER (PARTITION BY rule, file, column_name, message ORDER BY line NULLS LAST)
        END AS line_rank,
        CASE WHEN value IS NOT NULL THEN
            dense_rank() OVER (PARTITION BY rule, file, column_name, message ORDER BY value NULLS LAST)
        END AS value_rank
    FROM warned
)

SELECT
    rule,
    file,
    column_name,
    message,
    count(*) AS found,
    count(line) AS lines_found,
    max(CASE WHEN line_rank = 1 THEN line END) AS line_1,
    max(CASE WHEN line_rank = 2 THEN line END) AS line_2,
    max(CASE WHEN line_rank = 3 THEN line END) AS line_3,
    max(CASE WHEN line_rank = 4 THEN line END) AS line_4,
    max(CASE WHEN line_rank = 5 THEN line END) AS line_5,
    max(CASE WHEN value_rank = 1 THEN value END) AS value_1,
    max(CASE WHEN value_rank = 2 THEN value END) AS value_2,
    max(CASE WHEN value_rank = 3 THEN value END) AS value_3,
    max(CASE WHEN value_rank = 4 THEN value END) AS value_4,
    max(CASE WHEN value_rank = 5 THEN value END) AS value_5
FROM ranked
GROUP BY rule, file, column_name, message
ORDER BY file, rule, column_name, message
