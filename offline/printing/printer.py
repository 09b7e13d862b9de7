"""Sending a rendered PDF to a CUPS printer with `lp -d`.

Why `lp` and not a Python CUPS binding: `lp` is on every Debian thin client with CUPS, needs
no build step, and its exit status and stderr are enough for the operator to act on.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from offline.printing import messages as M
from offline.printing.errors import PrintError


def print_pdf(path: Path | str, printer: str | None, *, lp: str = "lp", timeout: float = 30.0) -> None:
    """Queue `path` on `printer`; PrintError (Chinese) when no printer, no lp, or lp refuses."""
    if not printer:
        raise PrintError("no_printer", M.NO_PRINTER)
    exe = shutil.which(lp)
    if exe is None:
        raise PrintError("no_lp", M.NO_LP)
    try:
        done = subprocess.run(
            [exe, "-d", printer, "-t", Path(path).stem, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise PrintError(
            "lp_failed", M.LP_FAILED.format(printer=printer, detail=str(exc), path=path)
        ) from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip() or f"exit {done.returncode}"
        raise PrintError("lp_failed", M.LP_FAILED.format(printer=printer, detail=detail, path=path))
