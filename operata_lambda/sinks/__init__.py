"""Where outcomes go: the report (text or JSON lines), EMF metrics, the quarantine."""
