"""What the composition root hands to the TUI: the store, the station, the card, the link.

The app never builds these itself (architecture.md, "composition root"): the CLI
(`cardstation run` / `cardstation demo`) and the tests build an `AppServices` and pass it to
`tui.app.make_app`. Nothing here imports Textual, so the CLI can build it cheaply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from offline import clock
from offline.profiles import Profile
from offline.protocols import CardSession, Sealer
from offline.station import StationInfo
from offline.store import Store

__all__ = ["AppServices", "DemoAccount", "StationInfo", "SyncOutcome", "SyncRunner", "session_origin"]

#: Progress of a sync run: (stage, done, total), called from the runner's thread.
SyncProgress = Callable[[str, int, int], None]


class SyncOutcome(Protocol):
    """What one sync run reports to the screen (`sync.engine.SyncReport`)."""

    @property
    def ok(self) -> bool: ...

    def text_zh(self) -> str: ...


class SyncRunner(Protocol):
    """What the sync screen drives (`sync.engine.SyncEngine`, or the CLI's lazy wrapper of it).

    A Protocol so that `tui/` needs no import of `sync.engine` (and of its HTTP client) to type it.
    """

    on_progress: SyncProgress | None

    def run_once(self) -> SyncOutcome: ...


@dataclass(frozen=True)
class DemoAccount:
    """A demo operator whose password the login screen may show (demo mode only)."""

    username: str
    password: str
    real_name: str
    role: str


@dataclass
class AppServices:
    """Everything the app needs; fields after `demo` are optional additions with safe defaults.

    - `card_provider()` returns the card session of the card in the reader, or None when no card
      is present; `card_provider` itself is None when the terminal has no reader at all.
    - `sync_engine` is a `sync.engine.SyncEngine` (or None when no link is configured); the sync
      screen runs it in a thread worker.
    - `reader_label` is what the status bar shows about the reader: the reader's name, or the
      plain flags '模拟读卡器' / '测试密钥' when the emulator / software SAM is in use.
    - `now` is injectable so snapshot tests are deterministic.
    - `reader_monitor(on_insert, on_remove)` starts watching the reader (devices/ provides it) and
      returns a stop function; callbacks run in the monitor's thread.
    """

    store: Store
    station: StationInfo
    profile: Profile
    sealer: Sealer
    card_provider: Callable[[], CardSession | None] | None = None
    sync_engine: SyncRunner | None = None
    reader_label: str = ""
    demo: bool = False
    demo_accounts: tuple[DemoAccount, ...] = ()
    now: Callable[[], datetime] = field(default=clock.now)
    reader_monitor: Callable[[Callable[[Any], None], Callable[[], None]], Callable[[], None]] | None = None
    origin: str = ""  # where this session comes from (tty or SSH client), for the sessions list
    #: The composition root's top-level handler: an unexpected error → Chinese message (logged
    #: without personal data). The app shows that instead of Textual's traceback with locals.
    on_error: Callable[[BaseException], str] | None = None
    #: starts background sync (`auto_sync(on_report, on_progress)` → handle with request()/stop());
    #: None when no link is configured. Built by the composition root (cardstation/commands/run.py).
    auto_sync: Callable[[Callable[[Any], None], Callable[[str, int, int], None]], Any] | None = None
    #: demo and emulated reader only: the 模拟插卡 picker's reader (cardstation/demo_reader.py)
    demo_reader: Any | None = None
    #: 联网核查 (R-TMP-2): ssn → (passed | failed | pending, Chinese reason); None = always pending.
    online_check: Callable[[str], tuple[str, str]] | None = None
    #: The station's current profile (bundled, or the card management system's update once sync
    #: stored one): asked before each business so an update applies without a restart. None: fixed.
    profile_loader: Callable[[], Profile] | None = None

    def current_profile(self) -> Profile:
        """`profile`, refreshed from `profile_loader` (a settings read; the parse is cached)."""
        if self.profile_loader is not None:
            self.profile = self.profile_loader()
        return self.profile

    @property
    def emulated(self) -> bool:
        """True when the reader or the keys are not real (the UI says so plainly)."""
        return "模拟" in self.reader_label or "测试" in self.reader_label


def session_origin() -> str:
    """Where this TUI runs: the SSH client address when over SSH, else the tty name."""
    import os

    ssh = os.environ.get("SSH_CLIENT") or os.environ.get("SSH_CONNECTION")
    if ssh:
        return "ssh " + ssh.split()[0]
    try:
        return os.ttyname(0)
    except OSError:
        return "local"
