-- dataset_info: the one row describing the loaded dataset, with its size.
-- grain: one row (the dataset)
SELECT
    d.*,
    (SELECT count(*) FROM patients) AS patients,
    (SELECT count(*) FROM visits) AS visits
FROM dataset_info AS d
