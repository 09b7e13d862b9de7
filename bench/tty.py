"""Terminal bandwidth of the station TUI, in bytes written to a real pty (docs/benchmarks.md).

Runs the real app (`cardstation --db <prepared store> run`) as a child process on a pseudo
terminal of 80x24 with TERM=xterm-256color, reads every byte it writes, drives it by writing
keystrokes, and prints medians over several runs:

- first paint of every screen: login; home after logging in; each of the 18 service items
  (menu keys 1-9, A-I); F5 search, F8 sync, F10 alerts, F11 sessions, F12 door-to-door,
  Ctrl+R report, Ctrl+P palette, Ctrl+L lock — and the bytes of going back to home (Esc);
- frames: how many times a screen's top-left cell was written while it appeared (1 = the
  whole switch was one frame);
- bytes per typed character in a form field (the login user name: a CompactInput);
- bytes per Tab to the next field, per arrow move in the home menu;
- bytes per second while idle on the home screen.

In the same run a baseline built from stock Textual widgets (Header, two bordered Inputs, a
30-row DataTable, Footer; default theme) is measured the same way.

    .venv/bin/python bench/tty.py [--runs 3] [--idle 10] [--json] [--markdown]

"Quiet" = no output for 400 ms; a measurement is the bytes between a keystroke and quiet. A
screen's first paint waits for its first frame (a cold import may take a second), then quiet.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
QUIET_S = 0.4

BASELINE_APP = r"""
from textual.app import App
from textual.widgets import DataTable, Footer, Header, Input

class Baseline(App):
    BINDINGS = [("ctrl+q", "quit", "Quit"), ("f2", "bell", "Apply"), ("f8", "bell", "Sync")]

    def compose(self):
        yield Header()
        yield Input(placeholder="name", id="a")
        yield Input(placeholder="phone", id="b")
        yield DataTable()
        yield Footer()

    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("no", "name", "card", "state")
        for i in range(30):
            t.add_row(str(i), f"name {i}", f"L{i:08d}", "ok")
        self.query_one("#a").focus()

