"""Operata event types: models, ratings and renderings, found through the registry."""
