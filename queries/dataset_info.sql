-- dataset_info: the one row describing the loaded dataset, with its size.
-- grain: one row (the dataset)
-- $allowed_studies: the studies the user may see, VARCHAR[] (NULL = all; fragments/allowed_studies.sql)
SELECT
    d.*,
    (SELECT count(*) FROM patients WHERE allowed_studies()) AS patients,
    (
        SELECT count(*) FROM visits
        WHERE patient_id IN (SELECT patient_id FROM patients WHERE allowed_studies())
    ) AS visits
FROM dataset_info AS d
