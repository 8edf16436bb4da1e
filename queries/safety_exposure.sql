-- safety_exposure: per arm (and $group value) and period: patients followed in it and their
-- follow-up in days, the denominators of proportions and of rates per patient-year.
-- Periods: before the procedure (stent arm: enrollment to the procedure); within 30 days (of the
-- anchor); after 30 days; any time (enrollment to last contact).
-- params: $group as in safety_follow_up
-- grain: arm, group_value, period
WITH

periods AS (
    SELECT arm, group_value, 'before the procedure' AS period, least(anchor_day, last_contact_day) AS days
    FROM safety_follow_up
    WHERE arm = 'stent'
    UNION ALL
    SELECT arm, group_value, 'within 30 days', greatest(least(last_contact_day - anchor_day, 30), 0)
    FROM safety_follow_up
    UNION ALL
    SELECT arm, group_value, 'after 30 days', greatest(last_contact_day - anchor_day - 30, 0)
    FROM safety_follow_up
    UNION ALL
    SELECT arm, group_value, 'any time', last_contact_day
    FROM safety_follow_up
)

SELECT
    arm,
    group_value,
    period,
    count(*) AS patients,
    sum(days) AS follow_up_days
FROM periods
GROUP BY arm, group_value, period
ORDER BY arm DESC, group_value, period
