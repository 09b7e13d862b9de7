"""Tamper and privacy campaign: changed records are noticed, foreign envelopes refused, nothing leaks.

Why: a station holds people's identities (R-SEC-1) and the records of every business (R-SEC-3).
Someone with the store file in hand may edit, delete or reorder audit rows; someone on the
link may modify, replay, re-address or strip envelopes; logs are read by people who must not
see social security numbers, names or PINs (R-PIN-6); key files must be private; and the county
auditor's account must not be able to change anything (R-SEC-2).

- `audit_tamper`: copies of a real store with one audit row edited, deleted (not the last) or
  two rows swapped; `cardstation audit verify` must exit 1 naming the first bad entry.
- `envelope_tamper`: modified, replayed (same seq, new id), cross-station (station B's key
  claiming station A; A's envelope re-addressed) and cleartext uploads to the gateway: each
  rejected with its reason code; identical resends are idempotent duplicates.
- `privacy_run`: the demo station built through `cardstation demo --no-tui` (gateway log
  captured), then PIN services on emulated cards with DEBUG logging to a file; every log file is
  grepped for every SSN, name and PIN used.
- `key_modes`: the station key file 0600 in a 0700 directory.
- `auditor_writes_nothing`: every service of `offline.services.registry` called as 'auditor'.

Run the long form:  .venv/bin/python -m bench.campaigns.tamper [--cases N]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@dataclass
class TamperResult:
    name: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.name,
            "cases": self.cases,
            "failures": len(self.failures),
            "failure_details": self.failures[:8],
            **self.detail,
        }


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cardstation.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        check=False,
    )


# --------------------------------------------------------------------------- audit rows


def _audit_store(root: Path, businesses: int) -> Path:
    """A station store with a real audit chain (station set-up, operators, businesses)."""
    from bench.campaigns.faults import add_issued_card, local_station
    from offline.services.losses import LiftLossInput, TempLossInput, lift_loss, report_temp_loss

    ctx = local_station(root)
    cid, ssn, _card = add_issued_card(ctx, 7_600_001, holder_seed=1)
    for i in range(businesses):
        if i % 2 == 0:
            report_temp_loss(ctx, TempLossInput(cid, verbal=True))
        else:
            lift_loss(ctx, LiftLossInput(cid, ssn))
    ctx.store.close()
    return Path(ctx.store.path)


def _tamper(path: Path, how: str, rng: random.Random) -> int:
    """Change the copy at `path`; returns the seq `audit verify` must name first."""
    conn = sqlite3.connect(path)
    try:
        n = int(conn.execute("SELECT MAX(seq) FROM audit").fetchone()[0])
        if how == "edit":
            seq = rng.randint(1, n)
            column = rng.choice(["at", "action", "target", "details", "operator_id"])
            value: Any = (
                999 if column == "operator_id" else "2020-01-01T00:00:00+08:00" if column == "at" else "x"
            )
            conn.execute(f"UPDATE audit SET {column} = ? WHERE seq = ?", (value, seq))
            expected = seq
        elif how == "delete":
            seq = rng.randint(1, n - 1)  # deleting the newest rows is a truncation (see docs)
            conn.execute("DELETE FROM audit WHERE seq = ?", (seq,))
            expected = seq + 1
        else:  # swap the contents of two rows (a reorder that keeps the seq column tidy)
            a, b = sorted(rng.sample(range(1, n + 1), 2))
            cols = "at, operator_id, action, target, details, prev_hash, hash"
            ra = conn.execute(f"SELECT {cols} FROM audit WHERE seq = ?", (a,)).fetchone()
            rb = conn.execute(f"SELECT {cols} FROM audit WHERE seq = ?", (b,)).fetchone()
            sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
            conn.execute(f"UPDATE audit SET {sets} WHERE seq = ?", (*rb, a))
            conn.execute(f"UPDATE audit SET {sets} WHERE seq = ?", (*ra, b))
            expected = a
        conn.commit()
    finally:
        conn.close()
    return expected


def audit_tamper(root: Path, *, cases: int = 9, via_cli: int = 3, seed: int = 1) -> TamperResult:
    """Edited/deleted/reordered rows: verify names the first bad entry (the CLI exits 1)."""
    from offline import audit

    result = TamperResult("audit_tamper")
    rng = random.Random(seed)
    original = _audit_store(root / "orig", businesses=12)
    ok = cli("--db", str(original), "audit", "verify")
    if ok.returncode != 0 or "审计链完整" not in ok.stdout:
        result.failures.append(f"untouched store does not verify: {ok.stdout}{ok.stderr}")
    for i in range(cases):
        how = ("edit", "delete", "reorder")[i % 3]
        copy = root / f"case{i}.db"
        shutil.copy(original, copy)
        expected = _tamper(copy, how, rng)
        if i < via_cli:
            out = cli("--db", str(copy), "audit", "verify", "--json")
            doc = json.loads(out.stdout or "{}")
            first, code = doc.get("first_bad_seq"), out.returncode
            plain = cli("--db", str(copy), "audit", "verify")
            if f"第 {expected} 条" not in plain.stdout or plain.returncode != 1:
                result.failures.append(f"{how}: CLI text does not name entry {expected}: {plain.stdout!r}")
        else:
            conn = sqlite3.connect(copy)
            report = audit.verify(conn)
            conn.close()
            first, code = report.first_bad_seq, 0 if report.ok else 1
        if code != 1 or first != expected:
            result.failures.append(f"{how}: expected first bad {expected}, got {first} (exit {code})")
        result.cases += 1
    return result


# --------------------------------------------------------------------------- envelopes


def envelope_tamper(root: Path, *, cases: int = 4, seed: int = 2) -> TamperResult:
    """Modified, replayed, cross-station, cleartext envelopes against the gateway API."""
    from starlette.testclient import TestClient

    from offline.protocols import EnvelopeHeader
    from offline.store import Store
    from sync import keys as skeys
    from sync.envelope import Header
    from sync.gateway.app import create_app

    result = TamperResult("envelope_tamper")
    rng = random.Random(seed)
    gw = create_app(root / "gateway.db", production_days=0.0)
    sealers = {}
    for sid in ("4301210010010000601", "4301210010010000701"):
        priv, pub, _kid = skeys.new_station_key()
        store = Store.open(root / f"{sid}.db")
        skeys.pin_bundle(store, gw.keyring.register(sid, pub, gw.now()))
        skeys.save_identity(store, station_id=sid, private_key=priv, url="http://testserver")
        sealers[sid] = skeys.sealer_for(store)
        store.close()
    a, b = sealers
    codes: dict[str, set[str]] = {}

    def send(data: bytes) -> dict[str, Any]:
        frame = struct.pack(">I", len(data)) + data
        resp = client.post(
            "/v1/envelopes", content=frame, headers={"Content-Type": "application/octet-stream"}
        )
        if resp.status_code != 200:
            result.failures.append(f"HTTP {resp.status_code} for an envelope upload")
            return {}
        item: dict[str, Any] = resp.json()["results"][0]
        return item

    def expect(kind: str, data: bytes, statuses: set[str], code: str | None) -> None:
        item = send(data)
        codes.setdefault(kind, set()).add(str(item.get("code", item.get("status"))))
        if item.get("status") not in statuses or (code is not None and item.get("code") != code):
            result.failures.append(f"{kind}: got {item}")
        result.cases += 1

    def seal(sid: str, seq: int, payload: dict[str, Any], *, claim: str | None = None) -> bytes:
        header = EnvelopeHeader(claim or sid, seq, os.urandom(16).hex(), "business")
        return bytes(sealers[sid].seal(header, json.dumps(payload, ensure_ascii=False).encode()))

    with TestClient(gw.app, raise_server_exceptions=False) as client:
        for i in range(cases):
            seq = 10 * i + 1
            good = seal(a, seq, {"receipt_no": f"{seq:031d}", "item": "query", "name": "张三"})
            expect("accepted", good, {"acked"}, None)
            expect("identical resend", good, {"duplicate"}, None)
            flipped = bytearray(good)
            pos = rng.randrange(len(flipped))
            flipped[pos] ^= 1 << rng.randrange(8)
            expect("modified", bytes(flipped), {"rejected"}, None)
            replay = seal(a, seq, {"receipt_no": f"{seq:031d}", "item": "query", "name": "李四"})
            expect("replayed", replay, {"rejected"}, "replayed")
            expect(
                "cross-station (B's key claims A)",
                seal(b, seq + 1, {"x": 1}, claim=a),
                {"rejected"},
                "tampered",
            )
            readdressed = _readdress(good, b, Header)
            expect("cross-station (A's envelope re-addressed to B)", readdressed, {"rejected"}, "tampered")
            expect(
                "cross-station (unknown station)",
                seal(a, seq + 2, {"x": 1}, claim="4301210010010009901"),
                {"rejected"},
                "unknown_station",
            )
            clear = json.dumps({"receipt_no": f"{seq:031d}", "ssn": "11010519491231002X"}).encode()
            expect("cleartext", clear, {"rejected"}, "cleartext")
            expect("cleartext (suite 0)", b"CS\x01\x00" + good[4:], {"rejected"}, "cleartext")
        stored = gw.db.one("SELECT COUNT(*) AS n FROM envelopes")
        if stored is None or int(stored["n"]) != cases:
            result.failures.append(f"gateway stored {stored and stored['n']} envelopes, expected {cases}")
    result.detail["reason_codes"] = {k: sorted(v) for k, v in codes.items()}
    return result


def _readdress(data: bytes, station: str, header_cls: Any) -> bytes:
    """A's envelope with the station id in its header replaced by B's (signature left as it was)."""
    hlen = struct.unpack_from(">H", data, 4)[0]
    h = header_cls.decode(data[6 : 6 + hlen])
    new: bytes = dataclasses.replace(h, station_id=station).encode()
    return data[:4] + struct.pack(">H", len(new)) + new + data[6 + hlen :]


# --------------------------------------------------------------------------- privacy


def privacy_run(root: Path, *, persons: int = 12) -> TamperResult:
    """Demo station + PIN services; grep every log file for SSNs, names and PINs."""
    result = TamperResult("privacy_logs")
    demo = root / "demo"
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out = cli("demo", "--dir", str(demo), "--no-tui", "--persons", str(persons))
    (logs / "demo.stdout.log").write_text(out.stdout, encoding="utf-8")
    (logs / "demo.stderr.log").write_text(out.stderr, encoding="utf-8")
    if out.returncode != 0:
        result.failures.append(f"demo exited {out.returncode}: {out.stderr[-400:]}")
        return result
    pins = _pin_services(demo / "station.db", logs / "station-debug.log", logs / "gateway.log")
    conn = sqlite3.connect(demo / "station.db")
    people = conn.execute("SELECT ssn, name FROM persons").fetchall()
    conn.close()
    needles = {str(s) for s, _n in people} | {str(n) for _s, n in people if len(str(n)) >= 2} | set(pins)
    # The same data as a hex dump of card bytes would show it (ASCII SSN, GBK name; a BCD PIN is its digits).
    needles |= {str(s).encode("ascii").hex().upper() for s, _n in people}
    needles |= {str(n).encode("gbk", "replace").hex().upper() for _s, n in people if len(str(n)) >= 2}
    files = [p for p in logs.rglob("*") if p.is_file()] + [p for p in demo.rglob("*.log") if p.is_file()]
    hits = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{path.name}: {needle}" for needle in needles if needle in text]
    result.cases = len(files) * len(needles)
    result.detail.update(
        {
            "log_files": len(files),
            "log_bytes": sum(p.stat().st_size for p in files),
            "persons": len(people),
            "pins": len(pins),
            "hits": len(hits),
        }
    )
    if sum(p.stat().st_size for p in files) == 0:
        result.failures.append("no log output at all: the grep proved nothing")
    result.failures += [f"personal data in a log: {h}" for h in hits[:20]]
    return result


def _pin_services(db: Path, log_path: Path, gateway_log: Path) -> list[str]:
    """Activate, change, lock, unlock and reset PINs on emulated formal cards, logging at DEBUG."""
    from devices import open_emulated_session
    from devices.emulator import EmulatedCard, make_card
    from devices.emulator.factory import card_number_for
    from offline.errors import DomainError
    from offline.protocols import ChipHolder
    from offline.services.pins import (
        ActivateInput,
        PinChangeInput,
        PinResetInput,
        PinUnlockInput,
        activate,
        change_pin,
        reset_pin,
        unlock_pin,
    )
    from offline.store import Store

    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root_logger = logging.getLogger()
    old_level = root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.DEBUG)
    quiet = {name: logging.getLogger(name).level for name in ("devices", "offline", "sync", "cardstation")}
    for name in quiet:  # the most verbose a station can be told to log
        logging.getLogger(name).setLevel(logging.DEBUG)
    pins = ["739154", "284617", "502913", "861430"]
    try:
        from bench.campaigns.kill import context

        store = Store.open(db)
        rows = store.query("SELECT id, ssn, name, sex, birth_date FROM persons ORDER BY id LIMIT 3")
        at = "2025-03-01T09:00:00+08:00"
        for i, p in enumerate(rows):
            serial = 7_500_001 + i
            with store.write() as conn:
                cid = conn.execute(
                    "INSERT INTO cards(person_id, card_number, bank, status, issue_date, expiry_date, created_at,"
                    " updated_at) VALUES (?, ?, '中国农业银行', 'issued', '2025-01-01', '2035-01-01', ?, ?)",
                    (p["id"], card_number_for(serial), at, at),
                ).lastrowid
            holder = ChipHolder(
                p["ssn"], p["name"], p["sex"], "01", p["ssn"][:6], p["birth_date"].replace("-", "")
            )
            card = EmulatedCard(
                make_card(
                    version=3, holder=holder, serial=serial, issue_date="20250101", expiry_date="20350101"
                )
            )
            ctx = context(store, "wangxh", card=open_emulated_session(card))
            card_id = int(cid or 0)
            activate(ctx, ActivateInput(card_id, p["ssn"], True, pins[0], pins[0]))
            change_pin(ctx, PinChangeInput(card_id, pins[0], pins[1], pins[1]))
            for _ in range(6):  # wrong PIN until locked (R-PIN-4)
                with contextlib.suppress(DomainError):
                    change_pin(ctx, PinChangeInput(card_id, pins[3], pins[2], pins[2]))
            unlock_pin(ctx, PinUnlockInput(card_id, p["ssn"]))
            reset_pin(ctx, PinResetInput(card_id, p["ssn"], pins[2], pins[2]))
        store.close()
        _sync_with_logged_gateway(db, gateway_log)
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(old_level)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
        handler.close()
    return pins


def _sync_with_logged_gateway(db: Path, gateway_log: Path) -> None:
    """Serve the demo's gateway store with its stderr kept as a log file, and sync the station to it."""
    import time

    from cardstation.demo_setup import free_port

    port = free_port()
    with gateway_log.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cardstation.cli",
                "gateway",
                "serve",
                "--db",
                str(db.parent / "gateway.db"),
                "--port",
                str(port),
                "--demo",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        try:
            time.sleep(1.5)
            out = cli("--db", str(db), "sync", "--once", "--url", f"http://127.0.0.1:{port}")
            (gateway_log.parent / "sync.log").write_text(out.stdout + out.stderr, encoding="utf-8")
        finally:
            proc.terminate()
            proc.wait(10)


