"""Shared widgets of the station TUI (compact form widgets, status bar, reader panel, footer)."""
