"""Long-running sync: on link-up, on a timer, and on demand; graceful on SIGTERM.

- link-up: while the link is not up, a cheap probe every `probe_interval_s`; the moment it
  answers, a full run starts;
- timer: a run every `interval_s` while up;
- on demand: SIGUSR1, or the setting `sync_requested_at` changed (the TUI in another process
  writes it; `request_sync(store)`);
- after a commit: the outbox's highest sequence number grew (a business was committed, in this
  process or any other on the same store) — a run `commit_delay_s` later, so a burst of
  businesses travels in one run and the operator's envelope leaves within seconds;
- failures back off (exponential with jitter, `sync.state`); an on-demand request overrides
  the backoff, a timer does not. State goes to the store's settings only when it changes;
- SIGTERM/SIGINT stop it within about a second even mid-upload (at 64 kbit/s a queue used to
  keep it for a minute and more): the request in flight is abandoned at its next 4 KB chunk,
  claimed rows return to the queue, and a blob's received bytes stay on the gateway as a
  partial the next run resumes from.
"""

from __future__ import annotations

import resource
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from offline.store import Store
from sync import state
from sync.engine import EngineConfig, SyncEngine, SyncReport
from sync.link import UP, LinkMonitor


@dataclass
class DaemonConfig:
    interval_s: float = 300.0
    probe_interval_s: float = 15.0
    tick_s: float = 0.5
    #: a run this long after the outbox grew (0 disables: the daemon then waits for its timer)
    commit_delay_s: float = 2.0


def outbox_head(store: Store) -> int:
    """The highest outbox sequence number: it grows with every committed business."""
    row = store.one("SELECT COALESCE(MAX(seq), 0) AS head FROM outbox")
    return int(row["head"]) if row is not None else 0


def request_sync(store: Store) -> None:
    """Ask a running daemon (any process) for a run now."""
    state.put_if_changed(store, {state.REQUESTED: f"{time.time():.6f}"})


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class SyncDaemon:
    def __init__(
        self,
        store: Store,
        *,
        url: str | None = None,
        config: DaemonConfig | None = None,
        engine_config: EngineConfig | None = None,
        on_report: Callable[[SyncReport], None] | None = None,
        engine: SyncEngine | None = None,
    ) -> None:
        self.store = store
        self.config = config or DaemonConfig()
        # The TUI passes the engine its sync screen uses, so the two never run at once in-process;
        # across processes the store's runner lease (`state.acquire_runner`) does the same.
        self.engine = engine or SyncEngine(store, url=url, config=engine_config)
        self.url = url or store.setting("sync_url") or ""
        self.monitor = LinkMonitor(self.url)
        self.on_report = on_report
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.runs = 0

    def install_signals(self) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.stop()

        def demand(signum: int, frame: FrameType | None) -> None:
            self.wake.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGUSR1, demand)

    def stop(self) -> None:
        """Stop within about a second, even mid-upload (the envelope in flight stays resumable)."""
        self.stop_event.set()
        self.wake.set()
        self.engine.cancel()

    def run_in_thread(self) -> Callable[[], None]:
        """Serve in a daemon thread (the TUI's auto-sync); returns stop(), which waits for the loop."""
        thread = threading.Thread(target=self.serve, name="auto-sync", daemon=True)
        thread.start()

        def stop() -> None:
            self.stop()
            thread.join(5)

        return stop

    def request(self) -> None:
        """A run now, from this process (the sync screen's S)."""
        self.wake.set()

    def _run(self, *, probed: bool = False) -> SyncReport:
        report = self.engine.run_once(probe=not probed)
        self.runs += 1
        if not report.skipped:  # another runner had the store: it says nothing about the link
            self.monitor.state = report.link_state
        if self.on_report is not None:
            self.on_report(report)
        return report

    def serve(self) -> None:
        """Loop until stopped; a run in progress is cancelled (`SyncEngine.cancel`)."""
        next_run = 0.0
        next_probe = 0.0
        requested = self.store.setting(state.REQUESTED, "")
        head = outbox_head(self.store)
        commit_due: float | None = None
        while not self.stop_event.is_set():
            now = time.monotonic()
            demanded = self.wake.is_set()
            self.wake.clear()
            current = self.store.setting(state.REQUESTED, "")
            if current != requested:
                requested, demanded = current, True
            if self.config.commit_delay_s > 0:
                grown = outbox_head(self.store)
                if grown != head:
                    head = grown
                    commit_due = commit_due or now + self.config.commit_delay_s
            if (
                commit_due is not None
                and now >= commit_due
                and self.monitor.state == UP
                and state.seconds_until_next_try(self.store) <= 0
            ):
                demanded, commit_due = True, None
            if demanded:
                commit_due = None
                if self._run().skipped:  # another runner had the store: try again shortly, not in 5 min
                    commit_due = time.monotonic() + max(1.0, self.config.commit_delay_s)
                next_run = time.monotonic() + self.config.interval_s
                continue
            if self.monitor.state != UP:
                if now >= next_probe:
                    probe, came_up = self.monitor.check()
                    next_probe = now + self.config.probe_interval_s
                    if not came_up:
                        state.put_if_changed(self.store, {state.LINK_STATE: probe.state})
                    else:  # link-up overrides the backoff: the reason to wait is gone
                        commit_due = None
                        self._run(probed=True)
                        next_run = time.monotonic() + self.config.interval_s
                        continue
            elif now >= next_run and state.seconds_until_next_try(self.store) <= 0:
                commit_due = None
                self._run()
                next_run = time.monotonic() + self.config.interval_s
                continue
            self.wake.wait(self.config.tick_s)
