"""Connect an emulated card to pcscd's virtual reader driver (vsmartcard's vpcd).

vpcd listens on TCP (127.0.0.1:35963 by default, `/etc/reader.conf.d/vpcd`); the
virtual card is the client. Every message is a 2-byte big-endian length and a
payload. A 1-byte payload is a control command - 00 power off, 01 power on, 02 reset,
04 "send your ATR" - and anything longer is a command APDU to answer with the
response APDU. Inserting a card = connecting; removing it = disconnecting. pcscd
then reports a real reader ("Virtual PCD 00 00") to pyscard.

If pcscd (and so vpcd) restarts, the link reconnects by itself.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
from pathlib import Path

from devices.emulator.card import CardGone, EmulatedCard

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 0x8C7B  # 35963, CHANNELID of the Debian vpcd reader.conf
MUTE_ATR = b"\x00"
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04


def vpcd_port_from_config(config_dir: Path = Path("/etc/reader.conf.d")) -> int:
    """The vpcd port from the installed reader.conf (DEVICENAME host:port), or the default."""
    try:
        text = (config_dir / "vpcd").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return DEFAULT_PORT
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "DEVICENAME" and ":" in parts[1]:
            try:
                return int(parts[1].rsplit(":", 1)[1], 0)
            except ValueError:
                return DEFAULT_PORT
    return DEFAULT_PORT


class VpcdLink:
    """One virtual card slot connected to vpcd. Thread-based; `insert`/`remove` from any thread."""

    def __init__(
        self,
        card: EmulatedCard | None = None,
        *,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        retry_delay: float = 0.3,
    ) -> None:
        self.host = host
        self.port = port
        self.retry_delay = retry_delay
        self._card = card
        self._cond = threading.Condition()
        self._stop = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.apdus = 0

    # ------------------------------------------------------------------ control

    @property
    def card(self) -> EmulatedCard | None:
        return self._card

    def start(self) -> VpcdLink:
        self._thread = threading.Thread(target=self.serve_forever, name="vpcd-link", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        self._drop()
        if self._thread is not None:
            self._thread.join(timeout)

    def insert(self, card: EmulatedCard) -> None:
        """Put `card` in the virtual reader (replacing any card there)."""
        self.remove()
        with self._cond:
            card.reset()
            self._card = card
            self._cond.notify_all()

    def remove(self) -> None:
        """Take the card out: disconnect from vpcd."""
        with self._cond:
            self._card = None
            self._cond.notify_all()
        self._drop()

    def _drop(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    # ------------------------------------------------------------------ loop

    def serve_forever(self) -> None:
        """Connect whenever a card is inserted; reconnect after pcscd restarts; until stop()."""
        warned = False
        while True:
            with self._cond:
                while self._card is None and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                card = self._card
            assert card is not None
            try:
                sock = socket.create_connection((self.host, self.port), timeout=2.0)
            except OSError as exc:
                if not warned:
                    log.warning("vpcd not reachable at %s:%d (%s); retrying", self.host, self.port, exc)
                    warned = True
                with self._cond:
                    self._cond.wait(self.retry_delay)
                continue
            warned = False
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self.connected.set()
            log.info("virtual card connected to vpcd %s:%d", self.host, self.port)
            try:
                self._serve(sock, card)
            except OSError as exc:
                log.info("vpcd connection closed: %s", exc)
            finally:
                self._sock = None
                self.connected.clear()
                sock.close()
            with self._cond:
                if self._card is card and not self._stop:
                    self._cond.wait(self.retry_delay)  # vpcd went away: pcscd restarting

    def _serve(self, sock: socket.socket, card: EmulatedCard) -> None:
        while True:
            header = _recv_exact(sock, 2)
            if header is None:
                return
            (length,) = struct.unpack(">H", header)
            payload = _recv_exact(sock, length) if length else b""
            if payload is None:
                return
            if self._card is not card:
                return
            if len(payload) == 1:
                if payload[0] == CTRL_ATR:
                    # A mute card: vpcd treats an empty ATR as "no card", so send a
                    # byte that is no valid ATR - pcscd then reports an unresponsive card.
                    _send(sock, card.atr() or MUTE_ATR)
                elif payload[0] in (CTRL_ON, CTRL_RESET, CTRL_OFF):
                    card.reset()
                continue
            if card.faults.mute:
                continue
            self.apdus += 1
            try:
                answer = card.process(payload)
            except CardGone:
                log.info("emulated card removed mid-operation (fault)")
                with self._cond:
                    if self._card is card:
                        self._card = None
                return
            _send(sock, answer)


def _recv_exact(sock: socket.socket, count: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < count:
        _quickack(sock)
        chunk = sock.recv(count - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _quickack(sock: socket.socket) -> None:
    """Acknowledge at once: vpcd writes length and payload separately, and with Nagle on
    its side plus delayed ACKs on ours every APDU would wait ~40 ms (Linux only)."""
    quickack = getattr(socket, "TCP_QUICKACK", None)
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _send(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload)) + payload)
