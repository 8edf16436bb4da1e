-- more_filter_distribution: how the values of each "More filters" range (vocab.MORE_FILTERS of kind "range")
-- are spread over every patient: the patients per whole unit (value: the value rounded down; top: the
-- largest value in that unit), and in a row whose value is NULL the patients without one. The sidebar's
-- range sliders span the lowest value to the highest rounded up, and draw the small histogram under them.
-- grain: field, value
SELECT
    'stenosis' AS field,
    CAST(floor(stenosis_pct) AS INTEGER) AS value,
    count(*) AS patients,
    max(stenosis_pct) AS top
FROM patient_attributes
GROUP BY CAST(floor(stenosis_pct) AS INTEGER)
UNION ALL
SELECT
    'length' AS field,
    CAST(floor(lesion_length_mm) AS INTEGER) AS value,
    count(*) AS patients,
    max(lesion_length_mm) AS top
FROM patient_attributes
GROUP BY CAST(floor(lesion_length_mm) AS INTEGER)
UNION ALL
SELECT
    'dvt' AS field,
    CAST(floor(months_since_dvt) AS INTEGER) AS value,
    count(*) AS patients,
    max(months_since_dvt) AS top
FROM patient_attributes
GROUP BY CAST(floor(months_since_dvt) AS INTEGER)
UNION ALL
SELECT
    'bmi' AS field,
    CAST(floor(bmi) AS INTEGER) AS value,
    count(*) AS patients,
    max(bmi) AS top
FROM patient_attributes
GROUP BY CAST(floor(bmi) AS INTEGER)
UNION ALL
SELECT
    'bvillalta' AS field,
    CAST(floor(baseline_villalta) AS INTEGER) AS value,
    count(*) AS patients,
    max(baseline_villalta) AS top
FROM patient_attributes
GROUP BY CAST(floor(baseline_villalta) AS INTEGER)
UNION ALL
SELECT
    'bvcss' AS field,
    CAST(floor(baseline_vcss) AS INTEGER) AS value,
    count(*) AS patients,
    max(baseline_vcss) AS top
FROM patient_attributes
GROUP BY CAST(floor(baseline_vcss) AS INTEGER)
ORDER BY field, value
