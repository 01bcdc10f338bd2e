"""Frozen domain types and rule checks; no I/O, no clock."""
