"""`cardstation run [--ascii] [--no-color]`: the station terminal (also the default command).

Composition root of the TUI: opens the store, reads the station and its province profile,
and hands the app a sealer, a card provider, a reader monitor and a sync engine — each built
lazily, so the login screen paints before pyscard, cryptography or httpx are imported
(cold start, docs/benchmarks.md). Colour choices are applied to the environment before
Textual is imported, because Textual reads them at import time.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline.protocols import CardSession, EnvelopeHeader
    from offline.store import Store
    from tui.config import Config
    from tui.context import AppServices

HELP = "启动服务站终端界面（默认命令）"
MSG_READY_HOOK = "CARDSTATION_READY_FILE"


def add_parser(subparsers: Any) -> None:
    p: argparse.ArgumentParser = subparsers.add_parser("run", help=HELP, description=HELP)
    p.add_argument("--ascii", action="store_true", help="用纯 ASCII 字符画边框（TERM=linux 时自动启用）")
    p.add_argument("--no-color", action="store_true", help="不使用颜色（同 NO_COLOR 环境变量）")
    p.add_argument("--config", help="配置文件路径（默认 $CARDSTATION_CONFIG 或系统配置目录）")
    p.set_defaults(func=_run)


def apply_terminal_env(config: Config) -> None:
    """Colour mode → the environment variables Textual/rich read when imported."""
    if config.colour == "none":
        os.environ["NO_COLOR"] = "1"
    elif config.colour == "16":
        os.environ["TEXTUAL_COLOR_SYSTEM"] = "standard"
    elif config.colour == "256":
        os.environ["TEXTUAL_COLOR_SYSTEM"] = "256"
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


def load_terminal_config(args: argparse.Namespace) -> Config:
    from tui.config import load_config

    config = load_config(Path(args.config) if getattr(args, "config", None) else None)
    if getattr(args, "ascii", False):
        config = config.with_overrides(ascii_borders=True)
    if getattr(args, "no_color", False):
        config = config.with_overrides(colour="none")
    return config


class LazySealer:
    """The station sealer, built on the first business (keeps cryptography out of the cold start)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._inner: Any = None

    def seal(self, header: EnvelopeHeader, payload: bytes, *, compress: bool = True) -> bytes:
        if self._inner is None:
            from cardstation.sealing import station_sealer

            self._inner = station_sealer(self._store)
        result: bytes = self._inner.seal(header, payload, compress=compress)
        return result


def pcsc_card_provider(reader: str | None = None) -> Callable[[], CardSession | None]:
    """A provider that opens a session on the card in the reader, or returns None when no card."""

    def provide() -> CardSession | None:
        from devices.errors import NoCardError
        from devices.session import open_pcsc_session

        try:
            return open_pcsc_session(reader, timeout=1.0)
        except NoCardError:
            return None

    return provide


def pcsc_reader_monitor_for(services_ref: list[Any]) -> Callable[..., Callable[[], None]]:
    """A reader-monitor starter for AppServices.reader_monitor (runs in the app's worker thread).

    It starts the devices ReaderMonitor; on insert it reads the card for the reader panel and
    sets the reader label ('模拟读卡器 测试密钥' for the emulator behind vpcd, else the reader's
    name + '测试密钥': the software SAM only has test keys). Returns stop().
    """

    def start(on_insert: Callable[[Any], None], on_remove: Callable[[], None]) -> Callable[[], None]:
        from devices.reader import ReaderEvent, ReaderMonitor

        def callback(event: ReaderEvent) -> None:
            if services_ref and event.reader:
                label = ("模拟读卡器" if event.emulated else event.reader) + " 测试密钥"
                services_ref[0].reader_label = label
            if event.kind == "card_inserted":
                card = None
                try:
                    from devices.session import open_pcsc_session

                    card = open_pcsc_session(event.reader, timeout=1.0).read_card()
                except Exception:
                    card = None
                on_insert(card)
            elif event.kind in ("card_removed", "reader_removed"):
                on_remove()

        monitor = ReaderMonitor(callback).start()
        return monitor.stop

    return start


class LazySyncEngine:
    """`sync.engine.SyncEngine`, built on the first run (keeps httpx out of the cold start).

    The sync screen sets `on_progress` and calls `run_once()` in a worker thread.
    """

    def __init__(self, store: Store, url: str | None) -> None:
        self.store = store
        self.url = url
        self.on_progress: Any = None
        self._engine: Any = None

    def run_once(self) -> Any:
        if self._engine is None:
            from sync.engine import SyncEngine

            self._engine = SyncEngine(self.store, url=self.url)
        self._engine.on_progress = self.on_progress
        return self._engine.run_once()


def sync_engine_for(store: Store, config: Config) -> Any:
    """The sync engine when the sync package is installed, else None (the screen says so)."""
    import importlib.util

    if importlib.util.find_spec("sync.engine") is None:
        return None
    return LazySyncEngine(store, config.sync_url or None)


def online_check_for(store: Store, config: Config) -> Any:
    """联网核查 through the gateway when the sync package is installed (R-TMP-2), else None."""
    import importlib.util

    if importlib.util.find_spec("sync.verify") is None:
        return None
    from sync.verify import online_checker

    return online_checker(store, config.sync_url or None)


def build_services(
    db_path: Path,
    config: Config,
    *,
    card_provider: Callable[[], CardSession | None] | None = None,
    reader_monitor: Any = None,
    reader_label: str | None = None,
    demo: bool = False,
    demo_accounts: tuple[Any, ...] = (),
    use_pcsc: bool = True,
) -> AppServices:
    """Open the station and build the AppServices (no Textual, no pyscard import here)."""
    from cardstation.wiring import open_station, station_profile
    from tui.context import AppServices, session_origin

    store, station = open_station(db_path)
    services_ref: list[Any] = []
    if card_provider is None and use_pcsc:
        card_provider = pcsc_card_provider()
        reader_monitor = reader_monitor or pcsc_reader_monitor_for(services_ref)
    services = AppServices(
        store=store,
        station=station,
        profile=station_profile(station),
        sealer=LazySealer(store),
        card_provider=card_provider,
        sync_engine=sync_engine_for(store, config),
        reader_label=reader_label if reader_label is not None else "",
        demo=demo,
        demo_accounts=demo_accounts,
        reader_monitor=reader_monitor,
        origin=session_origin(),
        online_check=online_check_for(store, config),
    )
    services_ref.append(services)
    return services


def run_app(services: AppServices, config: Config) -> int:
    """Run the TUI until the operator quits (mouse off: every action has a key)."""
    from tui.app import make_app

    app = make_app(services, config=config)
    app.run(mouse=False)
    return 0


def _run(args: argparse.Namespace) -> int:
    from cardstation.wiring import guarded

    return guarded(_start)(args)


def _start(args: argparse.Namespace) -> int:
    from cardstation.wiring import resolve_db_path

    config = load_terminal_config(args)
    apply_terminal_env(config)
    services = build_services(resolve_db_path(getattr(args, "db", None)), config)
    return run_app(services, config)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_run(argparse.Namespace(db=None, ascii=False, no_color=False, config=None)))
