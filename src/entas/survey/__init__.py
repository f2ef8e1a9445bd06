"""Susenas-like survey samples: schema (shared with the registry), import, snapshots."""
