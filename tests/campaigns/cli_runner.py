"""Running the real `cardstation` process from a campaign test (one helper for all of them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def cli_env(log_dir: Path, **extra: str) -> dict[str, str]:
    """This environment, with this checkout on the path, logs in `log_dir` and no CARDSTATION_DB."""
    env = {**os.environ, "CARDSTATION_LOG_DIR": str(log_dir), "PYTHONPATH": str(ROOT)}
    env.pop("CARDSTATION_DB", None)
    return {**env, **extra}


def run_cli(
    *args: str, env: dict[str, str], user: int | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`cardstation ARGS` (as `user` when given, through setpriv), no terminal attached."""
    argv = [sys.executable, "-m", "cardstation.cli", *args]
    if user is not None:
        argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
    )
