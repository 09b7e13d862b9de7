"""`cardstation run [--ascii] [--no-color]`: the station terminal (also the default command).

Composition root of the TUI: opens the store, reads the station and its province profile,
and hands the app a sealer, a card provider, a reader monitor and a sync engine — each built
lazily, so the login screen paints before pyscard, cryptography or httpx are imported
(cold start, docs/benchmarks.md). Colour choices are applied to the environment before
Textual is imported, because Textual reads them at import time.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offline.protocols import CardSession, EnvelopeHeader
    from offline.store import Store
    from sync.engine import SyncEngine, SyncReport
    from tui.config import Config
    from tui.context import AppServices, SyncProgress, SyncRunner

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
        self.on_progress: SyncProgress | None = None
        self._engine: SyncEngine | None = None

    def engine(self) -> SyncEngine:
        """The real engine (built once; the auto-sync runner and the sync screen share it)."""
        if self._engine is None:
            from sync.engine import SyncEngine

            self._engine = SyncEngine(self.store, url=self.url)
        return self._engine

    def run_once(self) -> SyncReport:
        engine = self.engine()
        engine.on_progress = self.on_progress
        return engine.run_once()


class AutoSyncHandle:
    """What the TUI's auto-sync holds: `request()` a run now, `stop()` at exit."""

    def __init__(self, daemon: Any, stop: Callable[[], None]) -> None:
        self._daemon = daemon
        self.stop = stop

    def request(self) -> None:
        self._daemon.request()


#: The TUI's background sync: a run at most this often on the timer (the daemon's default is 300 s)
AUTO_SYNC_INTERVAL_S = 120.0
AUTO_SYNC_PROBE_S = 15.0


def auto_sync_for(
    lazy: LazySyncEngine, *, interval_s: float = AUTO_SYNC_INTERVAL_S, probe_s: float = AUTO_SYNC_PROBE_S
) -> Callable[[Callable[[Any], None], Callable[[str, int, int], None]], AutoSyncHandle | None]:
    """A starter for AppServices.auto_sync: the sync daemon's loop in a thread of the TUI process.

    It shares the sync screen's engine (one run at a time in-process) and the store's runner lease
    with `cardstation sync --daemon` in another process, so an envelope is never uploaded by both.
    Called from a worker thread: importing httpx and cryptography stays off the first paint.
    """

    def start(
        on_report: Callable[[Any], None], on_progress: Callable[[str, int, int], None]
    ) -> AutoSyncHandle | None:
        from sync.daemon import DaemonConfig, SyncDaemon

        if not (lazy.url or lazy.store.setting("sync_url")):
            return None  # not enrolled: nothing to sync with (the sync screen says so)
        engine = lazy.engine()
        engine.on_progress = on_progress
        lazy.on_progress = on_progress
        daemon = SyncDaemon(
            lazy.store,
            url=lazy.url,
            engine=engine,
            config=DaemonConfig(interval_s=interval_s, probe_interval_s=probe_s),
            on_report=on_report,
        )
        return AutoSyncHandle(daemon, daemon.run_in_thread())

    return start


def sync_engine_for(store: Store, config: Config) -> SyncRunner:
    """The station's sync engine, built on its first run."""
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
    from cardstation.failures import report
    from cardstation.wiring import open_station, station_profile
    from tui.context import AppServices, session_origin

    store, station = open_station(db_path)
    engine = sync_engine_for(store, config)
    services_ref: list[Any] = []
    if card_provider is None and use_pcsc:
        card_provider = pcsc_card_provider()
        reader_monitor = reader_monitor or pcsc_reader_monitor_for(services_ref)
    services = AppServices(
        store=store,
        station=station,
        profile=station_profile(store, station),
        profile_loader=lambda: station_profile(store, station),
        sealer=LazySealer(store),
        card_provider=card_provider,
        sync_engine=engine,
        auto_sync=auto_sync_for(engine) if isinstance(engine, LazySyncEngine) else None,
        reader_label=reader_label if reader_label is not None else "",
        demo=demo,
        demo_accounts=demo_accounts,
        reader_monitor=reader_monitor,
        origin=session_origin(),
        on_error=lambda exc: report(exc, db_path, "tui")[0],
        online_check=online_check_for(store, config),
    )
    if demo:  # 模拟插卡: the demo's emulated reader, when the demo set one up for this directory
        from cardstation.demo_reader import registered

        services.demo_reader = registered(db_path.parent)
    services_ref.append(services)
    return services


def run_app(services: AppServices, config: Config) -> int:
    """Run the TUI until the operator quits (mouse off: every action has a key)."""
    from cardstation.logs import setup as setup_logging
    from tui.app import make_app

    # Receipts, reports, drafts and logs the terminal writes name persons: owner-only (R-SEC-1).
    os.umask(0o077)
    setup_logging(services.store.path.parent, level=logging.WARNING)  # never onto the screen
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
