"""`cardstation sync --daemon` stops within 2 s of SIGTERM even mid-upload at 64 kbit/s, and the
envelope in flight is left resumable (red-team finding: it kept running until the queue drained,
60 s and more). The gateway runs on both storage engines (tests/sync/conftest.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from offline import outbox
from sync.linksim import LinkSim
from tests.sync.helpers import RunningGateway, commit_apply, enrol_station, ssn_for, station_id_for


def test_sigterm_stops_the_daemon_within_2_s_and_the_blob_resumes(
    fresh_gateway: RunningGateway, tmp_path: Path
) -> None:
    gw = fresh_gateway
    sid = station_id_for(901)
    store = enrol_station(tmp_path, gw.gateway, gw.url, sid)
    for i in range(3):
        commit_apply(store, ssn_for(900 + i), photo=60_000)
    sim = LinkSim("127.0.0.1", gw.server.port, kbps=64).start()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), "CARDSTATION_LOG_DIR": str(tmp_path)}
    argv = [sys.executable, "-m", "cardstation.cli", "--db", str(store.path), "sync", "--daemon"]
    daemon = subprocess.Popen(
        [*argv, "--url", f"http://127.0.0.1:{sim.port}"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while sim.bytes_up < 30_000 and time.monotonic() < deadline:  # well inside the first blob
            time.sleep(0.1)
        assert sim.bytes_up >= 30_000
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(10)
        took = time.monotonic() - started
    finally:
        if daemon.poll() is None:
            daemon.kill()
        sim.stop()
    assert took < 2.0, took
    err = daemon.stderr.read().decode() if daemon.stderr else ""
    assert daemon.returncode == 0 and "Traceback" not in err and "已停止" in err, err
    # The gateway stores the bytes of a cut PATCH after it sees the disconnect, in its own
    # thread: under load that can come a moment after the daemon has exited.
    deadline = time.monotonic() + 10
    while True:
        held = gw.gateway.db.query(
            "SELECT envelope_id, received FROM blob_partials WHERE station_id = ?", (sid,)
        )
        if held or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert held and held[0]["received"] > 10_000  # what went up before the stop is kept
    assert outbox.status(store).pending >= 1  # nothing lost: the rest waits in the queue
    again = subprocess.run(
        [*argv[:-1], "--once", "--url", gw.url], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0, again.stderr
    st = outbox.status(store)
    assert st.pending == 0 and st.quarantined == 0 and gw.stored(held[0]["envelope_id"]) == 1
    assert "tampered" not in gw.stats() and "conflict" not in gw.stats()
