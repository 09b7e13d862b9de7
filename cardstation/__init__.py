"""Composition root of cardstation: the CLI and the factories that wire store, reader, sealer and link.

Kept separate from the four layer packages (tui, offline, sync, devices) so that none of
them has to import the others to be started.
"""