# --------------------------------------------------------------------------- keys and the auditor


def key_modes(root: Path) -> TamperResult:
    """The station key file is 0600 in a 0700 directory (R-SEC-1)."""
    from offline.store import Store
    from sync import keys as skeys
    from sync.gateway.app import create_app

    result = TamperResult("key_file_modes")
    gw = create_app(root / "gateway.db", production_days=0.0)
    store = Store.open(root / "station" / "station.db")
    priv, pub, _kid = skeys.new_station_key()
    skeys.pin_bundle(store, gw.keyring.register("4301210010010000801", pub, gw.now()))
    skeys.save_identity(store, station_id="4301210010010000801", private_key=priv, url="http://x")
    path = skeys.key_path(store)
    store.close()
    modes = {
        "station key file": (path, 0o600),
        "station key directory": (path.parent, 0o700),
        # the gateway store holds the server's HPKE and downlink private keys: it is a key file too
        "gateway store (server private keys)": (root / "gateway.db", 0o600),
    }
    for what, (p, want) in modes.items():
        got = p.stat().st_mode & 0o777
        result.detail[what] = oct(got)
        if got != want:
            result.failures.append(f"{what} {p.name} has mode {oct(got)}, expected {oct(want)}")
        result.cases += 1
    return result


def auditor_writes_nothing(root: Path) -> TamperResult:
    """Every registered service called as the county auditor: PermissionDenied (or a read) and no row."""
    from bench.campaigns.faults import add_issued_card, local_station
    from offline.business import Operator
    from offline.errors import PermissionDenied
    from offline.items import SERVICE_ITEMS
    from offline.operators import insert_operator
    from offline.services.registry import SERVICES

    result = TamperResult("auditor_read_only")
    ctx = local_station(root)
    add_issued_card(ctx, 7_400_001, holder_seed=5)
    with ctx.store.write() as conn:
        info = insert_operator(
            conn,
            username="county1",
            real_name="赵稽核",
            role="auditor",
            password="audit-pass-4",
            now=__import__("datetime").datetime.now().astimezone(),
            by_id=None,
        )
    auditor = dataclasses.replace(ctx, operator=Operator(info.id, "county1", "赵稽核", "auditor"))
    tables = [str(r[0]) for r in ctx.store.query("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def snapshot() -> dict[str, int]:
        return {t: int(ctx.store.one(f'SELECT COUNT(*) FROM "{t}"')[0]) for t in tables}

    writes = {i.code: i.writes for i in SERVICE_ITEMS}
    outcomes: dict[str, str] = {}
    for code, fns in SERVICES.items():
        for fn in fns:
            path = f"{fn.__module__}:{fn.__name__}"
            before = snapshot()
            try:
                fn(auditor, _AnyInput())
                outcome = "ran"
            except PermissionDenied:
                outcome = "PermissionDenied"
            except Exception as exc:
                outcome = f"{type(exc).__name__}"
            outcomes[path] = outcome
            if snapshot() != before:
                result.failures.append(f"{path}: the auditor changed rows")
            if writes.get(code, True) and outcome != "PermissionDenied":
                result.failures.append(f"{path}: a writing service answered the auditor with {outcome}")
            result.cases += 1
    result.detail["outcomes"] = outcomes
    ctx.store.close()
    return result


class _AnyInput:
    """An input object with every attribute: the permission check must come before any use of it."""

    def __getattr__(self, name: str) -> Any:
        return 1


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tamper and privacy campaign")
    parser.add_argument("--cases", type=int, default=60)
    args = parser.parse_args(argv)
    logging.getLogger("devices").setLevel(logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        for name, fn in (
            ("audit", lambda p: audit_tamper(p, cases=args.cases, via_cli=9)),
            ("env", lambda p: envelope_tamper(p, cases=max(4, args.cases // 6))),
            ("privacy", lambda p: privacy_run(p, persons=200)),
            ("keys", key_modes),
            ("auditor", auditor_writes_nothing),
        ):
            path = base / name
            path.mkdir()
            rows.append(fn(path).to_dict())
    print(json.dumps(rows, ensure_ascii=False, indent=2))
    return 0 if all(r["failures"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
