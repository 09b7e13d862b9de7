"""Where the station's log records go: the journal under systemd, else small owner-only files.

Why: a thin client runs for months. Unbounded log files fill the disk that the freeze floor
(R-FRZ-2) protects, and records name persons' receipt numbers, so they are as private as the
store (R-SEC-1). So:

- under systemd (`JOURNAL_STREAM` is set by the service manager when stderr is the journal) the
  records go to stderr with a `<N>` syslog priority prefix, which journald turns into the
  record's level; journald rotates and protects them itself;
- otherwise (the TUI, a daemon started by hand) they go to `<store folder>/logs/cardstation.log`,
  rotated by size (`MAX_BYTES`) with `BACKUPS` older files kept, every file created 0600 and the
  folder 0700. The TUI cannot log to the terminal it draws on.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any

MAX_BYTES = 1_000_000
BACKUPS = 5
FILE_NAME = "cardstation.log"
_MARK = "_cardstation_handler"

#: syslog priorities (sd-daemon(3)) for the `<N>` prefix journald understands.
_PRIORITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose every file (the first and each one after a rollover) is 0600."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, self.mode.replace("w", "a"), encoding=self.encoding, errors=self.errors)


class JournalFormatter(logging.Formatter):
    """`<priority>logger: message` — journald stores the time and the unit itself."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record).replace("\n", " ⏎ ")
        return f"<{_PRIORITY.get(record.levelno, 6)}>{text}"


def under_journal() -> bool:
    return bool(os.environ.get("JOURNAL_STREAM"))


def setup(
    folder: Path, *, level: int = logging.INFO, max_bytes: int = MAX_BYTES, backups: int = BACKUPS
) -> str:
    """Route the root logger; returns where to ('journal' or the log file path). Idempotent."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
        old.close()
    handler: logging.Handler
    if under_journal():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JournalFormatter("%(name)s: %(message)s"))
        where = "journal"
    else:
        logs = Path(folder) / "logs"
        logs.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(logs, 0o700)
        path = logs / FILE_NAME
        handler = PrivateRotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        where = str(path)
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level)
    return where
