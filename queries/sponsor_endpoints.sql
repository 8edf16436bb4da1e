-- sponsor_endpoints: the endpoints of an imported ADTTE that the app also derives (empty otherwise).
-- grain: endpoint, paramcd
SELECT DISTINCT endpoint, paramcd, any_value(param) AS param
FROM sponsor_adtte
WHERE endpoint IS NOT NULL
GROUP BY ALL
ORDER BY endpoint
