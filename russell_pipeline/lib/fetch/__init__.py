"""Fetching published documents: the source registry, the HTTP client, verified downloads."""
