"""Fault campaign: the reader, pcscd, the gateway, the disk and the clock fail at the worst moment.

Why: a station's failures are rarely clean. A card is pulled while its chip is half written,
pcscd is restarted by the OS mid-session, the provincial gateway restarts in the middle of a
batch, the disk of an old thin client fills up, the clock of a PC without a battery jumps a
day back. Each case here must end in a clear Chinese message for the operator and a
consistent store: no partial business, audit chain intact, outbox not wedged.

Cases (each a function returning a `FaultResult`):

- `reader_removed`: the emulated card vanishes after every possible number of APDUs during
  temporary-card issue (personalise), recycle (erase) and a PIN change (R-TMP-2/3, R-PIN-4);
  after re-insertion the write-intent journal resolves it (R-TMP-5).
- `pcscd` (subprocess, real stack): card removed mid-write through pcscd/vpcd, and pcscd
  killed and restarted mid-session (`python -m bench.campaigns.faults pcsc`).
- `gateway_restart`: the gateway process is SIGKILLed while `cardstation sync --once` is
  uploading, then restarted on the same store and port; every business arrives exactly once.
- `disk_full`: the store on a small tmpfs; the business ends in `StoreError('disk_full')` with
  a Chinese message and writes nothing; the province's disk floor (R-FRZ) refuses earlier.
- `clock_back`: the clock goes back a day after businesses and a crashed upload: receipt
  numbers stay unique, the audit chain verifies, leased envelopes are not wedged for a day.

Run the long form:  .venv/bin/python -m bench.campaigns.faults [--cases N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

SERVICE_POINT = "43012100100100008"
STATION_ID = SERVICE_POINT + "01"


@dataclass
class FaultResult:
    """One fault kind: cases tried, failures (with what went wrong), messages the operator saw."""

    name: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    messages: set[str] = field(default_factory=set)
    lost: int = 0

    def fail(self, text: str) -> None:
        self.failures.append(text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fault": self.name,
            "cases": self.cases,
            "failures": len(self.failures),
            "failure_details": self.failures[:10],
            "data_lost": self.lost,
            "sample_messages": sorted(self.messages)[:4],
        }


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# --------------------------------------------------------------------------- a local station


def local_station(root: Path, *, now: Callable[[], datetime] | None = None) -> Any:
    """A Hunan station store with an operator, sealing with fresh test keys; returns its context."""
    from offline.business import Operator, ServiceContext
    from offline.operators import insert_operator
    from offline.profiles import load_profile
    from offline.station import init_station
    from offline.store import Store
    from sync.testing import fresh_keys

    store = Store.open(root / "station.db")
    t = datetime.now().astimezone()
    init_station(
        store,
        province="hunan",
        service_point=SERVICE_POINT,
        admin_username="fadmin",
        admin_real_name="欧阳娜娜",
        admin_password="fault-admin-8",
        now=t,
    )
    with store.write() as conn:
        info = insert_operator(
            conn,
            username="fop",
            real_name="王小红",
            role="operator",
            password="fault-pass-8",
            now=t,
            by_id=None,
        )
    op = Operator(info.id, "fop", "王小红", "operator")
    ctx = ServiceContext(
        store=store,
        operator=op,
        sealer=fresh_keys(STATION_ID).sealer(),
        station_id=STATION_ID,
        service_point=SERVICE_POINT,
        profile=load_profile("hunan"),
    )
    if now is not None:
        ctx.now = now
    return ctx


def add_issued_card(ctx: Any, serial: int, *, holder_seed: int) -> tuple[int, str, Any]:
    """A person with an issued formal card (row) and the matching emulated chip: (card id, ssn, EmulatedCard)."""
    from devices.emulator import EmulatedCard, make_card
    from devices.emulator.factory import card_number_for
    from offline.protocols import ChipHolder
    from offline.samples import sample_person

    person = sample_person(random.Random(holder_seed), province="hunan", age_range=(20, 70), photo=False)
    at = ctx.now_iso()
    with ctx.store.write() as conn:
        pid = conn.execute(
            "INSERT INTO persons(ssn, name, sex, birth_date, doc_type, doc_number, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'resident_id', ?, ?, ?)",
            (person.doc_number, person.name, person.sex, person.birth_date, person.doc_number, at, at),
        ).lastrowid
        cid = conn.execute(
            "INSERT INTO cards(person_id, card_number, bank, status, issue_date, expiry_date, created_at,"
            " updated_at) VALUES (?, ?, '中国农业银行', 'issued', '2025-01-01', '2035-01-01', ?, ?)",
            (pid, card_number_for(serial), at, at),
        ).lastrowid
    holder = ChipHolder(
        ssn=person.doc_number,
        name=person.name,
        sex=person.sex,
        ethnicity="01",
        birthplace=person.doc_number[:6],
        birth_date=person.birth_date.replace("-", ""),
    )
    card = EmulatedCard(
        make_card(version=3, holder=holder, serial=serial, issue_date="20250101", expiry_date="20350101")
    )
    return int(cid or 0), person.doc_number, card


def add_temp_holder(ctx: Any, seed: int) -> tuple[int, str]:
    """A person without a formal card (eligible for a temporary card, R-TMP-1): (person id, ssn)."""
    from offline.samples import sample_person

    person = sample_person(random.Random(seed), province="hunan", age_range=(20, 70), photo=False)
    at = ctx.now_iso()
    with ctx.store.write() as conn:
        pid = conn.execute(
            "INSERT INTO persons(ssn, name, sex, birth_date, doc_type, doc_number, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, 'resident_id', ?, ?, ?)",
            (person.doc_number, person.name, person.sex, person.birth_date, person.doc_number, at, at),
        ).lastrowid
    return int(pid or 0), person.doc_number


def counts(store: Any) -> dict[str, int]:
    return {
        t: int(store.one(f"SELECT COUNT(*) FROM {t}")[0])
        for t in ("businesses", "audit", "outbox", "card_moves", "temp_card_moves")
    }


def store_consistent(store: Any, result: FaultResult, label: str) -> None:
    """integrity_check, audit chain, gap-free outbox with an envelope for every business."""
    from offline import audit

    if not store.integrity_ok():
        result.fail(f"{label}: integrity_check not ok")
    report = audit.verify(store.connection())
    if not report.ok:
        result.fail(f"{label}: audit chain broken at {report.first_bad_seq}")
    seqs = [int(r[0]) for r in store.query("SELECT seq FROM outbox ORDER BY seq")]
    if seqs != list(range(1, len(seqs) + 1)):
        result.fail(f"{label}: outbox sequence has a gap")
    orphans = store.one(
        "SELECT COUNT(*) FROM businesses b WHERE NOT EXISTS"
        " (SELECT 1 FROM outbox o WHERE o.business_id = b.id AND o.kind = 'business')"
    )[0]
    if orphans:
        result.fail(f"{label}: {orphans} business(es) without envelope")


# --------------------------------------------------------------------------- reader removed mid-write


def reader_removed(root: Path, *, max_apdus: int = 80, step: int = 1) -> FaultResult:
    """Pull the card after n APDUs (n = 0, step, 2*step ... max_apdus) during issue, recycle and PIN change."""
    from devices import open_emulated_session
    from devices.emulator import EmulatedCard, Faults, make_card
    from devices.emulator.factory import card_number_for
    from offline import card_journal
    from offline.errors import CardstationError
    from offline.services.pins import PinChangeInput, change_pin
    from offline.services.temp_cards import (
        TempIssueInput,
        TempRecycleInput,
        distribute,
        issue_temp_card,
        put_in_stock,
        recycle_temp_card,
        sign_in_temp_cards,
    )

    result = FaultResult("reader_removed_mid_write")
    ctx = local_station(root)
    store = ctx.store
    serial = 7_800_001
    number = card_number_for(serial)
    sup = _supervisor(ctx)
    sign_in_temp_cards(sup, [number])
    distribute(sup, [number])
    put_in_stock(sup, [number])
    temp_card = EmulatedCard(make_card(version=3, holder=None, serial=serial))
    pid, ssn = add_temp_holder(ctx, 11)
    formal_id, _fssn, formal = add_issued_card(ctx, 7_800_002, holder_seed=12)
    pins = ["666666", "284617"]

    def attempt(label: str, card: Any, n: int, run: Callable[[], Any]) -> bool:
        """Run with the card vanishing after n APDUs; True when the business completed."""
        before = counts(store)
        card.faults = Faults(remove_after_apdus=n)
        ctx.card = open_emulated_session(card) if not card.faults.removed else None
        try:
            run()
            done = True
        except CardstationError as exc:
            done = False
            text = str(exc)
            result.messages.add(text[:80])
            if not has_cjk(text):
                result.fail(f"{label} n={n}: message not in Chinese: {text!r}")
            after = counts(store)
            extra_audit = store.query(
                "SELECT action FROM audit WHERE seq > ? AND action NOT LIKE 'card_write.%'",
                (before["audit"],),
            )
            if {k: v for k, v in after.items() if k != "audit"} != {
                k: v for k, v in before.items() if k != "audit"
            } or extra_audit:
                result.fail(f"{label} n={n}: refused business wrote rows (beyond the write-intent journal)")
        except Exception as exc:  # anything else is a finding
            result.fail(f"{label} n={n}: unexpected {type(exc).__name__}: {exc}")
            done = False
        card.faults = Faults()  # the card is inserted again
        ctx.card = open_emulated_session(card)
        chip = ctx.card.read_card()
        card_journal.resolve_on_insert(ctx, chip)
        if card_journal.pending(store):
            result.fail(f"{label} n={n}: journal still pending after re-insert")
        store_consistent(store, result, f"{label} n={n}")
        result.cases += 1
        return done

    for n in range(0, max_apdus + 1, step):
        # issue (personalise) with removal at APDU n, then make sure the card is back in stock
        attempt(
            "issue",
            temp_card,
            n,
            lambda: issue_temp_card(ctx, TempIssueInput(number, pid, ssn, "passed", True)),
        )
        _check_temp(store, temp_card, number, ssn, result, f"issue n={n}")
        if store.one("SELECT state FROM temp_cards WHERE card_number = ?", (number,))["state"] != "issued":
            ctx.card = open_emulated_session(temp_card)
            issue_temp_card(ctx, TempIssueInput(number, pid, ssn, "passed", True))
        attempt(
            "recycle", temp_card, n, lambda: recycle_temp_card(ctx, TempRecycleInput(number, body_ok=True))
        )
        _check_temp(store, temp_card, number, ssn, result, f"recycle n={n}")
        if store.one("SELECT state FROM temp_cards WHERE card_number = ?", (number,))["state"] == "issued":
            ctx.card = open_emulated_session(temp_card)
            recycle_temp_card(ctx, TempRecycleInput(number, body_ok=True))
        old, new = pins[0], pins[1]
        if attempt(
            "pin_change",
            formal,
            n,
            lambda o=old, w=new: change_pin(ctx, PinChangeInput(formal_id, o, w, w)),  # type: ignore[misc]
        ):
            pins.reverse()
        elif formal.state.pin == new:
            # The chip took the new PIN but the answer was lost with the card: the business is not
            # recorded (nothing was confirmed to the holder) and the holder's PIN is the new one.
            pins.reverse()
    return result


def _supervisor(ctx: Any) -> Any:
    from offline.business import Operator
    from offline.operators import insert_operator

    with ctx.store.write() as conn:
        info = insert_operator(
            conn,
            username=f"fsup{random.randrange(10**6)}",
            real_name="李志刚",
            role="supervisor",
            password="fault-sup-8",
            now=datetime.now().astimezone(),
            by_id=None,
        )
    return dataclasses.replace(ctx, operator=Operator(info.id, info.username, "李志刚", "supervisor"))


def _check_temp(store: Any, card: Any, number: str, ssn: str, result: FaultResult, label: str) -> None:
    """Stock record and chip agree (R-TMP-5): issued ⇔ holder on chip, in stock ⇔ blank."""
    from devices import open_emulated_session

    chip = open_emulated_session(card).read_card()
    state = store.one("SELECT state FROM temp_cards WHERE card_number = ?", (number,))["state"]
    if state == "issued" and (chip.holder is None or chip.holder.ssn != ssn):
        result.fail(f"{label}: recorded issued, chip does not hold the holder")
    if state == "in_stock" and (chip.holder is not None or chip.issue_date):
        result.fail(f"{label}: recorded in stock, chip not blank")
    if state not in ("issued", "in_stock"):
        result.fail(f"{label}: temporary card left in state {state}")


# --------------------------------------------------------------------------- gateway restarted mid-batch


def gateway_restart(root: Path, *, cases: int = 3, businesses: int = 30, seed: int = 5) -> FaultResult:
    """SIGKILL the gateway during `cardstation sync --once`, restart it, sync again: exactly once."""
    from bench.campaigns.kill import Figures, context, final_sync, prepare
    from cardstation.demo_setup import Gateway
    from offline.samples import sample_person
    from offline.services.applications import ApplicationInput, apply_card
    from offline.store import Store

    result = FaultResult("gateway_restarted_mid_batch")
    rng = random.Random(seed)
    gateway = Gateway(root / "gateway.db")
    gateway.start()
    try:
        st = prepare(root, gateway)
        for case in range(cases):
            store = Store.open(st.db)
            ctx = context(store)
            for _ in range(businesses):
                person = sample_person(rng, province="hunan", age_range=(8, 80))
                receipt = apply_card(ctx, ApplicationInput(person, "local", "fast", person.bank)).receipt_no
                st.acks.open("a", encoding="ascii").write(receipt + "\n")
            store.close()
            sync = subprocess.Popen(
                [sys.executable, "-m", "cardstation.cli", "--db", str(st.db), "sync", "--once"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            time.sleep(rng.uniform(0.2, 0.9))
            if gateway.proc is not None:
                gateway.proc.send_signal(signal.SIGKILL)
                gateway.proc.wait(10)
            out, err = sync.communicate(timeout=300)
            text = (out + err).strip()
            if sync.returncode not in (0, 1):
                result.fail(f"case {case}: sync exited {sync.returncode}: {text[-300:]}")
            elif sync.returncode == 1:
                result.messages.add(text.splitlines()[-1][:80] if text else "")
                if not has_cjk(text):
                    result.fail(f"case {case}: sync failure not explained in Chinese: {text[-200:]!r}")
            gateway.start()  # same store, same port
            store = Store.open(st.db)
            store_consistent(store, result, f"case {case}")
            store.close()
            result.cases += 1
        figures = Figures()
        final_sync(st, figures)
        result.failures += figures.failures
        result.lost += figures.lost + figures.duplicated
    finally:
        gateway.stop()
    return result


# --------------------------------------------------------------------------- disk full


@contextmanager
def small_filesystem(path: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` mounted at `path` (root); unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path)],
        check=True,
        capture_output=True,
    )
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def can_mount() -> bool:
    if os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with small_filesystem(Path(tmp) / "m", 64):
                return True
        except (subprocess.CalledProcessError, OSError):
            return False


def disk_full(root: Path, *, size_kb: int = 2048, rounds: int = 3) -> FaultResult:
    """Businesses on a store whose filesystem fills up: StoreError('disk_full'), nothing partial."""
    from offline.errors import CardstationError, DomainError, StoreError
    from offline.samples import sample_person
    from offline.services.applications import ApplicationInput, apply_card
    from offline.services.losses import LiftLossInput, TempLossInput, lift_loss, report_temp_loss

    result = FaultResult("disk_full")
    rng = random.Random(3)
    with small_filesystem(root / "small", size_kb) as mnt:
        ctx = local_station(mnt)
        store = ctx.store
        # First line of defence: the province's disk floor refuses new applications (R-FRZ).
        person = sample_person(rng, province="hunan", age_range=(20, 60))
        before = counts(store)
        try:
            apply_card(ctx, ApplicationInput(person, "local", "fast", person.bank))
            result.fail("apply_card accepted below the disk floor")
        except DomainError as exc:
            result.messages.add(str(exc)[:80])
            if "磁盘" not in str(exc) or counts(store) != before:
                result.fail(f"disk-floor refusal unclear or partial: {exc}")
        result.cases += 1
        # Second line: the disk really fills between check and write.
        ctx = dataclasses.replace(
            ctx, profile=dataclasses.replace(ctx.profile, disk_floor_mb=0, disk_warn_mb=0)
        )
        card_ids = [add_issued_card(ctx, 7_900_000 + i, holder_seed=100 + i)[:2] for i in range(3)]
        for r in range(rounds):
            filler = mnt / f"filler{r}"
            ok = 0
            with filler.open("wb", buffering=0) as fh:  # unbuffered: a full disk raises in write, not close
                try:
                    while True:
                        fh.write(b"\0" * 65536)
                        fh.flush()
                except OSError:
                    pass
            full_seen = False
            for i in range(400):
                before = counts(store)
                try:
                    if i % 3 == 0:
                        person = sample_person(rng, province="hunan", age_range=(20, 60))
                        apply_card(ctx, ApplicationInput(person, "local", "fast", person.bank))
                    else:
                        cid, ssn = card_ids[i % len(card_ids)]
                        status = store.one("SELECT status FROM cards WHERE id = ?", (cid,))["status"]
                        if status == "issued":
                            report_temp_loss(ctx, TempLossInput(cid, verbal=True))
                        else:
                            lift_loss(ctx, LiftLossInput(cid, ssn))
                    ok += 1
                    # free a little so that the next business gets further before the wall
                    if i % 5 == 4:
                        filler.write_bytes(
                            filler.read_bytes()[:-65536] if filler.stat().st_size > 65536 else b""
                        )
                except StoreError as exc:
                    full_seen = True
                    result.messages.add(exc.message_zh[:80])
                    if exc.code != "disk_full" or "磁盘" not in exc.message_zh:
                        result.fail(f"round {r}: StoreError {exc.code}: {exc.message_zh}")
                    store.close()
                    if counts(store) != before:
                        result.fail(f"round {r}: a refused business left rows behind")
                    break
                except CardstationError as exc:
                    result.fail(f"round {r}: refused for another reason: {exc}")
                    break
                except Exception as exc:  # the raw sqlite3 error is the finding this case exists for
                    result.fail(f"round {r}: raw {type(exc).__name__}: {exc}")
                    store.close()
                    break
            if not full_seen:
                result.fail(f"round {r}: the disk never filled")
            filler.unlink()
            store.close()
            store_consistent(store, result, f"round {r}")
            # after space is freed, work goes on
            try:
                cid, ssn = card_ids[0]
                status = store.one("SELECT status FROM cards WHERE id = ?", (cid,))["status"]
                if status == "issued":
                    report_temp_loss(ctx, TempLossInput(cid, verbal=True))
                else:
                    lift_loss(ctx, LiftLossInput(cid, ssn))
            except Exception as exc:
                result.fail(f"round {r}: no recovery after freeing space: {exc}")
            result.cases += 1
        store.close()
    return result


# --------------------------------------------------------------------------- clock set back a day


class Clock:
    """A wall clock the campaign moves."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now().astimezone() + self.offset


