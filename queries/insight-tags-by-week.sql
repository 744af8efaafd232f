-- How often each insight tag fired, per week (weeks start on Monday).
-- param since date 1970-01-01
WITH insights AS (
  SELECT event_time, insight_tags,
    row_number() OVER (PARTITION BY event_id ORDER BY arrival_time) AS copy
  FROM events
  WHERE detail_type = 'InsightsSummary' AND event_date >= ?
)
SELECT
  date_trunc('week', event_time) AS week,
  tag,
  count(*) AS times
FROM insights
CROSS JOIN UNNEST(insight_tags) AS fired (tag)
WHERE copy = 1
GROUP BY date_trunc('week', event_time), tag
ORDER BY week, times DESC, tag
