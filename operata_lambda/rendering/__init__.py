"""What a log line says and how event text is made safe for it: the report sink's helpers."""