Baseline().run()
"""


class PtyChild:
    """A child process on a pty; a thread collects everything it writes, with timestamps."""

    def __init__(self, argv: list[str], *, env: dict[str, str], cols: int = 80, rows: int = 24) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.master = master
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
        )
        os.close(slave)
        self.chunks: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.chunks.append((time.monotonic(), data))

    def total(self) -> int:
        with self._lock:
            return sum(len(c) for _, c in self.chunks)

    def text(self) -> bytes:
        with self._lock:
            return b"".join(c for _, c in self.chunks)

    def last_output_at(self) -> float:
        with self._lock:
            return self.chunks[-1][0] if self.chunks else 0.0

    def wait_quiet(self, quiet: float = QUIET_S, timeout: float = 20.0) -> None:
        """Until nothing was written for `quiet` seconds (and something was written at all)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.last_output_at()
            if last and time.monotonic() - last >= quiet:
                return
            time.sleep(0.02)

    def wait_for(self, needle: bytes, timeout: float = 20.0) -> float:
        """Seconds until `needle` appears in the output."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if needle in self.text():
                return time.monotonic() - start
            time.sleep(0.01)
        raise TimeoutError(needle)

    def send(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def measure(self, keys: str) -> int:
        """Bytes written in response to `keys` (until quiet)."""
        self.wait_quiet()
        before = self.total()
        self.send(keys)
        time.sleep(0.05)
        self.wait_quiet()
        return self.total() - before

    def idle_rate(self, seconds: float) -> float:
        self.wait_quiet()
        before = self.total()
        time.sleep(seconds)
        return (self.total() - before) / seconds

    def close(self) -> None:
        self._stop = True
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        os.close(self.master)


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "NO_COLOR", "CARDSTATION"))}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24", LANG="C.UTF-8")
    env.pop("COLORTERM", None)
    return env


def prepare_store(directory: Path) -> Path:
    """A station with the demo operators (no persons: the shell's screens are what is measured)."""
    sys.path.insert(0, str(ROOT))
    from cardstation.demo_setup import create_station
    from offline.store import Store

    db = directory / "station.db"
    store = Store.open(db)
    create_station(store, datetime.now().astimezone())
    store.close()
    return db


SCREENS: tuple[tuple[str, str, str], ...] = (
    *((f"item {k}", k, "\x1b") for k in "123456789ABCDEFGHI"),
    ("F5 search", "\x1b[15~", "\x1b"),
    ("F8 sync", "\x1b[19~", "\x1b"),
    ("F10 alerts", "\x1b[21~", "\x1b"),
    ("F11 sessions", "\x1b[23~", "\x1b"),
    ("F12 door-to-door", "\x1b[24~", "\x1b"),
    ("Ctrl+R report", "\x12", "\x1b"),
    ("Ctrl+P palette", "\x10", "\x1b"),
    ("Ctrl+L lock", "\x0c", "demo-pass-1\r"),
)
"""(name, key that opens it from home, keys that go back to home)."""

TOP_LEFT = b"\x1b[1;1H"


def first_paint(child: PtyChild, keys: str) -> tuple[int, int]:
    """(bytes, frames) written in response to `keys`: until the screen's first frame, then quiet."""
    child.wait_quiet()
    before = child.total()
    child.send(keys)
    deadline = time.monotonic() + 15
    while TOP_LEFT not in child.text()[before:] and time.monotonic() < deadline:
        time.sleep(0.01)
    child.wait_quiet(quiet=0.5)
    data = child.text()[before:]
    return len(data), data.count(TOP_LEFT)


def measure_station(db: Path, idle: float) -> dict[str, float]:
    argv = [PYTHON, "-m", "cardstation.cli", "--db", str(db), "run"]
    env = child_env()
    env["CARDSTATION_CONFIG"] = str(db.parent / "none.toml")
    child = PtyChild(argv, env=env)
    try:
        child.wait_for("操作员登录".encode())
        child.wait_quiet()
        login_paint = child.total()
        per_char = [child.measure(ch) for ch in "wangxh"]
        tabs = [child.measure(k) for k in ("\t", "\x1b[Z", "\t", "\x1b[Z", "\t", "\x1b[Z")]
        # focus is back on the user name (after an even number of moves); go to the password.
        child.measure("\t")
        for ch in "demo-pass-1":
            child.send(ch)
        child.wait_quiet()
        before = child.total()
        child.send("\r")
        child.wait_for("业务菜单".encode())
        time.sleep(0.1)
        child.wait_quiet(quiet=0.8)
        home_paint = child.total() - before
        home_frames = child.text()[before:].count(TOP_LEFT)
        moves = [child.measure(k) for k in ("\x1b[B", "\x1b[B", "\x1b[A", "\x1b[A")]
        idle_rate = child.idle_rate(idle)
        result: dict[str, float] = {
            "login_first_paint": login_paint,
            "login_frames": child.text()[:login_paint].count(TOP_LEFT),
            "home_first_paint": home_paint,
            "home_frames": home_frames,
            "typed_char": statistics.median(per_char),
            "next_field": statistics.median(tabs),
            "menu_move": statistics.median(moves),
            "idle_bytes_per_s": idle_rate,
        }
        for name, key, back in SCREENS:
            paint, frames = first_paint(child, key)
            home, _ = first_paint(child, back)
            result[f"{name} | paint"] = paint
            result[f"{name} | frames"] = frames
            result[f"{name} | back"] = home
        return result
    finally:
        child.close()


def measure_baseline(idle: float) -> dict[str, float]:
    child = PtyChild([PYTHON, "-c", BASELINE_APP], env=child_env())
    try:
        child.wait_for(b"name 0", timeout=20)
        child.wait_quiet()
        paint = child.total()
        per_char = [child.measure(ch) for ch in "wangxh"]
        tabs = [child.measure(k) for k in ("\t", "\x1b[Z", "\t", "\x1b[Z", "\t", "\x1b[Z")]
        idle_rate = child.idle_rate(idle)
        return {
            "first_paint": paint,
            "typed_char": statistics.median(per_char),
            "next_field": statistics.median(tabs),
            "idle_bytes_per_s": idle_rate,
        }
    finally:
        child.close()


def medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def repeat(n: int, fn: Callable[[], dict[str, float]]) -> dict[str, float]:
    return medians([fn() for _ in range(n)])


def markdown_table(station: dict[str, float], baseline: dict[str, float]) -> str:
    """The docs/benchmarks.md table: per screen first paint, frames and way back; key costs."""
    rows = [
        "| screen (first paint) | bytes | frames | back to home (Esc) |",
        "|---|---:|---:|---:|",
        f"| login | {station['login_first_paint']:,.0f} | {station['login_frames']:.0f} | |",
        f"| home, after login | {station['home_first_paint']:,.0f} | {station['home_frames']:.0f} | |",
    ]
    for name, _, _ in SCREENS:
        rows.append(
            f"| {name} | {station[f'{name} | paint']:,.0f} | {station[f'{name} | frames']:.0f} "
            f"| {station[f'{name} | back']:,.0f} |"
        )
    rows += [
        "",
        "| per key | station app | stock baseline |",
        "|---|---:|---:|",
        f"| typed character (form field) | {station['typed_char']:.0f} | {baseline.get('typed_char', 0):.0f} |",
        f"| Tab to the next field | {station['next_field']:.0f} | {baseline.get('next_field', 0):.0f} |",
        f"| ↑/↓ in the home menu | {station['menu_move']:.0f} | — |",
        f"| idle, per second | {station['idle_bytes_per_s']:.0f} | {baseline.get('idle_bytes_per_s', 0):.0f} |",
        f"| first paint | | {baseline.get('first_paint', 0):,.0f} |",
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="idle seconds to measure")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--markdown", action="store_true", help="print the per-screen table as Markdown")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for i in range(args.runs):
            d = Path(tmp) / f"run{i}"
            d.mkdir()
            runs.append(measure_station(prepare_store(d), args.idle))
        station = medians(runs)
    baseline = {} if args.skip_baseline else repeat(args.runs, lambda: measure_baseline(args.idle))
    result = {
        "station": station,
        "baseline": baseline,
        "runs": args.runs,
        "size": "80x24",
        "term": "xterm-256color",
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    if args.markdown:
        print(markdown_table(station, baseline))
        return 0
    print(f"station app (median of {args.runs} runs, 80x24, xterm-256color), bytes:")
    for k, v in station.items():
        print(f"  {k:32s} {v:10.0f}")
    if baseline:
        print("stock-widget baseline:")
        for k, v in baseline.items():
            print(f"  {k:20s} {v:10.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
