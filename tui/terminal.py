"""The terminal driver: Textual's Linux driver, sized from the terminal itself.

Why: Textual asks `shutil.get_terminal_size()`, which reads `$COLUMNS`/`$LINES` and then the
size of *stdout*. When stdout is piped (`cardstation | tee session.log`, a wrapper script that
captures output) that fails and the app draws 80x24 in the corner of a 160x50 terminal, though
Textual writes to stderr, which is still the terminal. This driver asks the terminal the app
really draws on (stderr), then stdin, then `/dev/tty`, and only then the environment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator

from textual.drivers.linux_driver import LinuxDriver

FALLBACK = (80, 24)


def _tty_fds() -> Iterator[int]:
    for stream in (sys.__stderr__, sys.__stdin__, sys.__stdout__):
        if stream is not None:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                yield stream.fileno()


def terminal_size() -> tuple[int, int]:
    """(columns, lines) of the real terminal: stderr, stdin, stdout, /dev/tty, then $COLUMNS/$LINES."""
    for fd in _tty_fds():
        with contextlib.suppress(OSError):
            size = os.get_terminal_size(fd)
            if size.columns and size.lines:
                return size.columns, size.lines
    with contextlib.suppress(OSError):
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
        try:
            size = os.get_terminal_size(fd)
            if size.columns and size.lines:
                return size.columns, size.lines
        finally:
            os.close(fd)
    columns, lines = shutil.get_terminal_size(FALLBACK)
    return columns or FALLBACK[0], lines or FALLBACK[1]


class StationDriver(LinuxDriver):
    """LinuxDriver whose size (at start and on SIGWINCH) comes from `terminal_size()`."""

    def _get_terminal_size(self) -> tuple[int, int]:
        return terminal_size()