def clock_back(root: Path, *, rounds: int = 3, per_round: int = 5) -> FaultResult:
    """Businesses, a crashed upload (leases held), then the clock a day back; repeat."""
    from offline import clock as station_clock
    from offline import outbox
    from offline.services.losses import LiftLossInput, TempLossInput, lift_loss, report_temp_loss

    result = FaultResult("clock_set_back_a_day")
    clock = Clock()
    ctx = local_station(root, now=clock)
    store = ctx.store
    cards = [add_issued_card(ctx, 7_950_000 + i, holder_seed=200 + i)[:2] for i in range(2)]
    real_now = station_clock.now
    station_clock.now = clock  # the outbox reads the same (moved) wall clock as the services
    try:
        for r in range(rounds):
            for i in range(per_round):
                cid, ssn = cards[i % 2]
                status = store.one("SELECT status FROM cards WHERE id = ?", (cid,))["status"]
                if status == "issued":
                    report_temp_loss(ctx, TempLossInput(cid, verbal=True))
                else:
                    lift_loss(ctx, LiftLossInput(cid, ssn))
                result.cases += 1
            leased = outbox.claim_batch(store, max_count=3)  # an upload starts ... and the PC dies
            if not leased:
                result.fail(f"round {r}: nothing to upload")
            clock.offset -= timedelta(days=1)  # the clock comes back a day earlier
            again = outbox.claim_batch(store, max_count=50)
            if not {e.envelope_id for e in leased} <= {e.envelope_id for e in again}:
                result.fail(f"round {r}: leased envelopes wedged after the clock went back a day")
            outbox.release(store, [e.envelope_id for e in again])
            receipts = [str(x[0]) for x in store.query("SELECT receipt_no FROM businesses")]
            if len(receipts) != len(set(receipts)):
                result.fail(f"round {r}: receipt numbers repeat")
            store_consistent(store, result, f"round {r}")
    finally:
        station_clock.now = real_now
        store.close()
    return result


