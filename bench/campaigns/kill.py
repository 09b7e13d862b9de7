"""Kill campaign: SIGKILL the station at random points of real work; prove nothing is lost.

Why: a village station runs on old hardware where the power goes whenever it likes. The
store promises that a business the operator saw committed survives (WAL, synchronous=FULL,
one transaction per business), that the audit chain and the outbox sequence never break,
and that a chip write cut short is finished or undone from the write-intent journal
(`offline.card_journal`), never guessed. This campaign checks those promises the hard way.

Each kill point starts one or more child processes doing real work on one station store:

- ``business``: `apply_card` for invented persons (photo blobs included) interleaved with
  `report_temp_loss` / `lift_loss` on issued cards;
- ``card``: temporary-card issue (personalise) and recycle (erase) through the in-process
  emulator whose card file persists after every APDU (a card survives the process). Half of
  these kill points kill the worker *inside* the chip write, at a random APDU, i.e. between
  `card_journal.begin` and the business commit;
- ``sync``: a business worker plus `cardstation sync --once` against a gateway process.

A worker prints nothing to the operator; it appends the receipt number of every business
to an acknowledgement file, fsync-ed, only *after* the service returned (what the operator
saw on screen). The parent then SIGKILLs the children at a random moment and, as a
restarted station would, re-opens the store, re-inserts the card (`resolve_on_insert`) and
checks: integrity_check ok, audit chain verifies, outbox sequence gap-free with an envelope
for every business, every acknowledged receipt present exactly once, no journal entry left
pending, chip and stock record agree, no business finished twice from one journal entry.
At the end a final, unkilled sync must bring every business to the gateway exactly once.

Run the long form:  .venv/bin/python -m bench.campaigns.kill --points 200
The test suite runs the short form (tests/campaigns/test_kill.py, ~20 points).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

SERVICE_POINT = "43012100100100009"  # 长沙县 430121001 + institution 00100 + serial 009 (R-SEC-4)
ADMIN = ("kadmin", "campaign-admin-9", "欧阳娜娜")
OPERATOR = ("kop", "campaign-pass-9", "王小红")
FORMAL_CARDS = 6
TEMP_SERIAL = 7_700_001
MODES = ("business", "card", "sync")


# --------------------------------------------------------------------------- the station


@dataclass(frozen=True)
class Station:
    """Paths of one campaign station: store, gateway store, emulated card file, acknowledgements."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "station.db"

    @property
    def gateway_db(self) -> Path:
        return self.root / "gateway.db"

    @property
    def card(self) -> Path:
        return self.root / "card.json"

    @property
    def acks(self) -> Path:
        return self.root / "acks.txt"

    @property
    def temp_number(self) -> str:
        from devices.emulator.factory import card_number_for

        return card_number_for(TEMP_SERIAL)


def _now() -> datetime:
    return datetime.now().astimezone()


def operator_of(store: Any, username: str) -> Any:
    from offline.business import Operator

    row = store.one("SELECT id, username, real_name, role FROM operators WHERE username = ?", (username,))
    if row is None:
        raise LookupError(username)
    return Operator(int(row["id"]), str(row["username"]), str(row["real_name"]), str(row["role"]))


def context(store: Any, username: str = OPERATOR[0], card: Any = None) -> Any:
    """A ServiceContext for `username` with the station's real sealer."""
    from cardstation.sealing import station_sealer
    from cardstation.wiring import make_context
    from offline.station import station_info

    info = station_info(store)
    assert info is not None
    return make_context(store, info, operator_of(store, username), sealer=station_sealer(store), card=card)


