"""Workflows that span several models: permissions, seeding, dispatch export and import."""
