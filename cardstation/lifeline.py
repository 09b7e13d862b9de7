"""Helper processes that die with the process that started them (the demo's gateway and card
emulator).

Why: stopped by SIGTERM the demo used to skip its clean-up, and by SIGKILL it cannot run any;
either way its gateway and emulator lived on, and the next start ran two gateways on one
database. Three measures, each covering what the others cannot:
- the parent turns SIGTERM/SIGHUP into a normal exit, so its `finally` stops the children
  (each in its own process group, so grandchildren go too);
- each child asks the kernel for SIGTERM when its parent dies (`PR_SET_PDEATHSIG` through
  ctypes `prctl`) — this is what covers SIGKILL of the parent;
- the demo holds a lock on its folder (`cardstation.commands.demo`), so a second demo on the
  same folder is refused rather than started beside leftovers.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from types import FrameType

ENV = "CARDSTATION_DIE_WITH_PARENT"
PR_SET_PDEATHSIG = 1


def mark_children() -> None:
    """Children started from now on tie their life to this process."""
    os.environ[ENV] = str(os.getpid())


def die_with_parent() -> None:
    """First thing in a helper process: SIGTERM when the parent dies (Linux; elsewhere a no-op)."""
    parent = os.environ.pop(ENV, "")  # not for our own children: their parent is us
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != int(parent):  # the parent died before prctl took effect
        os._exit(0)


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP end this process through SystemExit, so `finally` blocks run."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)


def kill_group(pid: int | None) -> None:
    """SIGTERM the process group led by `pid` (children started with start_new_session)."""
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
