"""Screens of the station TUI, one module per screen."""
