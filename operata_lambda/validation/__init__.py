"""JSON Schemas: loading, the fast check, explaining rejections, noticing new fields."""
