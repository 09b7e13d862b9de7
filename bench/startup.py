"""Cold start of the station TUI to the login screen, and peak RSS (docs/benchmarks.md).

Each run starts `cardstation --db <store> run` on a fresh pty (80x24) and measures the time
until the bytes that draw the login title ("操作员登录") appear; the process is then asked to
quit and its peak RSS (ru_maxrss of the child, from wait4) is recorded. Reports the median of N
runs. Also lists which heavy modules the TUI process has imported by the time the login screen
has run and quit (recorded at exit: pyscard may appear, imported by the reader monitor worker after the
first paint; httpx, cryptography, pypinyin must not).

    .venv/bin/python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.tty import PYTHON, PtyChild, child_env, prepare_store

HEAVY = ("smartcard", "httpx", "cryptography", "pypinyin", "PIL", "fpdf", "uvicorn", "argon2")

PROBE = r"""
import sys, runpy, atexit, os
def report():
    heavy = sorted({m.split('.')[0] for m in sys.modules} & set(os.environ['HEAVY'].split(',')))
    with open(os.environ['PROBE_OUT'], 'w') as fh:
        fh.write(','.join(heavy))
atexit.register(report)
sys.argv = ['cardstation'] + sys.argv[1:]
from cardstation.cli import main
sys.exit(main())
"""


def one_run(db: Path, probe_out: Path) -> tuple[float, float, str]:
    env = child_env()
    env["CARDSTATION_CONFIG"] = str(db.parent / "none.toml")
    env["HEAVY"] = ",".join(HEAVY)
    env["PROBE_OUT"] = str(probe_out)
    start = time.monotonic()
    child = PtyChild([PYTHON, "-c", PROBE, "--db", str(db), "run"], env=env)
    try:
        child.wait_for("操作员登录".encode(), timeout=30)
        elapsed = time.monotonic() - start
        child.wait_quiet()
        child.send("\x11")  # Ctrl+Q
        _, status, usage = os.wait4(child.proc.pid, 0)
        child.proc.returncode = os.waitstatus_to_exitcode(status)
        rss_mb = usage.ru_maxrss / 1024
    finally:
        child.close()
    heavy = probe_out.read_text() if probe_out.exists() else "?"
    return elapsed, rss_mb, heavy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    times, rss, heavy = [], [], ""
    with tempfile.TemporaryDirectory() as tmp:
        db = prepare_store(Path(tmp))
        for i in range(args.runs):
            t, r, heavy = one_run(db, Path(tmp) / f"probe{i}.txt")
            times.append(t)
            rss.append(r)
    print(
        f"cold start to login screen: median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, {args.runs} runs)"
    )
    print(f"peak RSS of the TUI process: median {statistics.median(rss):.1f} MB")
    print(f"heavy modules imported by the time the app quit (after the login screen): {heavy or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
