-- Agents' ISPs with the lowest average MOS, among those with at least min_calls rated calls.
-- param since date 1970-01-01
-- param min_calls integer 20
WITH calls AS (
  SELECT isp, agent, mos, packet_loss_inbound_pct,
    row_number() OVER (PARTITION BY event_id ORDER BY arrival_time) AS copy
  FROM events
  WHERE detail_type = 'CallSummary' AND event_date >= ? AND mos IS NOT NULL
)
SELECT
  coalesce(isp, '(no ISP)') AS isp,
  count(*) AS calls,
  count(DISTINCT agent) AS agents,
  round(avg(mos), 2) AS avg_mos,
  min(mos) AS worst_mos,
  round(avg(packet_loss_inbound_pct), 2) AS avg_inbound_loss_pct
FROM calls
WHERE copy = 1
GROUP BY isp
HAVING count(*) >= ?
ORDER BY avg_mos, calls DESC, isp
LIMIT 20
