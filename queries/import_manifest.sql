-- import_manifest: the source files of an import, with their size, SHA-256 and rows read.
-- grain: file
SELECT file, bytes, sha256, rows
FROM import_manifest
ORDER BY file