# --------------------------------------------------------------------------- pcscd (real stack, subprocess)


def pcsc_scenarios(cases: int = 3) -> FaultResult:
    """Run in its own process: the stack must start before any other PC/SC call of the process."""
    from devices.emulator import EmulatedCard, Faults, make_card, make_kind
    from devices.testing.pcsc_stack import pcsc_stack
    from offline.errors import CardstationError
    from offline.protocols import CardError

    result = FaultResult("pcscd")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = local_station(Path(tmp))
        temp = EmulatedCard(make_card(version=3, holder=None, serial=7_990_001))
        with pcsc_stack(temp) as stack:
            from devices.emulator.factory import card_number_for
            from offline import card_journal
            from offline.services.temp_cards import (
                TempIssueInput,
                distribute,
                issue_temp_card,
                put_in_stock,
                sign_in_temp_cards,
            )

            number = card_number_for(7_990_001)
            sup = _supervisor(ctx)
            sign_in_temp_cards(sup, [number])
            distribute(sup, [number])
            put_in_stock(sup, [number])
            pid, ssn = add_temp_holder(ctx, 31)
            for case in range(cases):
                # 1) card pulled mid-personalisation, through pcscd
                temp.faults = Faults(
                    remove_after_updates=1 + case % 5
                )  # a personalisation writes more than 5 records
                ctx.card = stack.session()
                try:
                    issue_temp_card(ctx, TempIssueInput(number, pid, ssn, "passed", True))
                    result.fail(f"case {case}: issue completed although the card was pulled")
                except CardstationError as exc:
                    result.messages.add(str(exc)[:80])
                    if not has_cjk(str(exc)):
                        result.fail(f"case {case}: message not Chinese: {exc}")
                stack.remove()
                temp.faults = Faults()
                stack.insert(temp)
                ctx.card = stack.session()
                lines = card_journal.resolve_on_insert(ctx, ctx.card.read_card())
                if card_journal.pending(ctx.store) or not lines:
                    result.fail(f"case {case}: journal not resolved through pcscd")
                store_consistent(ctx.store, result, f"pcsc case {case}")
                result.cases += 1
            # 2) pcscd killed and restarted mid-session
            formal = EmulatedCard(make_kind("formal"))
            stack.remove()
            stack.insert(formal)
            session = stack.session()
            session.read_card()
            proc = stack._pcscd
            if proc is None:
                result.fail("pcscd restart: the stack does not own pcscd")
                return result
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
            try:
                session.read_card()
                result.fail("pcscd restart: a read on a dead pcscd succeeded")
            except CardError as exc:
                result.messages.add(exc.message_zh[:80])
                if not has_cjk(exc.message_zh):
                    result.fail(f"pcscd restart: message not Chinese: {exc.message_zh}")
            except Exception as exc:
                result.fail(f"pcscd restart: raw {type(exc).__name__}: {exc}")
            _restart_pcscd(stack)
            stack.link.stop()
            from devices.emulator.vpcd import VpcdLink

            stack.link = VpcdLink(formal, port=stack.port)
            stack.link.start()
            stack.wait_card(True, timeout=15)
            try:
                card = stack.session().read_card()
                if card.holder is None:
                    result.fail("pcscd restart: card unreadable after restart")
            except Exception as exc:
                result.fail(f"pcscd restart: no recovery: {type(exc).__name__}: {exc}")
            result.cases += 1
    return result


