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
    """The local reference gateway as a subprocess (`cardstation gateway serve --demo`)."""

    def __init__(self, db: Path, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        self.proc = subprocess.Popen(
            cli_argv("gateway", "serve", "--db", str(self.db), "--port", str(self.port), "--demo"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
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

    def register(self, station_id: str) -> str:
        out = subprocess.run(
            cli_argv("gateway", "register-station", "--db", str(self.db), "--station-id", station_id),
            capture_output=True,
            check=True,
            text=True,
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

    def receive() -> str:
        from offline.services.stock import ReceiveInput, receive_cards, shipped_cards

        numbers = shipped_cards(store)
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
    # A few applications of today stay unsent, so the status bar shows a queue and its age.
    _step(report, "今日申领", lambda: apply_batch(5, lambda i: now - timedelta(minutes=90 - i * 10)))
    return report


def enrol_station(store: Store, gateway: Gateway, station_id: str) -> str:
    from sync.enrol import enrol

    token = gateway.register(station_id)
    key = enrol(store, gateway.url, token)
    return f"已向本地卡管网关注册本站（服务器密钥 {key.key_id}）"


def pcscd_running() -> bool:
    """pcscd answers (then the emulator goes behind vpcd and the real PC/SC path is used)."""
    try:
        from devices.reader import list_readers

        list_readers()
    except Exception as exc:
        return getattr(exc, "code", "") == "no_reader"
    return True


def start_vpcd_emulator(state: Path) -> subprocess.Popen[bytes] | None:
    """`cardstation card emulate --state FILE` behind vpcd; None when it does not come up."""
    proc = subprocess.Popen(
        cli_argv("card", "emulate", "--kind", "temp-blank", "--state", str(state)),
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
    """A provider that always finds the demo's emulated (blank temporary) card in the 'reader'."""
    from devices import open_emulated_session
    from devices.emulator import EmulatedCard, make_kind

    card = EmulatedCard.open(state, make_kind("temp-blank"))

    def provide() -> Any:
        return open_emulated_session(card)

    return provide


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
    ):
        p = path / name
        if p.exists():
            p.unlink()
    keys = path / "keys"
    if keys.is_dir():
        for f in keys.iterdir():
            f.unlink()
        keys.rmdir()
    os.environ.pop("CARDSTATION_DEMO_BUILT", None)
