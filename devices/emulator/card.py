"""An emulated social-security card that answers APDUs.

It models what the station's code depends on (card-spec.md): the MF / SSSE DDF /
DF01 file tree, EF05/EF06 record files addressed by tag, access conditions (EF06
read needs RK authentication on 3.0 cards, writes need UK), the PIN with its try
counter, key try counters, GET CHALLENGE / EXTERNAL / INTERNAL AUTHENTICATE, PIN
UNBLOCK / RELOAD with MACs, and T=0 behaviour (61xx for case-4 answers, 6Cxx when
Le is wrong) so the reader code's GET RESPONSE handling is exercised.

The card's keys are derived from the TEST master keys exactly as `SoftwareSam`
derives them; `key_variant` gives a card from "another issuer" (wrong keys).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from devices import crypto
from devices.apdu import Apdu, Response
from devices.atr import build_atr
from devices.codec import decode_pin
from devices.emulator.faults import Faults
from devices.emulator.state import CardState, Records
from devices.layout import DF01_AID, DF01_EF05, EF05, EF06, SSSE_NAME, KeyId
from devices.sam import CardIdentity, derive_card_key, software_master_key
from offline.protocols import CardError, CardstationError

log = logging.getLogger(__name__)

MF, SSSE, DF01 = "MF", "SSSE", "DF01"


class CardGone(CardstationError):
    """Raised by `process` when a removal fault fires: the card no longer answers."""

    def __init__(self) -> None:
        super().__init__("卡片已被拔出（模拟读卡器）", code="card_removed")


def _sw(sw: int, data: bytes = b"") -> Response:
    return Response(data, sw)


class EmulatedCard:
    """One emulated card. Thread-safe: the vpcd link and tests may touch it concurrently."""

    def __init__(self, state: CardState, *, path: Path | None = None, faults: Faults | None = None) -> None:
        self.state = state
        self.path = path
        self.faults = faults or Faults()
        self.apdu_log: list[bytes] = []  # headers only (CLA INS P1 P2): never PIN digits
        self._lock = threading.RLock()
        self._keys = self._derive_keys()
        self.reset()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, path: Path, default: CardState | None = None) -> EmulatedCard:
        """Load the card persisted at `path`, or create it from `default` and persist it."""
        if path.exists():
            return cls(CardState.load(path), path=path)
        if default is None:
            raise FileNotFoundError(path)
        card = cls(default, path=path)
        card.persist()
        return card

    def persist(self) -> None:
        if self.path is not None:
            self.state.save(self.path)

    def atr(self) -> bytes:
        if self.faults.mute:
            return b""
        return build_atr(self.state.historical, self.state.protocol)

    def reset(self) -> None:
        """Power-on / warm reset: the volatile state is lost, the files are not."""
        with self._lock:
            self._df = MF
            self._ef: int | None = None
            self._auth: set[int] = set()
            self._challenge: bytes | None = None
            self._pending = b""

    def _identity(self) -> CardIdentity:
        code = self.state.ef05.get(0x01, b"").hex().upper()
        return CardIdentity(code, build_atr(self.state.historical, self.state.protocol), self.state.algorithm)

    def _derive_keys(self) -> dict[int, bytes]:
        identity = self._identity()
        return {
            k.value: derive_card_key(
                software_master_key(k, self.state.algorithm, variant=self.state.key_variant), identity
            )
            for k in KeyId
        }

    # ------------------------------------------------------------------ dispatch

    def process(self, raw: bytes) -> bytes:
        """Answer one command APDU. Raises CardGone when a removal fault fires."""
        with self._lock:
            if self.faults.count_apdu():
                raise CardGone
            self.apdu_log.append(raw[:4])
            try:
                apdu = Apdu.parse(raw)
            except CardError:
                return _sw(0x6700).to_bytes()
            response = self._dispatch(apdu)
            return self._t0_shape(apdu, response).to_bytes()

    def _t0_shape(self, apdu: Apdu, response: Response) -> Response:
        """T=0 transport rules: case-4 answers go through 61xx, case-2 with the wrong Le gets 6Cxx."""
        if self.state.protocol != 0 or not response.data or apdu.ins == 0xC0:
            return response
        if apdu.data:  # case 4: data is fetched with GET RESPONSE
            self._pending = response.data
            return _sw(0x6100 | (len(response.data) & 0xFF))
        if apdu.le is not None and apdu.le != len(response.data) & 0xFF:
            return _sw(0x6C00 | (len(response.data) & 0xFF))
        return response

    def _dispatch(self, a: Apdu) -> Response:
        if a.ins == 0xC0 and a.cla == 0x00:
            return self._get_response(a)
        self._pending = b""
        handlers = {
            (0x00, 0xA4): self._select,
            (0x00, 0xB2): self._read_record,
            (0x00, 0xDC): self._update_record,
            (0x00, 0x84): self._get_challenge,
            (0x00, 0x82): self._external_auth,
            (0x00, 0x88): self._internal_auth,
            (0x00, 0x20): self._verify,
            (0x80, 0x5E): self._change_pin,
            (0x84, 0x24): self._unblock_or_reload,
        }
        handler = handlers.get((a.cla, a.ins))
        if handler is None:
            return _sw(0x6D00 if a.cla in (0x00, 0x80, 0x84) else 0x6E00)
        return handler(a)

    def _get_response(self, a: Apdu) -> Response:
        if not self._pending:
            return _sw(0x6985)
        want = a.le or 256
        chunk, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return _sw(0x6100 | (len(self._pending) & 0xFF), chunk)
        return _sw(0x9000, chunk)

    # ------------------------------------------------------------------ files

    def _records(self) -> Records | None:
        if self._df == SSSE and self._ef == EF05:
            return self.state.ef05
        if self._df == SSSE and self._ef == EF06:
            return self.state.ef06
        if self._df == DF01 and self._ef == DF01_EF05:
            return self.state.df01
        return None

    def _select(self, a: Apdu) -> Response:
        if a.p1 == 0x04:
            if a.data == SSSE_NAME:
                self._df, self._ef, self._auth = SSSE, None, set()
                issuer = bytes((0x86, 0x01, self.state.algorithm.value))
                a5 = bytes((0x88, 0x01, 0x01, 0x9F, 0x0C, len(issuer))) + issuer
                body = bytes((0x84, len(SSSE_NAME))) + SSSE_NAME + bytes((0xA5, len(a5))) + a5
                return _sw(0x9000, bytes((0x6F, len(body))) + body)
            if a.data == DF01_AID and self._df in (SSSE, DF01):
                self._df, self._ef, self._auth = DF01, None, set()
                body = bytes((0x84, len(DF01_AID))) + DF01_AID
                return _sw(0x9000, bytes((0x6F, len(body))) + body)
            return _sw(0x6A82)
        if a.p1 == 0x02 and len(a.data) == 2:
            fid = int.from_bytes(a.data, "big")
            allowed = {SSSE: (EF05, EF06), DF01: (DF01_EF05,)}.get(self._df, ())
            if fid not in allowed:
                return _sw(0x6A82)
            self._ef = fid
            return _sw(0x9000)
        if a.p1 == 0x00 and a.data in (b"", b"\x3f\x00"):
            self._df, self._ef, self._auth = MF, None, set()
            return _sw(0x9000)
        return _sw(0x6A86)

    def _read_record(self, a: Apdu) -> Response:
        records = self._records()
        if records is None:
            return _sw(0x6986)  # no current EF
        if self._ef == EF06 and self.state.version >= 3 and KeyId.RK.value not in self._auth:
            return _sw(0x6982)
        value = records.get(a.p1)
        if value is None:
            return _sw(0x6A83)
        return _sw(0x9000, bytes((a.p1, len(value))) + value)

    def _update_record(self, a: Apdu) -> Response:
        records = self._records()
        if records is None:
            return _sw(0x6986)
        if KeyId.UK.value not in self._auth:
            return _sw(0x6982)
        data = a.data
        if len(data) < 2 or data[0] != a.p1 or data[1] != len(data) - 2:
            return _sw(0x6A85)
        old = records.get(a.p1)
        if old is None:
            return _sw(0x6A83)
        value = data[2:]
        if len(value) > len(old):
            return _sw(0x6A84)
        if len(value) < len(old):
            return _sw(0x6700)
        if self.faults.count_update():
            raise CardGone
        records[a.p1] = bytes(value)
        self.persist()
        return _sw(0x9000)

    # ------------------------------------------------------------------ authentication

    def _get_challenge(self, a: Apdu) -> Response:
        if a.le not in (0x08, 0x00) or a.data:
            return _sw(0x6700)
        self._challenge = os.urandom(8)
        return _sw(0x9000, self._challenge)

    def _external_auth(self, a: Apdu) -> Response:
        key_id = a.p2
        if key_id not in self._keys or key_id == KeyId.IRK.value:
            return _sw(0x6A88)
        if len(a.data) != 16:
            return _sw(0x6700)
        tries = self.state.key_tries.get(key_id, self.state.key_limit)
        if tries <= 0:
            return _sw(0x6983)
        challenge, self._challenge = self._challenge, None
        if challenge is None or a.data[8:] != challenge:
            return _sw(0x6985)
        alg = self.state.algorithm
        sk = crypto.session_key(alg, self._keys[key_id], challenge)
        if crypto.cryptogram(alg, sk, challenge) != a.data[:8]:
            tries -= 1
            self.state.key_tries[key_id] = tries
            self.persist()
            return _sw(0x63C0 | tries)
        if tries != self.state.key_limit:
            self.state.key_tries[key_id] = self.state.key_limit
            self.persist()
        self._auth.add(key_id)
        return _sw(0x9000)

    def _internal_auth(self, a: Apdu) -> Response:
        if self._df != SSSE:
            return _sw(0x6985)
        if len(a.data) != 16:
            return _sw(0x6700)
        alg = self.state.algorithm
        sk = crypto.session_key(alg, self._keys[KeyId.IRK.value], a.data[:8])
        return _sw(0x9000, crypto.cryptogram(alg, sk, a.data[8:]))

    def _session_mac_ok(self, message: bytes, mac: bytes) -> tuple[bool, bytes | None]:
        challenge, self._challenge = self._challenge, None
        if challenge is None:
            return False, None
        sk = crypto.session_key(self.state.algorithm, self._keys[KeyId.PUK.value], challenge)
        return crypto.mac(self.state.algorithm, sk, message) == mac, sk

    # ------------------------------------------------------------------ PIN

    def _pin_status(self) -> Response:
        if self.state.pin_tries <= 0:
            return _sw(0x6983)
        return _sw(0x63C0 | min(self.state.pin_tries, 15))

    def _wrong_pin(self) -> Response:
        self.state.pin_tries = max(0, self.state.pin_tries - 1)
        self.persist()
        return _sw(0x63C0 | min(self.state.pin_tries, 15))

    def _pin_ok(self) -> None:
        if self.state.pin_tries != self.state.pin_limit:
            self.state.pin_tries = self.state.pin_limit
            self.persist()

    def _verify(self, a: Apdu) -> Response:
        if self._df != SSSE:
            return _sw(0x6985)
        if not a.data:
            return self._pin_status()
        if self.state.pin_tries <= 0:
            return _sw(0x6983)
        if decode_pin(a.data) != self.state.pin:
            return self._wrong_pin()
        self._pin_ok()
        return _sw(0x9000)

    def _change_pin(self, a: Apdu) -> Response:
        if self._df != SSSE or a.p1 != 0x01:
            return _sw(0x6A86 if a.p1 != 0x01 else 0x6985)
        if self.state.pin_tries <= 0:
            return _sw(0x6983)
        sep = a.data.find(b"\xff")
        if sep < 0:
            return _sw(0x6A80)
        old, new = decode_pin(a.data[:sep]), decode_pin(a.data[sep + 1 :])
        if old is None or new is None:
            return _sw(0x6A80)
        if old != self.state.pin:
            return self._wrong_pin()
        self.state.pin = new
        self.state.pin_tries = self.state.pin_limit
        self.persist()
        return _sw(0x9000)

    def _unblock_or_reload(self, a: Apdu) -> Response:
        if self._df != SSSE:
            return _sw(0x6985)
        if len(a.data) < 4:
            return _sw(0x6700)
        body, mac = a.data[:-4], a.data[-4:]
        header = bytes((a.cla, a.ins, a.p1, a.p2, len(a.data)))
        if a.p1 != 0x00:
            return _sw(0x6A86)
        if a.p2 == 0x01 and KeyId.PUK.value not in self._auth:
            return _sw(0x6982)
        ok, sk = self._session_mac_ok(header + body, mac)
        if not ok or sk is None:
            return _sw(0x6988)
        if a.p2 == 0x00:
            if body:
                return _sw(0x6700)
            self.state.pin_tries = self.state.pin_limit
        elif a.p2 == 0x01:
            pin_bcd = crypto.decrypt_pin_block(self.state.algorithm, sk, body)
            pin = decode_pin(pin_bcd) if pin_bcd is not None else None
            if pin is None:
                return _sw(0x6A80)
            self.state.pin = pin
            self.state.pin_tries = self.state.pin_limit
        else:
            return _sw(0x6A86)
        self.persist()
        return _sw(0x9000)