def _restart_pcscd(stack: Any) -> None:
    """Start pcscd again on the same socket and reader configuration (what systemd would do)."""
    from devices.testing import pcsc_stack as ps

    base = ps._socket_dir()
    run_dir, conf_dir = base / "run", base / "conf"
    for stale in (run_dir / "pcscd.comm", run_dir / "pcscd.pid"):
        stale.unlink(missing_ok=True)
    script = f"mount --bind {run_dir} /run/pcscd && exec {ps._pcscd_binary()} --foreground -c {conf_dir}"
    log = (base / "pcscd-restart.log").open("wb")
    stack._pcscd = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while not stack.socket_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def run_pcsc_subprocess(cases: int = 3, timeout: float = 120) -> dict[str, Any]:
    """`pcsc_scenarios` in a fresh interpreter; its JSON figures."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.campaigns.faults", "pcsc", "--cases", str(cases)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=Path(__file__).resolve().parents[2],
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {
            "fault": "pcscd",
            "cases": 0,
            "failures": 1,
            "failure_details": [f"exit {out.returncode}: {out.stderr[-800:]}"],
            "data_lost": 0,
        }
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fault campaign")
    parser.add_argument("what", nargs="?", default="all", choices=("all", "pcsc"))
    parser.add_argument("--cases", type=int, default=10)
    args = parser.parse_args(argv)
    if args.what == "pcsc":
        import logging

        logging.disable(logging.WARNING)
        print(json.dumps(pcsc_scenarios(args.cases).to_dict(), ensure_ascii=False))
        return 0
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        rows.append(reader_removed(base / "reader", max_apdus=120).to_dict())
        rows.append(run_pcsc_subprocess(args.cases, timeout=600))
        rows.append(gateway_restart(base / "gw", cases=args.cases).to_dict())
        if can_mount():
            rows.append(disk_full(base / "disk", rounds=args.cases).to_dict())
        else:
            rows.append({"fault": "disk_full", "cases": 0, "failures": 0, "note": "mount not permitted here"})
        rows.append(clock_back(base / "clock", rounds=args.cases).to_dict())
    print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0 if all(r["failures"] == 0 and r.get("data_lost", 0) == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
