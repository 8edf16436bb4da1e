-- more_filter_distribution: how the values of each "More filters" range (vocab.MORE_FILTERS of kind "range")
-- are spread over every patient: the patients per whole unit (the value rounded down), for the small
-- histogram under each range slider. Patients without a value are not counted (more_filter_ranges says how
-- many).
-- grain: field, value
SELECT 'stenosis' AS field, CAST(floor(stenosis_pct) AS INTEGER) AS value, count(*) AS patients
FROM patient_attributes
WHERE stenosis_pct IS NOT NULL
GROUP BY CAST(floor(stenosis_pct) AS INTEGER)
UNION ALL
SELECT 'length' AS field, CAST(floor(lesion_length_mm) AS INTEGER) AS value, count(*) AS patients
FROM patient_attributes
WHERE lesion_length_mm IS NOT NULL
GROUP BY CAST(floor(lesion_length_mm) AS INTEGER)
UNION ALL
SELECT 'dvt' AS field, CAST(floor(months_since_dvt) AS INTEGER) AS value, count(*) AS patients
FROM patient_attributes
WHERE months_since_dvt IS NOT NULL
GROUP BY CAST(floor(months_since_dvt) AS INTEGER)
UNION ALL
SELECT 'bmi' AS field, CAST(floor(bmi) AS INTEGER) AS value, count(*) AS patients
FROM patient_attributes
WHERE bmi IS NOT NULL
GROUP BY CAST(floor(bmi) AS INTEGER)
UNION ALL
SELECT 'bvillalta' AS field, CAST(floor(baseline_villalta) AS INTEGER) AS value, count(*) AS patients
FROM patient_attributes
WHERE baseline_villalta IS NOT NULL
GROUP BY CAST(floor(baseline_villalta) AS INTEGER)
UNION ALL
SELECT 'bvcss' AS field, CAST(floor(baseline_vcss) AS INTEGER) AS value, count(*) AS patients
FROM patient_attributes
WHERE baseline_vcss IS NOT NULL
GROUP BY CAST(floor(baseline_vcss) AS INTEGER)
ORDER BY field, value
