"""The vpcd wire protocol of the emulator link, against a fake vpcd (no pcscd needed)."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.emulator import EmulatedCard, Faults, make_kind
from devices.emulator.vpcd import MUTE_ATR, VpcdLink, vpcd_port_from_config


def send(conn: socket.socket, payload: bytes) -> None:
    conn.sendall(struct.pack(">H", len(payload)) + payload)


def recv(conn: socket.socket) -> bytes:
    header = conn.recv(2, socket.MSG_WAITALL)
    (length,) = struct.unpack(">H", header)
    return conn.recv(length, socket.MSG_WAITALL) if length else b""


@pytest.fixture
def server() -> Iterator[socket.socket]:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(5)
    yield srv
    srv.close()


def test_link_answers_atr_and_apdus_and_reconnects(server: socket.socket) -> None:
    card = EmulatedCard(make_kind("formal-v3"))
    link = VpcdLink(card, port=server.getsockname()[1], retry_delay=0.05).start()
    try:
        conn, _ = server.accept()
        send(conn, b"\x04")
        assert recv(conn) == card.atr()
        send(conn, b"\x01")  # power on: no answer expected
        send(conn, bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF00"))
        assert recv(conn)[-2:] == b"\x90\x00"
        conn.close()  # pcscd restarting: the link connects again by itself
        again, _ = server.accept()
        send(again, b"\x04")
        assert recv(again) == card.atr()
        link.remove()  # card removed = connection closed
        assert again.recv(2) == b""
        again.close()
    finally:
        link.stop()


def test_mute_card_sends_an_invalid_atr_and_no_answers(server: socket.socket) -> None:
    card = EmulatedCard(make_kind("formal"), faults=Faults(mute=True))
    link = VpcdLink(card, port=server.getsockname()[1]).start()
    try:
        conn, _ = server.accept()
        send(conn, b"\x04")
        assert recv(conn) == MUTE_ATR
        conn.close()
    finally:
        link.stop()


def test_removal_fault_closes_the_connection_mid_command(server: socket.socket) -> None:
    card = EmulatedCard(make_kind("formal"), faults=Faults(remove_after_apdus=1))
    link = VpcdLink(card, port=server.getsockname()[1]).start()
    try:
        conn, _ = server.accept()
        send(conn, bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF"))
        assert recv(conn)[-2:] == b"\x61\x1e"  # T=0 card: 61xx
        send(conn, bytes.fromhex("00C000001E"))
        assert conn.recv(2) == b""  # gone without an answer
        assert link.card is None
        conn.close()
    finally:
        link.stop()


def test_vpcd_port_comes_from_reader_conf(tmp_path: Path) -> None:
    conf = tmp_path / "vpcd"
    conf.write_text('FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x9C7B\n')
    assert vpcd_port_from_config(tmp_path) == 0x9C7B
    assert vpcd_port_from_config(tmp_path / "none") == 0x8C7B
