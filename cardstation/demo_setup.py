"""Build the demo: a Hunan station store full of invented persons, a local gateway, an emulated reader.

No Textual here (the `demo` command runs the TUI afterwards). Everything is made by calling the
real services, so the demo shows what the code does, not a fixture:

- `init_station` (Hunan: temporary cards exist there, HN 12/31), demo operators whose
  passwords the login screen shows;
- ~200 invented persons (`offline.samples`, deterministic seed) applying for cards, dated over
  the last weeks; a sync against the local reference gateway (started as a subprocess in demo
  mode, which produces and ships at once) brings back shipments; part of them is signed into
  stock long enough ago to be past the contact deadline (R-ISS-2);
- temporary-card stock signed in, distributed and put in stock (R-TMP-5);
- the reader: the emulator behind pcscd/vpcd when pcscd is running, else in-process.

Each step reports what it did; a step that cannot run (a colleague's service missing) says so
on stderr and the demo goes on with the rest.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from offline.store import Store

PROVINCE = "hunan"
SERVICE_POINT = "43012100100100001"  # 长沙县 430121001 + institution 00100 + serial 001 (R-SEC-4)
SEED = 20250312

#: (username, password, real name, role) — shown on the demo login screen. Demo data only.
DEMO_OPERATORS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "demo-admin-1", "欧阳娜娜", "admin"),
    ("wangxh", "demo-pass-1", "王小红", "operator"),
    ("lizg", "demo-pass-2", "李志刚", "supervisor"),
)


@dataclass
class DemoReport:
    """What was built; `lines` are printed before the TUI starts."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def ok(self, text: str) -> None:
        self.lines.append(text)

    def skip(self, text: str) -> None:
        self.problems.append(text)
        print(f"演示数据：{text}", file=sys.stderr, flush=True)


def default_demo_dir() -> Path:
    return Path.cwd() / "demo-data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_argv(*args: str) -> list[str]:
    """Run the cardstation CLI with this interpreter (works from a venv without PATH)."""
    return [sys.executable, "-m", "cardstation.cli", *args]