def prepare(root: Path, gateway: Any) -> Station:
    """Initialise a Hunan station, enrol it with the running gateway, seed cards through the services."""
    from devices.emulator import EmulatedCard, make_card
    from offline.operators import insert_operator
    from offline.samples import sample_person
    from offline.services.applications import ApplicationInput, apply_card
    from offline.services.temp_cards import distribute, put_in_stock, sign_in_temp_cards
    from offline.station import init_station
    from offline.store import Store
    from sync.enrol import enrol

    st = Station(root)
    root.mkdir(parents=True, exist_ok=True)
    store = Store.open(st.db)
    now = _now()
    info = init_station(
        store,
        province="hunan",
        service_point=SERVICE_POINT,
        admin_username=ADMIN[0],
        admin_real_name=ADMIN[2],
        admin_password=ADMIN[1],
        now=now,
    )
    with store.write() as conn:
        insert_operator(
            conn,
            username=OPERATOR[0],
            real_name=OPERATOR[2],
            role="operator",
            password=OPERATOR[1],
            now=now,
            by_id=None,
        )
        insert_operator(
            conn,
            username="ksup",
            real_name="李志刚",
            role="supervisor",
            password="campaign-sup-9",
            now=now,
            by_id=None,
        )
    enrol(store, gateway.url, gateway.register(info.station_id))
    ctx = context(store)
    rng = random.Random(4242)
    # Persons with an issued formal card (the loss workers toggle them) and one temp-card holder.
    # Formal cards arrive from production; the campaign registers them as issued directly (the
    # issuance path has its own tests) so that the loss services have cards to work on.
    for i in range(FORMAL_CARDS + 1):
        person = sample_person(rng, province="hunan", age_range=(20, 70), today=now.date())
        result = apply_card(ctx, ApplicationInput(person, "local", "fast", person.bank or "中国农业银行"))
        if i == FORMAL_CARDS:
            with store.write() as conn:
                pid = conn.execute(
                    "SELECT person_id FROM businesses WHERE id = ?", (result.business_id,)
                ).fetchone()[0]
                store.set_setting(conn, "campaign.temp_holder", str(pid))
            continue
        from devices.emulator.factory import card_number_for

        with store.write() as conn:
            pid = conn.execute(
                "SELECT person_id FROM businesses WHERE id = ?", (result.business_id,)
            ).fetchone()[0]
            at = now.isoformat(timespec="seconds")
            conn.execute(
                "INSERT INTO cards(person_id, card_number, bank, status, issue_date, expiry_date, issued_at,"
                " created_at, updated_at) VALUES (?, ?, '中国农业银行', 'issued', '2025-01-01', '2035-01-01', ?, ?, ?)",
                (pid, card_number_for(7_000_000 + i), at, at, at),
            )
    sup = context(store, "ksup")
    sign_in_temp_cards(sup, [st.temp_number])
    distribute(sup, [st.temp_number])
    put_in_stock(sup, [st.temp_number])
    EmulatedCard.open(st.card, make_card(version=3, holder=None, serial=TEMP_SERIAL))
    st.acks.touch()
    store.close()
    return st


# --------------------------------------------------------------------------- the worker (child)


