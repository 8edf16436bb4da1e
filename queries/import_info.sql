-- import_info: how the loaded file was imported (no row for the generated demo): the profile and
-- its version, the importer's version, when, and how many warnings it stored.
-- grain: one row (the import), or none for the demo
SELECT
    profile,
    profile_version,
    importer_version,
    imported_at,
    warnings,
    (SELECT count(*) FROM import_manifest) AS source_files
FROM import_info
