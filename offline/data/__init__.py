"""Data files of the code tables (read through importlib.resources)."""
