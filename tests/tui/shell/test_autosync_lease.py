"""The TUI's auto-sync runner and `cardstation sync --daemon` drain one store at the same time
against a real gateway process: every envelope arrives exactly once (the gateway counts a second
upload of an envelope id as a 'duplicate' event) and none is left behind."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from cardstation import demo_setup as ds
from cardstation.commands.run import LazySyncEngine, auto_sync_for
from offline import outbox
from offline.store import Store
from tests.sync.helpers import commit_apply, ssn_for


def _gateway_events(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT code, COUNT(*) FROM events GROUP BY code").fetchall()
    finally:
        conn.close()
    return {str(code): int(n) for code, n in rows}


def test_tui_runner_and_daemon_never_upload_the_same_envelope(tmp_path: Path) -> None:
    gateway = ds.Gateway(tmp_path / "gateway.db")
    gateway.start()
    daemon: subprocess.Popen[str] | None = None
    handle: Any = None
    try:
        db = tmp_path / "station.db"
        store = Store.open(db)
        info = ds.create_station(store, datetime.now().astimezone())
        ds.enrol_station(store, gateway, info.station_id, roster=False)
        for i in range(40):
            commit_apply(store, ssn_for(400 + i))
        daemon = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cardstation.cli",
                "--db",
                str(db),
                "sync",
                "--daemon",
                "--json",
                "--interval",
                "1",
                "--probe-interval",
                "0.2",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        reports: list[Any] = []
        lazy = LazySyncEngine(store, None)
        handle = auto_sync_for(lazy, interval_s=1.0, probe_s=0.2)(reports.append, lambda *_: None)
        assert handle is not None

        def more() -> None:  # businesses keep being committed while both drain
            for i in range(40):
                commit_apply(store, ssn_for(500 + i))
                time.sleep(0.05)

        writer = threading.Thread(target=more)
        writer.start()
        writer.join(60)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            st = outbox.status(store)
            if st.acked == 80 and st.pending == 0:
                break
            time.sleep(0.2)
        st = outbox.status(store)
        assert (st.acked, st.pending, st.quarantined, st.conflicts) == (80, 0, 0, 0)
        handle.stop()
        handle = None
        daemon.terminate()
        out, _ = daemon.communicate(timeout=15)
        daemon_sent = sum(
            json.loads(line).get("sent", 0) for line in out.splitlines() if line.startswith("{")
        )
        tui_sent = sum(r.sent for r in reports)
        events = _gateway_events(tmp_path / "gateway.db")
        assert events.get("duplicate", 0) == 0, events
        # the envelopes went up once in total, shared between the two runners (25/55 in one run)
        assert daemon_sent + tui_sent == 80, (daemon_sent, tui_sent)
        store.close()
    finally:
        if handle is not None:
            handle.stop()
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait(5)
        gateway.stop()