def _ack(path: Path, receipt_no: str) -> None:
    """Acknowledge one business the way the operator sees it: after the service returned."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (receipt_no + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_card(st: Station, die_after_apdus: int | None) -> Any:
    """The persisted emulated card; with `die_after_apdus` = n, this process SIGKILLs itself just
    before the n-th UPDATE RECORD reaches the card — always inside a journalled chip write (the
    reads that come first never count), so every such point tests the journal."""
    from devices.emulator import EmulatedCard

    card = EmulatedCard.open(st.card)
    if die_after_apdus is not None:
        process = card.process
        left = {"n": die_after_apdus}

        def dying(raw: bytes) -> bytes:
            if len(raw) > 1 and raw[1] == 0xDC:  # UPDATE RECORD: personalise, erase
                left["n"] -= 1
                if left["n"] <= 0:
                    os.kill(os.getpid(), signal.SIGKILL)
            return process(raw)

        card.process = dying  # type: ignore[method-assign]
    return card


def worker(st: Station, mode: str, seed: int, die_after_apdus: int | None = None) -> int:
    """Loop real businesses until killed (or `CAMPAIGN_MAX_ITER` iterations)."""
    from offline.errors import DomainError
    from offline.store import Store

    store = Store.open(st.db)
    limit = int(os.environ.get("CAMPAIGN_MAX_ITER", "100000"))
    for i in range(limit):
        try:
            if mode == "card":
                receipts = _card_step(st, store, die_after_apdus if i == 0 else None)
            else:
                receipts = _business_step(st, store, seed, i)
        except DomainError as exc:
            print(f"refused: {exc}", file=sys.stderr, flush=True)
            return 3
        for receipt in receipts:
            _ack(st.acks, receipt)
    return 0


def _business_step(st: Station, store: Any, seed: int, i: int) -> list[str]:
    from offline.samples import sample_person
    from offline.services.applications import ApplicationInput, apply_card
    from offline.services.losses import LiftLossInput, TempLossInput, lift_loss, report_temp_loss

    ctx = context(store)
    if i % 2 == 0:
        rng = random.Random(seed * 1_000_003 + i)
        person = sample_person(rng, province="hunan", age_range=(8, 80), today=_now().date())
        return [apply_card(ctx, ApplicationInput(person, "local", "fast", person.bank)).receipt_no]
    cards = store.query(
        "SELECT c.id, c.status, p.ssn FROM cards c JOIN persons p ON p.id = c.person_id"
        " WHERE c.status IN ('issued', 'temp_lost') ORDER BY c.id"
    )
    row = cards[(seed + i) % len(cards)]
    if row["status"] == "issued":
        return [report_temp_loss(ctx, TempLossInput(int(row["id"]), verbal=True)).receipt_no]
    return [lift_loss(ctx, LiftLossInput(int(row["id"]), str(row["ssn"]))).receipt_no]


def _card_step(st: Station, store: Any, die_after_apdus: int | None) -> list[str]:
    """Re-insert the card (resolve what a kill left), then issue or recycle the temporary card."""
    from devices import open_emulated_session
    from offline.services.temp_cards import (
        TempIssueInput,
        TempRecycleInput,
        issue_temp_card,
        recycle_temp_card,
    )

    session = open_emulated_session(_open_card(st, die_after_apdus))
    ctx = context(store, card=session)
    receipts = resolve_card(ctx, session)
    row = store.one("SELECT state FROM temp_cards WHERE card_number = ?", (st.temp_number,))
    if row["state"] in ("issued", "personalised"):
        receipts.append(recycle_temp_card(ctx, TempRecycleInput(st.temp_number, body_ok=True)).receipt_no)
    else:
        pid = int(store.setting("campaign.temp_holder") or 0)
        ssn = str(store.one("SELECT ssn FROM persons WHERE id = ?", (pid,))["ssn"])
        receipts.append(
            issue_temp_card(ctx, TempIssueInput(st.temp_number, pid, ssn, "passed", True)).receipt_no
        )
    return receipts


def resolve_card(ctx: Any, session: Any) -> list[str]:
    """`resolve_on_insert` for the inserted card; receipts of businesses it finished."""
    from offline import card_journal

    before = {e.id for e in card_journal.pending(ctx.store)}
    card_journal.resolve_on_insert(ctx, session.read_card())
    receipts = []
    for jid in before:
        entry = card_journal.get(ctx.store, jid)
        if entry is not None and entry.business_id is not None:
            row = ctx.store.one("SELECT receipt_no FROM businesses WHERE id = ?", (entry.business_id,))
            receipts.append(str(row["receipt_no"]))
    return receipts


# --------------------------------------------------------------------------- checks (the restart)


@dataclass
class Figures:
    """What the campaign reports."""

    points: int = 0
    by_mode: Counter[str] = field(default_factory=Counter)
    landed: int = 0  # children still working when the SIGKILL arrived
    in_chip_write: int = 0  # kill points that left a pending journal entry
    resolutions: Counter[str] = field(default_factory=Counter)
    acked: int = 0
    businesses: int = 0
    gateway_businesses: int = 0
    lost: int = 0
    duplicated: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "kill_points": self.points,
            "by_mode": dict(self.by_mode),
            "kills_landed_mid_work": self.landed,
            "kills_inside_chip_write": self.in_chip_write,
            "journal_resolutions": dict(self.resolutions),
            "acknowledged_businesses": self.acked,
            "local_businesses": self.businesses,
            "gateway_businesses": self.gateway_businesses,
            "data_lost": self.lost,
            "duplicated": self.duplicated,
            "failures": len(self.failures),
            "failure_details": self.failures[:20],
            "seconds": round(self.seconds, 1),
        }


def acked_receipts(st: Station) -> list[str]:
    return [line for line in st.acks.read_text(encoding="ascii").splitlines() if len(line) == 31]


def check_station(st: Station, figures: Figures, label: str) -> None:
    """Restart checks: re-open, re-insert the card, verify every invariant; failures are recorded."""
    from devices import open_emulated_session
    from offline import audit, card_journal
    from offline.store import Store

    def fail(text: str) -> None:
        figures.failures.append(f"{label}: {text}")

    store = Store.open(st.db)
    try:
        if not store.integrity_ok():
            fail("PRAGMA integrity_check is not ok")
        report = audit.verify(store.connection())
        if not report.ok:
            fail(f"audit chain broken at {report.first_bad_seq}: {report.reason}")
        seqs = [int(r[0]) for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
        if seqs != list(range(1, len(seqs) + 1)):
            fail("outbox sequence has a gap")
        orphan = store.query(
            "SELECT b.receipt_no FROM businesses b WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.business_id = b.id AND o.kind = 'business')"
        )
        if orphan:
            fail(f"{len(orphan)} business(es) without an outbox envelope")
        pending = card_journal.pending(store)
        if pending:
            figures.in_chip_write += 1
            session = open_emulated_session(_open_card(st, None))
            ctx = context(store, card=session)
            for line in card_journal.resolve_on_insert(ctx, session.read_card()):
                figures.resolutions[_resolution_kind(line)] += 1
            if card_journal.pending(store):
                fail("journal entry still pending after re-inserting the card")
        _check_card_agrees(st, store, fail)
        receipts = {str(r[0]) for r in store.query("SELECT receipt_no FROM businesses")}
        acked = acked_receipts(st)
        missing = [r for r in acked if r not in receipts]
        if missing:
            figures.lost += len(missing)
            fail(f"acknowledged business(es) missing: {missing[:3]}")
        dup_acks = [r for r, n in Counter(acked).items() if n > 1]
        dup_journal = store.query(
            "SELECT json_extract(details, '$.journal_id') AS j, COUNT(*) AS n FROM businesses"
            " WHERE j IS NOT NULL GROUP BY j HAVING n > 1"
        )
        dup_apply = store.query("SELECT person_id FROM applications GROUP BY person_id HAVING COUNT(*) > 1")
        if dup_acks or dup_journal or dup_apply:
            figures.duplicated += len(dup_acks) + len(dup_journal) + len(dup_apply)
            fail("a business was recorded twice")
    finally:
        store.close()


def _resolution_kind(line: str) -> str:
    for needle, kind in (
        ("补办业务", "finished"),
        ("已办结", "already_done"),
        ("擦除恢复为空白卡", "erased"),
        ("未写入卡片", "untouched"),
    ):
        if needle in line:
            return kind
    return "other: " + line[:40]


def _check_card_agrees(st: Station, store: Any, fail: Any) -> None:
    """The stock record and the chip agree: issued ⇔ the holder on the chip, in stock ⇔ blank."""
    from devices import open_emulated_session
    from devices.emulator import EmulatedCard

    chip = open_emulated_session(EmulatedCard.open(st.card)).read_card()
    row = store.one("SELECT state, person_id FROM temp_cards WHERE card_number = ?", (st.temp_number,))
    if row["state"] == "issued":
        ssn = store.one("SELECT ssn FROM persons WHERE id = ?", (row["person_id"],))["ssn"]
        if chip.holder is None or chip.holder.ssn != ssn:
            fail("temporary card recorded as issued but the chip does not hold its holder")
    elif row["state"] == "in_stock":
        if chip.holder is not None or chip.issue_date:
            fail("temporary card recorded in stock but the chip is not blank")
    else:
        fail(f"temporary card left in state {row['state']}")


def gateway_receipts(st: Station) -> Counter[str]:
    """Receipt numbers of the business envelopes the gateway stored (read-only)."""
    conn = sqlite3.connect(f"file:{st.gateway_db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT payload FROM envelopes WHERE kind = 'business'").fetchall()
    finally:
        conn.close()
    return Counter(str(json.loads(bytes(r[0]))["receipt_no"]) for r in rows)


def final_sync(st: Station, figures: Figures) -> None:
    """Sync (unkilled) until nothing is pending; every business at the gateway exactly once."""
    from offline import outbox
    from offline.store import Store

    for _ in range(40):
        run_cli(st, "sync", "--once", timeout=300)
        store = Store.open(st.db)
        status = outbox.status(store)
        store.close()
        if status.pending == 0:
            break
    else:
        figures.failures.append("final sync: envelopes still pending after 40 runs")
    store = Store.open(st.db)
    local = [str(r[0]) for r in store.query("SELECT receipt_no FROM businesses")]
    status = outbox.status(store)
    store.close()
    if status.quarantined or status.conflicts:
        figures.failures.append(f"final sync: {status.quarantined} quarantined, {status.conflicts} conflicts")
    at_gateway = gateway_receipts(st)
    figures.businesses, figures.gateway_businesses = len(local), sum(at_gateway.values())
    missing = [r for r in local if at_gateway[r] == 0]
    twice = [r for r, n in at_gateway.items() if n > 1]
    acked_missing = [r for r in acked_receipts(st) if at_gateway[r] == 0]
    if missing or acked_missing:
        figures.lost += len(set(missing) | set(acked_missing))
        figures.failures.append(f"final sync: {len(missing)} business(es) never reached the gateway")
    if twice:
        figures.duplicated += len(twice)
        figures.failures.append(f"final sync: {len(twice)} business(es) stored twice at the gateway")
    figures.acked = len(acked_receipts(st))


# --------------------------------------------------------------------------- the parent


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]


def run_cli(st: Station, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_argv("-m", "cardstation.cli", "--db", str(st.db), *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def spawn_worker(st: Station, mode: str, seed: int, die_after: int | None) -> subprocess.Popen[bytes]:
    argv = python_argv(
        "-m", "bench.campaigns.kill", "worker", "--dir", str(st.root), "--mode", mode, "--seed", str(seed)
    )
    if die_after is not None:
        argv += ["--die-after-apdus", str(die_after)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=_repo_root())


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def kill_point(st: Station, k: int, mode: str, rng: random.Random, figures: Figures) -> None:
    """One kill point: start the children, SIGKILL them at a random moment, run the restart checks."""
    # Every other card point dies inside the chip write (at a random UPDATE RECORD); the others
    # are killed at a random moment like the rest.
    die_after = rng.randint(1, 12) if mode == "card" and (k // len(MODES)) % 2 == 0 else None
    children = [spawn_worker(st, "card" if mode == "card" else "business", 1000 + k, die_after)]
    if mode == "sync":
        children.append(
            subprocess.Popen(
                python_argv("-m", "cardstation.cli", "--db", str(st.db), "sync", "--once"),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=_repo_root(),
            )
        )
    delay = rng.uniform(0.5, 2.5) if die_after is None else 6.0
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and any(c.poll() is None for c in children):
        time.sleep(0.02)
    alive = [c for c in children if c.poll() is None]
    if alive or die_after is not None:
        figures.landed += 1
    for c in alive:
        c.send_signal(signal.SIGKILL)
    for c in children:
        c.wait(30)
        err = c.stderr.read().decode("utf-8", "replace") if c.stderr else ""
        if c.returncode not in (0, -signal.SIGKILL) and not (mode == "sync" and c is not children[0]):
            figures.failures.append(f"point {k} ({mode}): child exited {c.returncode}: {err[-400:]}")
    figures.points += 1
    figures.by_mode[mode] += 1
    check_station(st, figures, f"point {k} ({mode})")


def run(points: int, *, seed: int = 1, root: Path | None = None, progress: bool = False) -> Figures:
    """The whole campaign in `root` (a fresh temporary directory by default)."""
    from cardstation.demo_setup import Gateway

    started = time.monotonic()
    figures = Figures()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="kill-campaign-") as tmp:
        base = root or Path(tmp)
        gateway = Gateway(base / "gateway.db")
        gateway.start()
        try:
            st = prepare(base, gateway)
            for k in range(points):
                mode = MODES[k % len(MODES)]
                kill_point(st, k, mode, rng, figures)
                if progress and (k + 1) % 10 == 0:
                    print(f"  {k + 1}/{points} kill points, failures {len(figures.failures)}", flush=True)
            final_sync(st, figures)
        finally:
            gateway.stop()
    figures.seconds = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Kill campaign (SIGKILL during businesses, card writes, sync)"
    )
    sub = parser.add_subparsers(dest="command")
    r = sub.add_parser("run")
    r.add_argument("--points", type=int, default=200)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--dir", help="keep the campaign station here (default: a temporary directory)")
    w = sub.add_parser("worker")
    w.add_argument("--dir", required=True)
    w.add_argument("--mode", choices=("business", "card"), required=True)
    w.add_argument("--seed", type=int, required=True)
    w.add_argument("--die-after-apdus", type=int)
    args = parser.parse_args(argv)
    if args.command == "worker":
        return worker(Station(Path(args.dir)), args.mode, args.seed, args.die_after_apdus)
    points = getattr(args, "points", 200)
    figures = run(
        points,
        seed=getattr(args, "seed", 1),
        root=Path(args.dir) if getattr(args, "dir", None) else None,
        progress=True,
    )
    print(json.dumps(figures.to_dict(), ensure_ascii=False, indent=2))
    return 0 if not figures.failures and not figures.lost else 1


if __name__ == "__main__":
    sys.exit(main())
