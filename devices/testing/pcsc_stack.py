"""A real PC/SC stack for tests: pcscd + the vpcd driver + the card emulator.

    from devices.testing.pcsc_stack import pcsc_stack
    from devices.emulator import EmulatedCard, make_kind

    with pcsc_stack(EmulatedCard(make_kind("formal"))) as stack:
        session = stack.session()          # CardSessionImpl through pyscard -> pcscd
        stack.remove(); stack.insert(card)  # card removal / insertion, as pcscd sees it

Isolation: when `unshare` works (root, or user namespaces), pcscd runs in a private
mount namespace with its own `/run/pcscd` and its own reader.conf.d on a free port, so
test runs of several suites (or a station's own pcscd) never collide. Clients find it
through PCSCLITE_CSOCK_NAME, which libpcsclite reads once per process: the socket
directory is therefore fixed per process, and the stack must start before the process
makes any other PC/SC call. Without `unshare` the harness falls back to the system
pcscd - reusing a running one, or starting `pcscd --foreground` itself.

`unavailable_reason()` tells a conftest whether the stack can run at all; test suites
must fail (not skip) when it cannot and CI=true.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devices.emulator.card import EmulatedCard
from devices.emulator.vpcd import VpcdLink, vpcd_port_from_config
from devices.sam import SecurityModule
from devices.session import CardSessionImpl

READER = "Virtual PCD 00 00"
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")


class StackError(RuntimeError):
    """The stack could not be brought up (the message says why, with pcscd's log tail)."""


def _pcscd_binary() -> str | None:
    return shutil.which("pcscd") or next(
        (p for p in ("/usr/sbin/pcscd", "/usr/local/sbin/pcscd") if os.path.exists(p)), None
    )


def _vpcd_driver() -> str | None:
    for pattern in (
        "/usr/lib/pcsc/drivers/*/libifdvpcd.so*",
        "/usr/lib/*/pcsc/drivers/*/libifdvpcd.so*",
        "/usr/local/lib/pcsc/drivers/*/libifdvpcd.so*",
    ):
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def unavailable_reason() -> str | None:
    """None when pcscd and the vpcd driver are installed, else what is missing."""
    if _pcscd_binary() is None:
        return "pcscd is not installed (Debian package pcscd)"
    if _vpcd_driver() is None:
        return "the vpcd driver is not installed (Debian package vsmartcard-vpcd)"
    return None


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        done = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "true"], capture_output=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _free_port_pair() -> int:
    """A port p with p and p+1 free (vpcd opens two slots)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        try:
            with socket.socket() as s2:
                s2.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s2.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        return port
    raise StackError("no free TCP port pair for vpcd")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _system_pcscd_running() -> bool:
    try:
        pid = int(Path("/run/pcscd/pcscd.pid").read_text().strip())
    except (OSError, ValueError):
        return False
    return SYSTEM_SOCKET.exists() and _pid_alive(pid)


@dataclass
class PcscStack:
    """A running stack: pcscd (ours or the system's), one virtual reader and its card slot."""

    port: int
    link: VpcdLink
    socket_path: Path
    isolated: bool
    log_path: Path | None = None
    reader: str = READER
    _pcscd: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def session(self, sam: SecurityModule | None = None, *, timeout: float = 5.0) -> CardSessionImpl:
        """A card session through pyscard and pcscd on the virtual reader."""
        from devices.session import open_pcsc_session

        return open_pcsc_session(self.reader, sam, timeout=timeout)

    def insert(self, card: EmulatedCard, *, timeout: float = 5.0) -> None:
        """Put `card` in the reader and wait until pcscd reports it present."""
        self.link.insert(card)
        self.wait_card(True, atr=card.atr(), timeout=timeout)

    def remove(self, *, timeout: float = 5.0) -> None:
        """Take the card out and wait until pcscd reports the reader empty."""
        self.link.remove()
        self.wait_card(False, timeout=timeout)

    def card_present(self) -> bool:
        from smartcard import scard

        from devices.reader import _context, reader_status

        hcontext = _context()
        try:
            status = reader_status(hcontext, [self.reader])
        finally:
            scard.SCardReleaseContext(hcontext)
        return bool(status and status[0].present)

    def wait_card(self, present: bool, *, atr: bytes | None = None, timeout: float = 5.0) -> None:
        from smartcard import scard

        from devices.reader import _context, reader_status

        deadline = time.monotonic() + timeout
        hcontext = _context()
        try:
            while True:
                status = reader_status(hcontext, [self.reader])
                if status and status[0].present == present and (atr is None or status[0].atr == atr):
                    return
                if time.monotonic() > deadline:
                    raise StackError(f"reader did not become {'full' if present else 'empty'}: {status}")
                time.sleep(0.05)
        finally:
            scard.SCardReleaseContext(hcontext)

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _socket_dir() -> Path:
    """Fixed per process: libpcsclite caches the socket name on first use."""
    return Path(f"/tmp/cardstation-pcscd-{os.getpid()}")


def _start_isolated() -> tuple[subprocess.Popen[bytes], Path, int, Path]:
    base = _socket_dir()
    run_dir, conf_dir = base / "run", base / "conf"
    for stale in (run_dir / "pcscd.comm", run_dir / "pcscd.pid"):
        stale.unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    conf_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port_pair()
    driver = _vpcd_driver()
    (conf_dir / "vpcd").write_text(
        f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x{port:04X}\n'
        f"LIBPATH      {driver}\nCHANNELID    0x{port:04X}\n"
    )
    log_path = base / "pcscd.log"
    Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
    script = f"mount --bind {run_dir} /run/pcscd && exec {_pcscd_binary()} --foreground -c {conf_dir}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return proc, run_dir / "pcscd.comm", port, log_path


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@contextlib.contextmanager
def pcsc_stack(
    card: EmulatedCard | None = None, *, isolated: bool | None = None, timeout: float = 15.0
) -> Iterator[PcscStack]:
    """Start pcscd + vpcd + the emulator link (with `card` inserted), yield, tear down."""
    reason = unavailable_reason()
    if reason is not None:
        raise StackError(reason)
    if isolated is None:
        isolated = _can_unshare()
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    # Children started during the stack's life see its socket; afterwards the environment is as
    # it was, so a later test's subprocesses (a demo in tmux ...) never reach a stopped pcscd.
    saved_socket = os.environ.get("PCSCLITE_CSOCK_NAME")
    if isolated:
        proc, socket_path, port, log_path = _start_isolated()
        os.environ["PCSCLITE_CSOCK_NAME"] = str(socket_path)
    else:
        socket_path, port = SYSTEM_SOCKET, vpcd_port_from_config()
        os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        if not _system_pcscd_running():
            log_path = Path(f"/tmp/cardstation-pcscd-{os.getpid()}.log")
            with log_path.open("wb") as log:
                proc = subprocess.Popen(
                    [str(_pcscd_binary()), "--foreground"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
    link = VpcdLink(card, port=port)
    stack = PcscStack(port, link, socket_path, isolated, log_path, _pcscd=proc)
    try:
        _wait_ready(stack, proc, timeout)
        link.start()
        if card is not None:
            stack.wait_card(True, atr=card.atr(), timeout=timeout)
        yield stack
    except StackError as exc:
        raise StackError(f"{exc}\n--- pcscd log ---\n{stack.log_tail()}") from exc
    finally:
        link.stop()
        # A test may have restarted pcscd (stack._pcscd is then the new process): stop both.
        for running in {id(p): p for p in (proc, stack._pcscd) if p is not None}.values():
            _stop(running)
        if isolated:
            shutil.rmtree(_socket_dir(), ignore_errors=True)
        if saved_socket is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = saved_socket


def _wait_ready(stack: PcscStack, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    from devices.reader import list_readers
    from offline.protocols import CardError

    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StackError(f"pcscd exited with status {proc.returncode}")
        if stack.socket_path.exists():
            try:
                if stack.reader in list_readers():
                    return
                last = "virtual reader not listed"
            except CardError as exc:
                last = exc.code
        time.sleep(0.05)
    raise StackError(f"pcscd not ready after {timeout:.0f} s ({last})")
