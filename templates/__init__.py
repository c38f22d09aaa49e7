"""Shipped form definitions, scoring rules and Word templates (data only)."""
