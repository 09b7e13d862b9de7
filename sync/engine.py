"""The sync engine: one run = probe, drain the outbox, refresh keys if asked, pull the downlink.

`SyncEngine.run_once()` is what `cardstation sync --once`, the daemon and the TUI's worker
thread call (no Textual here: progress goes to an optional callback). Upload and downlink
are independent: a failure of one never skips the other (MOSIP PR #1104).

Per envelope: acked/duplicate → `outbox.mark_acked` with the signed acknowledgement; conflict →
conflict state for a person; permanent rejection → quarantine with its reason code (never
blocks the others); wrong/expired server key → quarantine, refresh the pinned key set from the
gateway (signed), re-seal and resend automatically. Batch-wide failures (link down, portal,
5xx, unknown or revoked station, bad acknowledgement) stop the run, release the leases and
back off (exponential, jitter, recorded in settings: never silent).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from offline import outbox
from offline.outbox import OutboxEntry
from offline.store import Store
from sync import messages, state
from sync.client import GatewayClient, LinkError, UploadResult, budget_seconds
from sync.keys import (
    KeySetError,
    NotEnrolled,
    StationIdentity,
    downlink_key,
    load_identity,
    pinned_suite,
    sealer_for,
    update_server_keys,
)
from sync.wire import Reason, UploadStatus

#: Envelopes larger than this travel alone through the resumable blob path.
BLOB_PATH_MIN = 8 * 1024
#: After cancel(), how long a run waits for its lanes before leaving them behind.
CANCEL_GRACE_S = 0.8
PERMANENT = {"tampered", "malformed", "cleartext", "replayed"}
KEY_CODES = {"wrong_key_id", "expired_key"}
STATION_CODES = {Reason.UNKNOWN_STATION, Reason.REVOKED_STATION, Reason.RETIRED_KEY}

Progress = Callable[[str, int, int], None]


@dataclass
class SyncReport:
    """What one run did (the CLI prints it; `--json` dumps `to_dict()`)."""

    link_state: str = "unknown"
    sent: int = 0
    acked: int = 0
    duplicates: int = 0
    quarantined: int = 0
    conflicts: int = 0
    resealed: int = 0
    renumbered: int = 0  # unsent envelopes moved above the centre's numbering (a restored store)
    downlink_applied: int = 0
    downlink_seen: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: str = ""  # 'busy' when another runner held the store
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped

    def error(self, code: str, detail: str = "") -> None:
        self.errors.append({"code": code, "message": messages.reason(code), "detail": detail})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text_zh(self) -> str:
        line = messages.REPORT_LINE.format(
            sent=self.sent,
            acked=self.acked,
            quarantined=self.quarantined,
            conflicts=self.conflicts,
            applied=self.downlink_applied,
        )
        if self.renumbered:
            line += "\n" + messages.REPORT_RENUMBERED.format(n=self.renumbered)
        if self.errors:
            line += "\n" + messages.REPORT_ERRORS.format(errors="；".join(e["message"] for e in self.errors))
        return line


@dataclass
class EngineConfig:
    lanes: int = 2  # parallel uploads: one lane's round trip overlaps the other's transfer
    batch_count: int = 20
    #: a photo (~30 KB sealed) and its business envelope travel in one claim, two of each: the
    #: business envelopes of a claim share one POST (one request header and round trip less)
    batch_bytes: int = 64 * 1024
    backoff: state.Backoff = field(default_factory=state.Backoff)
    max_run_seconds: float = 600.0
    #: a lane that loses its connection reconnects this many times in the same run before the
    #: run stops and backs off: field drops are mostly short, and a whole new run (probe,
    #: downlink, daemon wake-up) costs several round trips more than a reconnect (bench/sync.py)
    network_retries: int = 3
    retry_pause_s: float = 0.5


class _Stop(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


class SyncEngine:
    """Drains one store's outbox to one gateway. Thread-safe: one run at a time per store."""

    def __init__(
        self,
        store: Store,
        *,
        url: str | None = None,
        config: EngineConfig | None = None,
        on_progress: Progress | None = None,
        client_factory: Callable[..., GatewayClient] | None = None,
    ) -> None:
        self.store = store
        self.url = url
        self.config = config or EngineConfig()
        self.on_progress = on_progress
        self._client_factory = client_factory or GatewayClient
        self._lock = threading.Lock()
        self._token = secrets.token_hex(4)
        #: `cancel()` ends a run within about a second: no new batch is claimed, the request in
        #: flight stops at its next chunk and its connection is closed; claimed rows go back
        #: to the queue and a blob's partial stays on the gateway for the next run to resume.
        self._cancel = threading.Event()
        self._client: GatewayClient | None = None
        #: per blob, the claims by this engine that ended before its PATCH began (a drop cut an
        #: earlier blob of the same claim): `attempts` counts those too, and without them a
        #: blob never sent would cost a HEAD round trip to learn it has no partial.
        self._unsent: Counter[str] = Counter()

    def cancel(self) -> None:
        """Stop the current run soon (any thread, or a signal handler)."""
        self._cancel.set()
        client = self._client
        if client is not None:
            client.abort()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ------------------------------------------------------------------ entry point

    def run_once(self, *, probe: bool = True) -> SyncReport:
        """One full run. `probe=False` when the caller has just probed the link itself (the daemon)."""
        report = SyncReport()
        started = time.monotonic()
        if not self._lock.acquire(blocking=False):
            report.skipped = Reason.BUSY
            return report
        try:
            if not state.acquire_runner(
                self.store, hold_seconds=self.config.max_run_seconds + 120, token=self._token
            ):
                report.skipped = Reason.BUSY
                return report
            try:
                self._run(report, probe)
            finally:
                state.release_runner(self.store, token=self._token)
        finally:
            self._lock.release()
            report.seconds = round(time.monotonic() - started, 3)
        return report

    def _run(self, report: SyncReport, probe: bool) -> None:
        try:
            ident = load_identity(self.store)
            dl_key = downlink_key(self.store).public_key
        except NotEnrolled as exc:
            report.error("not_enrolled", str(exc))
            return
        url = self.url or self.store.setting("sync_url")
        if not url:
            report.error("not_enrolled", messages.NO_URL)
            return
        client = self._client_factory(url, identity=ident, downlink_public_key=dl_key)
        self._client = client
        if self._cancel.is_set():
            client.cancel.set()
        try:
            self._progress("probe", 0, 1)
            try:
                if probe:
                    client.probe()
            except LinkError as exc:
                link = "portal" if exc.code == Reason.PORTAL else "down"
                report.link_state = link
                report.error(exc.code, exc.detail)
                state.record_failure(self.store, exc.code, exc.detail, self.config.backoff, link_state=link)
                return
            report.link_state = "up"
            upload_error = self._upload(client, ident, report)
            download_error = None if self._cancel.is_set() else self._download(client, ident, dl_key, report)
            if upload_error is not None:
                report.error(upload_error.code, upload_error.detail)
            failure = upload_error or download_error
            if self._cancel.is_set():
                return  # asked to stop: neither a failure of the link nor a success
            if failure is not None:
                link = (
                    "refused"
                    if failure.code in STATION_CODES
                    else "portal"
                    if failure.code == Reason.PORTAL
                    else "down"
                    if failure.code in (Reason.NETWORK, Reason.TIMEOUT)
                    else "up"
                )
                report.link_state = link
                state.record_failure(
                    self.store, failure.code, failure.detail, self.config.backoff, link_state=link
                )
            else:
                state.record_success(self.store)
        finally:
            self._client = None
            report.bytes_up, report.bytes_down = client.bytes_up, client.bytes_down
            client.close()

    def _join_lanes(self, threads: list[threading.Thread]) -> bool:
        """Wait for the lanes; after `cancel()` at most CANCEL_GRACE_S more. False: gave up.

        A lane blocked reading an answer cannot be interrupted from here (closing a socket does
        not wake a blocked recv); it is a daemon thread and dies with the process.
        """
        while any(t.is_alive() for t in threads):
            if self._cancel.is_set():
                until = time.monotonic() + CANCEL_GRACE_S
                for t in threads:
                    t.join(max(0.0, until - time.monotonic()))
                return not any(t.is_alive() for t in threads)
            for t in threads:
                t.join(0.2)
        return True

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(stage, done, total)

    # ------------------------------------------------------------------ upload

    def _upload(self, client: GatewayClient, ident: StationIdentity, report: SyncReport) -> _Stop | None:
        deadline = time.monotonic() + self.config.max_run_seconds
        total = outbox.status(self.store).pending
        stop = threading.Event()
        failures: list[_Stop] = []
        lock = threading.Lock()
        key_refresh_done = False
        in_flight: set[str] = set()

        def lane(index: int) -> None:
            retries = 0
            while not stop.is_set() and not self._cancel.is_set() and time.monotonic() < deadline:
                batch = outbox.claim_batch(
                    self.store,
                    max_count=self.config.batch_count,
                    max_bytes=self.config.batch_bytes,
                    lease_seconds=int(budget_seconds(self.config.batch_bytes * 2)),
                )
                if not batch:
                    return
                with lock:
                    in_flight.update(e.envelope_id for e in batch)
                try:
                    self._send(client, batch, report, lock, small_first=index % 2 == 1)
                    retries = 0
                except _Stop as exc:
                    if exc.code in (Reason.NETWORK, Reason.TIMEOUT) and retries < self.config.network_retries:
                        retries += 1
                        outbox.release(self.store, [e.envelope_id for e in batch])
                        if retries > 1:  # the first reconnect at once: a drop is usually over by then
                            stop.wait(self.config.retry_pause_s)
                        continue
                    with lock:
                        failures.append(exc)
                    stop.set()
                    return
                finally:
                    left = [e.envelope_id for e in batch]
                    outbox.release(self.store, left)  # only those still 'sending' (not answered)
                    with lock:
                        in_flight.difference_update(left)
                self._progress("upload", report.acked + report.quarantined + report.conflicts, total)

        for attempt in range(2):
            threads = [
                threading.Thread(target=lane, args=(i,), name=f"sync-lane-{i}", daemon=True)
                for i in range(max(1, self.config.lanes))
            ]
            for t in threads:
                t.start()
            if not self._join_lanes(threads):  # cancelled and a lane is stuck in a read: leave it
                with lock:
                    abandoned = list(in_flight)
                outbox.release(self.store, abandoned)
                return _Stop("cancelled", "stopping")
            if failures or attempt == 1 or key_refresh_done or self._cancel.is_set():
                break
            if not self._refresh_keys_and_reseal(client, ident, report):
                break
            key_refresh_done = True
        return failures[0] if failures else None

    def _send(
        self,
        client: GatewayClient,
        batch: list[OutboxEntry],
        report: SyncReport,
        lock: threading.Lock,
        *,
        small_first: bool = False,
    ) -> None:
        """One claim: its blobs one PATCH each, its small envelopes in one POST.

        `small_first` (odd lanes): the POST goes before the blobs. Two lanes doing the same
        steps at the same moment share the link evenly, finish together and then wait for their
        answers together, leaving the link idle for a round trip each time; starting the claims
        in opposite order keeps one lane transferring while the other waits (docs/benchmarks.md).
        """
        small = [e for e in batch if e.size <= BLOB_PATH_MIN]
        large = [e for e in batch if e.size > BLOB_PATH_MIN]
        if small_first:
            self._send_small(client, small, report, lock)
        for i, entry in enumerate(large):
            eid = entry.envelope_id
            try:
                # `attempts` as read before this claim: more claims than those that never reached
                # this blob's PATCH mean an earlier try may have left a partial: ask its offset
                result = client.upload_blob(entry, resume=entry.attempts > self._unsent[eid])
            except LinkError as exc:
                with lock:
                    self._unsent.update(e.envelope_id for e in large[i + 1 :])
                raise _Stop(exc.code, exc.detail) from exc
            with lock:
                report.sent += 1
                self._unsent.pop(eid, None)
            self._record(result, report, lock, client)
        if not small_first:
            self._send_small(client, small, report, lock)

    def _send_small(
        self, client: GatewayClient, small: list[OutboxEntry], report: SyncReport, lock: threading.Lock
    ) -> None:
        if not small:
            return
        try:
            results = client.upload_batch(small)
        except LinkError as exc:
            raise _Stop(exc.code, exc.detail) from exc
        with lock:
            report.sent += len(small)
        for result in results:
            self._record(result, report, lock, client)

    def _record(
        self, result: UploadResult, report: SyncReport, lock: threading.Lock, client: GatewayClient
    ) -> None:
        eid = result.envelope_id
        if result.status in (UploadStatus.ACKED, UploadStatus.DUPLICATE):
            outbox.mark_acked(self.store, eid, result.ack)
            with lock:
                report.acked += 1
                report.duplicates += result.status == UploadStatus.DUPLICATE
        elif result.status == UploadStatus.CONFLICT:
            outbox.quarantine(self.store, eid, "conflict", messages.reason("conflict"), conflict=True)
            with lock:
                report.conflicts += 1
        elif result.code in STATION_CODES:
            raise _Stop(result.code, eid)
        elif result.code == Reason.REPLAYED and result.seq_floor and client.identity is not None:
            # A store restored from a backup numbers anew from where its copy stopped: the centre
            # already holds those numbers (with the lost businesses). Continue above them, with the
            # same envelope ids and content, instead of quarantining committed work.
            moved = outbox.renumber_above(
                self.store,
                result.seq_floor,
                sealer_for(self.store),
                station_id=client.identity.station_id,
                envelope_id=eid,
            )
            if not moved:
                outbox.quarantine(self.store, eid, result.code, messages.reason(result.code))
            with lock:
                report.renumbered += moved
                report.quarantined += not moved
        else:
            code = result.code if result.code in PERMANENT | KEY_CODES else "malformed"
            outbox.quarantine(self.store, eid, code, messages.reason(code))
            with lock:
                report.quarantined += 1

    def _refresh_keys_and_reseal(
        self, client: GatewayClient, ident: StationIdentity, report: SyncReport
    ) -> bool:
        """Fix-and-resend for key problems: fetch the signed key set, re-seal, back to pending."""
        stuck = [
            e
            for e in outbox.entries(self.store, states=(outbox.QUARANTINED,), limit=100_000)
            if e.reason_code in KEY_CODES
        ]
        if not stuck:
            return False
        try:
            update_server_keys(self.store, client.key_set(pinned_suite(self.store)))
        except (LinkError, KeySetError, KeyError, ValueError) as exc:
            report.error("keys_refresh_failed", str(exc))
            return False
        sealer = sealer_for(self.store)
        for e in stuck:
            outbox.resend(self.store, e.envelope_id, sealer, station_id=ident.station_id)
            report.resealed += 1
            report.quarantined -= 1
        return True

    # ------------------------------------------------------------------ downlink

    def _download(
        self, client: GatewayClient, ident: StationIdentity, dl_key: bytes, report: SyncReport
    ) -> _Stop | None:
        from sync import roster
        from sync.downlink import DownlinkRejected, pull

        try:
            if roster.pending(self.store):  # the area roster is still owed since enrolment
                roster.download_roster(self.store, client=client)
        except LinkError as exc:
            report.error(exc.code, exc.detail)
            return _Stop(exc.code, exc.detail)
        except roster.RosterError as exc:
            report.error("roster", str(exc))
        try:
            result = pull(self.store, client, station_id=ident.station_id, downlink_public_key=dl_key)
        except LinkError as exc:
            report.error(exc.code, exc.detail)
            return _Stop(exc.code, exc.detail)
        except DownlinkRejected as exc:
            report.error("downlink_signature", str(exc))
            return _Stop("downlink_signature", str(exc))
        report.downlink_applied += result.applied
        report.downlink_seen += result.seen
        return None


def resend_quarantined(store: Store, envelope_ids: list[str] | None = None) -> int:
    """'Fix and resend' by a person: re-seal with the current keys and queue again."""
    ident = load_identity(store)
    sealer = sealer_for(store)
    chosen = outbox.entries(store, states=(outbox.QUARANTINED, outbox.CONFLICT), limit=100_000)
    n = 0
    for e in chosen:
        if envelope_ids is None or e.envelope_id in envelope_ids:
            outbox.resend(store, e.envelope_id, sealer, station_id=ident.station_id)
            n += 1
    return n
