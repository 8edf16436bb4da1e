-- safety_exposure: per arm (and $group value) and period: the patients followed in it (at least
-- one of its days under follow-up) and their follow-up days in it, the denominators of
-- proportions and of rates per patient-year. Days are calendar days counted as safety_events
-- counts events: day 0 (enrollment, or the procedure) is a day of follow-up, and so is the day of
-- last contact. Periods: before the procedure (stent arm: days 0 to the day before the
-- procedure); within 30 days (days 0-30 from the anchor: 31 days); after 30 days (from day 31 to
-- last contact); any time (day 0 to last contact).
-- params: $group as in safety_follow_up
-- grain: arm, group_value, period
WITH

periods AS (
    SELECT arm, group_value, 'before the procedure' AS period, least(anchor_day, last_contact_day + 1) AS days
    FROM safety_follow_up
    WHERE arm = 'stent'
    UNION ALL
    SELECT arm, group_value, 'within 30 days', greatest(least(last_contact_day - anchor_day, 30) + 1, 0)
    FROM safety_follow_up
    UNION ALL
    SELECT arm, group_value, 'after 30 days', greatest(last_contact_day - anchor_day - 30, 0)
    FROM safety_follow_up
    UNION ALL
    SELECT arm, group_value, 'any time', last_contact_day + 1
    FROM safety_follow_up
)

SELECT
    arm,
    group_value,
    period,
    count(*) FILTER (WHERE days > 0) AS patients,
    sum(days) AS follow_up_days
FROM periods
GROUP BY arm, group_value, period
ORDER BY arm DESC, group_value, period
