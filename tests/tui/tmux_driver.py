"""Drive the real `cardstation` binary in tmux: send keys, capture the pane, wait for text.

Shared by the shell's and the business screens' end-to-end tests. Each driver uses its own tmux
server socket (`tmux -L <unique>`), so tests never touch anyone's tmux sessions, and kills only
that server when closed.

    make_demo(d, persons=8)
    with TmuxDriver.start([CARDSTATION, "demo", "--dir", str(d)], cwd=d) as tm:
        home = tm.login()          # the demo's clerk, as the login screen shows
        k = Keys(tm)               # paced keys, as a clerk types
        k.keys("F2"); k.type("张三"); k.pick(1)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]
CARDSTATION = str(ROOT / ".venv" / "bin" / "cardstation")
#: The demo's clerk (shown on the demo's login screen).
DEMO_USER = "wangxh"
DEMO_PASSWORD = "demo-pass-1"


def tmux_available() -> bool:
    return shutil.which("tmux") is not None


class TmuxDriver:
    """One tmux server + session running one command at a fixed size (default 80x24)."""

    def __init__(self, socket: str, session: str = "t") -> None:
        self.socket = socket
        self.session = session

    @classmethod
    def start(
        cls,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        width: int = 80,
        height: int = 24,
        term: str = "xterm-256color",
    ) -> TmuxDriver:
        drv = cls(f"cardstation-test-{uuid.uuid4().hex[:8]}")
        full_env = {**os.environ, **(env or {}), "TERM": term}
        # A pcscd started by another test for its own use is not the station's reader.
        full_env.pop("PCSCLITE_CSOCK_NAME", None)
        command = " ".join(_quote(a) for a in argv)
        # Keep the pane after the program exits so a crash's last screen can still be captured.
        subprocess.run(
            [
                "tmux",
                "-L",
                drv.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                drv.session,
                "-x",
                str(width),
                "-y",
                str(height),
                "-c",
                str(cwd or ROOT),
                command,
            ],
            check=True,
            env=full_env,
        )
        drv._tmux("set-option", "-t", drv.session, "remain-on-exit", "on")
        return drv

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        return out.stdout

    def keys(self, *keys: str) -> None:
        """tmux key names: 'Enter', 'Tab', 'Escape', 'F2', 'C-p', 'Down' ..."""
        self._tmux("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        """Literal text (Chinese works: tmux sends UTF-8)."""
        self._tmux("send-keys", "-t", self.session, "-l", text)

    def capture(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.session)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Poll the pane until `text` shows; returns the screen. Fails with the last screen."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.capture()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen after {timeout}s; screen was:\n{screen}")

    def login(
        self,
        user: str = DEMO_USER,
        password: str = DEMO_PASSWORD,
        *,
        timeout: float = 90.0,
        home: float = 30.0,
    ) -> str:
        """Log in from the login screen as a person would; returns the home screen."""
        self.wait_for("操作员登录", timeout=timeout)
        self.type(user)
        self.keys("Enter")
        self.type(password)
        self.keys("Enter")
        return self.wait_for("业务菜单", timeout=home)

    def close(self) -> None:
        self._tmux("kill-server")

    def __enter__(self) -> TmuxDriver:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Keys:
    """Paced input: a real clerk does not send 20 keys in one write, and a key that arrives in
    the same read as a burst of typed text can be taken as part of it."""

    def __init__(self, tm: TmuxDriver, pause: float = 0.15) -> None:
        self.tm = tm
        self.pause = pause

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tm.keys(key)
            time.sleep(self.pause)

    def type(self, text: str) -> None:
        self.tm.type(text)
        time.sleep(self.pause * 2)

    def __call__(self, *steps: str) -> None:
        """A script of steps: tmux key names, or `t:text` for typed text."""
        for step in steps:
            if step.startswith("t:"):
                self.type(step[2:])
            else:
                self.keys(step)

    def pick(self, downs: int) -> None:
        """A compact select: Enter opens the list, ↓ n times, Enter takes it."""
        self.keys("Enter", *(["Down"] * downs), "Enter")

    def pick_first(self) -> None:
        self.pick(1)


def make_demo(demo: Path, *, persons: int, timeout: float = 300.0, cwd: Path | None = None) -> None:
    """The demo's data set up without its TUI (`cardstation demo --no-tui`), as the manual's §10 does."""
    subprocess.run(
        [CARDSTATION, "demo", "--dir", str(demo), "--persons", str(persons), "--no-tui"],
        check=True,
        capture_output=True,
        timeout=timeout,
        cwd=cwd,
    )


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
