"""The archive: one row per processed Operata event, for queries over months (docs/archive.md)."""
