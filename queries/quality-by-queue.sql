-- Daily call quality by queue: calls, average and worst MOS, calls rated "Issues detected".
-- param since date 1970-01-01
WITH calls AS (
  SELECT event_date, queue, mos, overall_quality,
    row_number() OVER (PARTITION BY event_id ORDER BY arrival_time) AS copy
  FROM events
  WHERE detail_type = 'CallSummary' AND event_date >= ?
)
SELECT
  event_date AS day,
  coalesce(queue, '(no queue)') AS queue,
  count(*) AS calls,
  round(avg(mos), 2) AS avg_mos,
  min(mos) AS worst_mos,
  count_if(overall_quality = 'Issues detected') AS calls_with_issues
FROM calls
WHERE copy = 1
GROUP BY event_date, queue
ORDER BY day, calls_with_issues DESC, queue