class Gateway:
    """The local reference gateway as a subprocess (`cardstation gateway serve --demo`).

    `db` is its store: the SQLite file (the default, `demo-data/gateway.db`), or a
    `postgresql://` URL (`cardstation demo --gateway-database URL`), as a province runs it. On
    PostgreSQL the key-encryption key of the gateway's private keys is a file in `folder` (the
    demo folder), handed to every gateway subprocess so that serving, registering and the roster
    import all unwrap the same keys.
    """

    KEK_NAME = "gateway-pg"

    def __init__(self, db: Path | str, port: int | None = None, *, folder: Path | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.folder = folder or Path(db).parent
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def postgres(self) -> bool:
        return str(self.db).startswith(("postgresql://", "postgres://"))

    @property
    def kek(self) -> Path | None:
        """PostgreSQL: the key file's stem (`<kek>.kek` holds the key); None on SQLite (beside the file)."""
        return self.folder / self.KEK_NAME if self.postgres else None

    @property
    def kek_env(self) -> dict[str, str]:
        """What a `cardstation gateway ...` process on this store needs in its environment: on
        PostgreSQL the key file (else it would use the user's default one); nothing on SQLite."""
        from sync.gateway.kek import ENV_FILE

        kek = self.kek
        return {ENV_FILE: str(kek.with_name(kek.name + ".kek"))} if kek else {}

    @property
    def env(self) -> dict[str, str]:
        """The environment of the gateway's subprocesses."""
        return {**os.environ, **self.kek_env}

    def open(self) -> Any:
        """The gateway's store opened in this process (either engine); the caller closes it."""
        from sync.gateway.pgdb import open_gateway_db

        return open_gateway_db(self.db, kek_path=self.kek)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            cli_argv("gateway", "serve", "--db", str(self.db), "--port", str(self.port), "--demo"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("卡管网关启动失败（进程已退出）")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.3):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("卡管网关启动超时")

    def register(self, station_id: str, area: str = "") -> str:
        """A one-time enrolment token; with `area`, the station serves those region prefixes."""
        extra = ["--area", area] if area else []
        out = subprocess.run(
            cli_argv("gateway", "register-station", "--db", str(self.db), "--station-id", station_id, *extra),
            capture_output=True,
            check=True,
            text=True,
            env=self.env,
        )
        return out.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None


def create_station(store: Store, now: datetime) -> Any:
    """init_station (Hunan) with the admin, then the other demo operators."""
    from offline.operators import insert_operator
    from offline.station import init_station

    admin = DEMO_OPERATORS[0]
    info = init_station(
        store,
        province=PROVINCE,
        service_point=SERVICE_POINT,
        admin_username=admin[0],
        admin_real_name=admin[2],
        admin_password=admin[1],
        now=now,
    )
    with store.write() as conn:
        for username, password, real_name, role in DEMO_OPERATORS[1:]:
            insert_operator(
                conn,
                username=username,
                real_name=real_name,
                role=role,
                password=password,
                now=now,
                by_id=None,
            )
    return info


def _ctx(store: Store, info: Any, operator: Any, sealer: Any, when: datetime) -> Any:
    from cardstation.wiring import make_context

    ctx = make_context(store, info, operator, sealer=sealer)
    ctx.now = lambda: when
    return ctx


def _step(report: DemoReport, name: str, fn: Callable[[], str]) -> None:
    try:
        report.ok(fn())
    except Exception as exc:  # a demo step failing must not hide the others
        message = getattr(exc, "message_zh", None) or str(exc)
        report.skip(f"{name}未完成：{message}")


def seed(
    store: Store,
    info: Any,
    *,
    sync_url: str | None,
    persons: int = 200,
    now: datetime | None = None,
    report: DemoReport | None = None,
) -> DemoReport:
    """Seed the store through the real services (see the module docstring)."""
    from offline.auth import authenticate

    report = report or DemoReport()
    now = now or datetime.now().astimezone()
    rng = random.Random(SEED)
    operator = authenticate(store, DEMO_OPERATORS[1][0], DEMO_OPERATORS[1][1], now=now)
    supervisor = authenticate(store, DEMO_OPERATORS[2][0], DEMO_OPERATORS[2][1], now=now)
    from cardstation.sealing import station_sealer

    sealer = station_sealer(store)

    def apply_batch(count: int, when_of: Callable[[int], datetime]) -> str:
        from offline.profiles import load_profile
        from offline.samples import sample_person
        from offline.services.applications import ApplicationInput, apply_card

        banks = load_profile(PROVINCE).banks
        done = 0
        for i in range(count):
            when = when_of(i)
            person = sample_person(rng, province=PROVINCE, age_range=(8, 80), today=when.date())
            ctx = _ctx(store, info, operator, sealer, when)
            try:
                apply_card(ctx, ApplicationInput(person, "local", "fast", rng.choice(banks)))
                done += 1
            except Exception as exc:
                report.skip(f"申领 {person.name} 未受理：{getattr(exc, 'message_zh', None) or exc}")
        return f"已为 {done} 位（虚构）人员受理申领"

    # Spread over the last 12 days: under the 14-day unsynced freeze (R-FRZ-1) at every step.
    _step(
        report,
        "批量申领",
        lambda: apply_batch(
            persons, lambda i: now - timedelta(days=12 - (i * 12) // max(1, persons), hours=i % 7)
        ),
    )

    if sync_url:

        def sync_once() -> str:
            from sync.engine import SyncEngine

            engine = SyncEngine(store, url=sync_url)
            first = engine.run_once()
            second = engine.run_once()  # the demo gateway produces at once; pull the shipments
            return f"已同步到本地卡管网关：{first.text_zh()}；{second.text_zh()}"

        _step(report, "同步", sync_once)

    featured = featured_holders(store)
    if featured:
        _step(
            report, "名册演示持卡人", lambda: prepare_featured(store, info, featured, supervisor, sealer, now)
        )

    def receive() -> str:
        from offline.services.stock import ReceiveInput, receive_cards, shipped_cards

        keep = {featured["stock"]["card_number"]} if "stock" in featured else set()
        numbers = [n for n in shipped_cards(store) if n not in keep]  # 冯志明's: the demo signs it in
        if not numbers:
            return "暂无已寄送的卡（未同步或网关未制卡），跳过入库"
        old, recent = numbers[: len(numbers) // 3], numbers[len(numbers) // 3 : (2 * len(numbers)) // 3]
        if old:
            receive_cards(
                _ctx(store, info, supervisor, sealer, now - timedelta(days=12)),
                ReceiveInput.from_numbers(old, source="shipment", stock_slot="A-01"),
            )
        if recent:
            receive_cards(
                _ctx(store, info, supervisor, sealer, now - timedelta(hours=3)),
                ReceiveInput.from_numbers(recent, source="shipment", stock_slot="A-02"),
            )
        return f"已入库 {len(old) + len(recent)} 张制好的卡（其中 {len(old)} 张已超过联系期限）"

    _step(report, "入库", receive)

    def temp_stock() -> str:
        from offline.samples import sample_card_number
        from offline.services.temp_cards import distribute, put_in_stock, sign_in_temp_cards

        numbers = sorted({sample_card_number(rng) for _ in range(12)})
        ctx = _ctx(store, info, supervisor, sealer, now - timedelta(days=2))
        sign_in_temp_cards(ctx, numbers)
        distribute(ctx, numbers[:8])
        put_in_stock(ctx, numbers[:8])
        return f"临时卡：签收 {len(numbers)} 张，在库空白卡 8 张"

    _step(report, "临时卡库存", temp_stock)
    if "temp_out" in featured:
        _step(
            report,
            "临时卡发放",
            lambda: temp_card_out(store, info, featured["temp_out"], operator, sealer, now),
        )
    # A few applications of today stay unsent, so the status bar shows a queue and its age.
    _step(report, "今日申领", lambda: apply_batch(5, lambda i: now - timedelta(minutes=90 - i * 10)))
    return report


ROSTER_FILE = "roster.csv"
DEMO_PHOTO = "demo-photo.jpg"


def load_demo_roster(gateway: Gateway, *, count: int | None = None) -> str:
    """Import the demo area's roster into the demo gateway; returns the area to register.

    ROSTER (issue 10) — the one place the demo loads a holder roster into the card management
    system: the file is what a county office would export (cardstation/demo_roster.py), imported
    with the gateway's own importer (`sync.gateway.roster.import_roster`). The station downloads
    its area's snapshot at enrolment, like a real station (sync.enrol).
    """
    from cardstation.demo_roster import DEFAULT_COUNT, DEMO_AREA, write_demo_roster
    from sync.gateway.roster import import_roster

    path = gateway.folder / ROSTER_FILE
    write_demo_roster(path, count=DEFAULT_COUNT if count is None else count)
    db = gateway.open()
    try:
        report = import_roster(db, path)
    finally:
        db.close()
    if report.bad:
        raise RuntimeError(f"名册有 {report.bad} 行未导入：{report.problems[:3]}")
    return DEMO_AREA


def featured_holders(store: Store) -> dict[str, dict[str, Any]]:
    """The roster's named demo holders now in the station store (key → person/card ids), from the
    roster file next to the store; {} when the roster was not loaded (no such persons here)."""
    import csv

    from cardstation.demo_roster import FEATURED

    path = store.path.parent / ROSTER_FILE
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for _, r in zip(FEATURED, csv.DictReader(fh), strict=False)]
    out: dict[str, dict[str, Any]] = {}
    for f, r in zip(FEATURED, rows, strict=False):
        person = store.one("SELECT id FROM persons WHERE ssn = ?", (r["社会保障号码"],))
        if person is None:
            continue
        card = store.one("SELECT id FROM cards WHERE card_number = ?", (r["社会保障卡卡号"],))
        out[f.key] = {
            "person_id": int(person["id"]),
            "ssn": r["社会保障号码"],
            "name": r["姓名"],
            "card_number": r["社会保障卡卡号"],
            "card_id": int(card["id"]) if card is not None else None,
        }
    return out


def prepare_featured(
    store: Store, info: Any, featured: dict[str, dict[str, Any]], supervisor: Any, sealer: Any, now: datetime
) -> str:
    """Cards the manual's demo holders need: 宋国庆's and 吴小燕's 待领取 cards signed into stock
    (发放), 吴小燕's handed out with its read-card test so her social function can be activated."""
    from cardstation.demo_reader import reader_for
    from offline.services.issuance import IssueInput, issue_card
    from offline.services.stock import ReceiveInput, receive_cards

    numbers = [featured[k]["card_number"] for k in ("issue", "activate") if k in featured]
    if numbers:
        receive_cards(
            _ctx(store, info, supervisor, sealer, now - timedelta(days=1)),
            ReceiveInput.from_numbers(numbers, source="shipment", stock_slot="A-03"),
        )
    if "activate" in featured:
        f = featured["activate"]
        reader = reader_for(store.path.parent)
        reader.insert(f["card_number"])
        ctx = _ctx(store, info, supervisor, sealer, now - timedelta(hours=20))
        ctx.card = reader.provider()
        issue_card(
            ctx,
            IssueInput(
                card_id=int(f["card_id"]),
                mode="window",
                holder_doc_number=f["ssn"],
                face_photo_ok=True,
                face_text_ok=True,
                signed=True,
            ),
        )
        reader.remove()
    from offline.samples import sample_photo

    # 申领 needs a photo file (HB 12): the manual's 演示 section names this one
    (store.path.parent / DEMO_PHOTO).write_bytes(sample_photo(1))
    return f"名册演示持卡人：{len(featured)} 位已就绪（入库 {len(numbers)} 张待发放的卡）"


def temp_card_out(
    store: Store, info: Any, holder: dict[str, Any], operator: Any, sealer: Any, now: datetime
) -> str:
    """董丽's formal card is in production: she got a temporary card from the stock (R-TMP-1/2)."""
    from cardstation.demo_reader import reader_for
    from offline.services.temp_cards import TempIssueInput, issue_temp_card

    row = store.one(
        "SELECT card_number FROM temp_cards WHERE state = 'in_stock' ORDER BY card_number LIMIT 1"
    )
    if row is None:
        return "没有在库的空白临时卡，跳过临时卡发放"
    number = str(row["card_number"])
    reader = reader_for(store.path.parent)
    reader.insert(number)
    ctx = _ctx(store, info, operator, sealer, now - timedelta(hours=30))
    ctx.card = reader.provider()
    issue_temp_card(
        ctx,
        TempIssueInput(
            card_number=number,
            person_id=int(holder["person_id"]),
            doc_number=holder["ssn"],
            online_check="passed",
            signed=True,
        ),
    )
    reader.remove()
    return f"临时卡 {number} 已发给一位名册演示持卡人（正式卡制作中；人员见操作手册 演示 一节）"  # no name in logs (R-SEC-1)


def enrol_station(store: Store, gateway: Gateway, station_id: str, *, roster: bool = True) -> str:
    """Register the station (for the demo area when the roster loaded) and enrol it.

    A roster that cannot be loaded is said on stderr; the demo then goes on without it.
    """
    from sync.enrol import enrol

    area, note = "", ""
    if roster:
        try:
            area = load_demo_roster(gateway)
        except Exception as exc:  # the demo goes on with its own persons; said, never silent
            note = f"；持卡人名册未导入（{getattr(exc, 'message_zh', None) or exc}）"
            print(f"演示数据：{note[1:]}", file=sys.stderr, flush=True)
    token = gateway.register(station_id, area)
    key = enrol(store, gateway.url, token)
    if area:
        n = store.one("SELECT COUNT(*) AS n FROM persons")
        note = f"；已下载本片区（{area}）持卡人名册 {int(n['n']) if n else 0} 人"
    return f"已向本地卡管网关注册本站（服务器密钥 {key.key_id}）{note}"


def pcscd_running() -> bool:
    """pcscd answers (then the emulator goes behind vpcd and the real PC/SC path is used)."""
    try:
        from devices.reader import list_readers

        list_readers()
    except Exception as exc:
        return getattr(exc, "code", "") == "no_reader"
    return True


def start_vpcd_emulator(state: Path) -> subprocess.Popen[bytes] | None:
    """`cardstation card emulate --slot FILE` behind vpcd; None when it does not come up.

    The reader starts empty; the TUI's 模拟插卡 (cardstation/demo_reader.py) writes the slot file
    and this process puts that card in the virtual reader.
    """
    from cardstation.demo_reader import reader_for

    slot = state.parent / "reader-slot.json"
    reader_for(state.parent, slot=slot)  # writes an empty slot before the emulator reads it
    proc = subprocess.Popen(
        cli_argv("card", "emulate", "--kind", "temp-blank", "--state", str(state), "--slot", str(slot)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        try:
            from devices.reader import is_virtual_reader, list_readers

            if any(is_virtual_reader(r) for r in list_readers()):
                return proc
        except Exception:
            pass
        time.sleep(0.3)
    proc.terminate()
    return None


def in_process_card_provider(state: Path) -> Callable[[], Any]:
    """The in-process emulated reader: empty until 模拟插卡 puts a card in (cardstation/demo_reader.py)."""
    from cardstation.demo_reader import reader_for

    return reader_for(state.parent).provider


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def remove_demo_dir(path: Path) -> None:
    """--fresh: remove only what the demo creates (never a directory it did not make)."""
    for name in (
        "station.db",
        "station.db-wal",
        "station.db-shm",
        "gateway.db",
        "gateway.db-wal",
        "gateway.db-shm",
        "card.json",
        "reader-slot.json",
        "roster.csv",
        "demo-photo.jpg",
    ):
        p = path / name
        if p.exists():
            p.unlink()
    cards = path / "cards"  # the emulated cards of 模拟插卡
    if cards.is_dir():
        for f in cards.glob("*.json"):
            f.unlink()
        cards.rmdir()
    keys = path / "keys"
    if keys.is_dir():
        for f in keys.iterdir():
            f.unlink()
        keys.rmdir()
    os.environ.pop("CARDSTATION_DEMO_BUILT", None)
