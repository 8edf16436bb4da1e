-- more_filter_distribution: how the values of each "More filters" range (vocab.MORE_FILTERS of kind "range")
-- are spread over every patient: the patients per whole unit (value: the value rounded down; top: the
-- largest value in that unit), and in a row whose value is NULL the patients without one. The sidebar's
-- range sliders span the lowest value to the highest rounded up, and draw the small histogram under them.
-- One SELECT per range, written by the composer from vocab.MORE_FILTERS (more_filter_spread(),
-- pts_explorer/sql.py), so a range added there is counted here too.
-- grain: field, value
more_filter_spread()
ORDER BY field, value
