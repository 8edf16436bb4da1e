-- more_filter_ranges: the extent of each "More filters" range (vocab.MORE_FILTERS of kind "range") over
-- every patient, in whole units (the lowest value rounded down, the highest up), and the patients
-- without a value (a restricted range leaves them out): the bounds of the sidebar's range sliders.
-- grain: field
WITH attribute_values AS (
    SELECT
        stenosis_pct,
        lesion_length_mm,
        months_since_dvt,
        bmi,
        baseline_villalta,
        baseline_vcss
    FROM patient_attributes
)

SELECT
    'stenosis' AS field,
    CAST(floor(min(stenosis_pct)) AS INTEGER) AS low,
    CAST(ceil(max(stenosis_pct)) AS INTEGER) AS high,
    count(*) - count(stenosis_pct) AS missing
FROM attribute_values
UNION ALL
SELECT
    'length' AS field,
    CAST(floor(min(lesion_length_mm)) AS INTEGER) AS low,
    CAST(ceil(max(lesion_length_mm)) AS INTEGER) AS high,
    count(*) - count(lesion_length_mm) AS missing
FROM attribute_values
UNION ALL
SELECT
    'dvt' AS field,
    CAST(floor(min(months_since_dvt)) AS INTEGER) AS low,
    CAST(ceil(max(months_since_dvt)) AS INTEGER) AS high,
    count(*) - count(months_since_dvt) AS missing
FROM attribute_values
UNION ALL
SELECT
    'bmi' AS field,
    CAST(floor(min(bmi)) AS INTEGER) AS low,
    CAST(ceil(max(bmi)) AS INTEGER) AS high,
    count(*) - count(bmi) AS missing
FROM attribute_values
UNION ALL
SELECT
    'bvillalta' AS field,
    CAST(floor(min(baseline_villalta)) AS INTEGER) AS low,
    CAST(ceil(max(baseline_villalta)) AS INTEGER) AS high,
    count(*) - count(baseline_villalta) AS missing
FROM attribute_values
UNION ALL
SELECT
    'bvcss' AS field,
    CAST(floor(min(baseline_vcss)) AS INTEGER) AS low,
    CAST(ceil(max(baseline_vcss)) AS INTEGER) AS high,
    count(*) - count(baseline_vcss) AS missing
FROM attribute_values
