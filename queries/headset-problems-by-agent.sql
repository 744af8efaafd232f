-- Headset problems by agent: headset summaries joined to their call through the contact id.
-- param since date 1970-01-01
WITH headsets AS (
  SELECT contact_id, headset_model, background_noise_db, cross_talk_pct,
    misaligned_boom_arm_count, device_mute_count,
    row_number() OVER (PARTITION BY event_id ORDER BY arrival_time) AS copy
  FROM events
  WHERE detail_type = 'HeadsetSummary' AND event_date >= ?
),
call_agents AS (
  SELECT DISTINCT contact_id, agent
  FROM events
  WHERE detail_type = 'CallSummary' AND contact_id IS NOT NULL
)
SELECT
  coalesce(call_agents.agent, '(unknown agent)') AS agent,
  count(*) AS contacts,
  round(avg(headsets.background_noise_db), 1) AS avg_background_noise_db,
  round(avg(headsets.cross_talk_pct), 1) AS avg_cross_talk_pct,
  sum(headsets.misaligned_boom_arm_count) AS misaligned_boom_arm,
  sum(headsets.device_mute_count) AS device_mutes
FROM headsets
LEFT JOIN call_agents ON call_agents.contact_id = headsets.contact_id
WHERE headsets.copy = 1
GROUP BY call_agents.agent
ORDER BY misaligned_boom_arm DESC, avg_background_noise_db DESC, agent
