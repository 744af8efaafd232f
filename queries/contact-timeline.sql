-- Everything archived about one contact, in time order: its call, insights, headset and issues.
-- param contact_id text
WITH contact AS (
  SELECT event_time, sent_detail_type, event_id, queue, agent, mos, overall_quality,
    insight_tags, issue_category, issue_severity, headset_model, background_noise_db,
    row_number() OVER (PARTITION BY event_id ORDER BY arrival_time) AS copy
  FROM events
  WHERE contact_id = ?
)
SELECT
  event_time,
  sent_detail_type AS detail_type,
  CASE sent_detail_type
    WHEN 'CallSummary' THEN concat(
      'queue ', coalesce(queue, '?'), ', agent ', coalesce(agent, '?'),
      ', MOS ', coalesce(CAST(mos AS VARCHAR), 'n/a'), ', ', coalesce(overall_quality, '?'))
    WHEN 'InsightsSummary' THEN concat(
      CAST(cardinality(insight_tags) AS VARCHAR), ' insights: ', array_join(insight_tags, ', '))
    WHEN 'AgentReportedIssue' THEN concat(
      'agent ', coalesce(agent, '?'), ' reported ', coalesce(issue_category, '?'),
      ' (', coalesce(issue_severity, '?'), ')')
    WHEN 'HeadsetSummary' THEN concat(
      'headset ', coalesce(headset_model, '?'), ', background noise ',
      coalesce(CAST(background_noise_db AS VARCHAR), 'n/a'), ' dB')
    ELSE ''
  END AS summary,
  event_id
FROM contact
WHERE copy = 1
ORDER BY event_time, detail_type, event_id
