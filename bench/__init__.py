"""`make bench` (python -m bench): how fast and lean the handler is, against its targets."""
