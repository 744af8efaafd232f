-- Issues agents reported, by category and severity.
-- param since date 1970-01-01
WITH issues AS (
  SELECT issue_category, issue_severity, agent,
    row_number() OVER (PARTITION BY event_id ORDER BY arrival_time) AS copy
  FROM events
  WHERE detail_type = 'AgentReportedIssue' AND event_date >= ?
)
SELECT
  coalesce(issue_category, '(none)') AS category,
  coalesce(issue_severity, '(none)') AS severity,
  count(*) AS issues,
  count(DISTINCT agent) AS agents
FROM issues
WHERE copy = 1
GROUP BY issue_category, issue_severity
ORDER BY issues DESC, category, severity
