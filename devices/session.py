"""Card operations: `CardSessionImpl` implements `offline.protocols.CardSession`.

One class serves every transport: over pcscd (`open_pcsc_session`) and over the
in-process emulator (`open_emulated_session`, devices.emulator). Each operation
starts from SELECT SSSE, so it does not depend on what a previous, possibly
interrupted, operation left selected or authenticated.

Writes are idempotent: personalisation writes only the items that differ from the
target (a half-written card of the same holder is completed, never rejected), erase
always rewrites every item with padding. Every written item is read back and compared,
and the whole card is read again at the end; any difference raises
CardError('write_verify_failed'). The write-intent journal belongs to the service
layer; `classify_written` tells it what a card holds after an interruption.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from devices.apdu import Apdu
from devices.codec import decode_record, encode_pin, encode_record, find_ber
from devices.errors import (
    CardFileNotFoundError,
    CardNotBlankError,
    InvalidValueError,
    PinBlockedError,
    RecordNotFoundError,
    UnknownCardError,
    WriteVerifyError,
)
from devices.layout import (
    BY_KEY,
    DF01_AID,
    PERSONALISE_ORDER,
    SSSE_NAME,
    Algorithm,
    DataItem,
    FileName,
    KeyId,
    file_id,
    items_of,
    version_number,
)
from devices.records import (
    blank_values,
    decode_card,
    decode_item,
    encode_item,
    holder_values,
    is_blank,
    validate_date,
)
from devices.sam import CardIdentity, SecurityModule
from devices.transport import CardChannel, Transport
from offline.protocols import CardError, ChipCard, ChipHolder, PinState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _CardContext:
    identity: CardIdentity
    version: int


class CardSessionImpl:
    """CardSession over any Transport and SecurityModule."""

    def __init__(self, transport: Transport, sam: SecurityModule, *, emulated: bool = False) -> None:
        self.channel = CardChannel(transport)
        self.sam = sam
        self.emulated = emulated
        self._context: _CardContext | None = None
        if sam.test_keys:
            log.warning("card session uses %s (测试密钥)", sam.label)

    @property
    def apdu_count(self) -> int:
        return self.channel.apdu_count

    # ------------------------------------------------------------------ primitives

    def _select_ssse(self) -> Algorithm | None:
        """SELECT the SSSE DDF; any failure means this is not a social-security card."""
        try:
            fci = self.channel.call(Apdu(0x00, 0xA4, 0x04, 0x00, SSSE_NAME, le=0x00))
        except CardError as exc:
            if exc.code in ("card_removed", "mute_card", "no_card", "reader_unplugged", "no_pcscd"):
                raise
            raise UnknownCardError(detail=exc.code) from exc
        try:
            alg = find_ber(fci, (0x6F, 0xA5, 0x9F0C, 0x86)) if fci else None
        except CardError:
            alg = None
        if alg and alg[0] in (a.value for a in Algorithm):
            return Algorithm(alg[0])
        return None

    def _select_ef(self, fid: int) -> None:
        self.channel.call(Apdu(0x00, 0xA4, 0x02, 0x00, fid.to_bytes(2, "big")))

    def _select_df01(self) -> None:
        self.channel.call(Apdu(0x00, 0xA4, 0x04, 0x00, DF01_AID, le=0x00))

    def _read_item(self, item: DataItem) -> bytes:
        raw = self.channel.call(Apdu(0x00, 0xB2, item.tag, 0x00, le=0x00))
        return decode_record(raw, item.tag)[1]

    def _update_item(self, item: DataItem, value: bytes) -> None:
        """UPDATE RECORD by tag, then READ RECORD and compare (every write is verified)."""
        self.channel.call(Apdu(0x00, 0xDC, item.tag, 0x00, encode_record(item.tag, value)))
        back = self._read_item(item)
        if back != value:
            raise WriteVerifyError(detail=f"tag {item.tag:02X}")

    def _challenge(self) -> bytes:
        challenge = self.channel.call(Apdu(0x00, 0x84, 0x00, 0x00, le=0x08))
        if len(challenge) != 8:
            raise UnknownCardError(detail="GET CHALLENGE did not return 8 bytes")
        return challenge

    def _external_auth(self, ctx: _CardContext, key_id: KeyId) -> None:
        challenge = self._challenge()
        auth = self.sam.external_auth(ctx.identity, key_id, challenge)
        self.channel.call(Apdu(0x00, 0x82, 0x00, key_id.value, auth + challenge), "key")

    def _open(self) -> _CardContext:
        """SELECT SSSE and learn the card's identity (card id code, version, algorithm, ATR)."""
        alg = self._select_ssse()
        if self._context is None:
            self._select_ef(file_id("EF05"))
            card_id = decode_item(BY_KEY["card_id_code"], self._read_item(BY_KEY["card_id_code"]))
            version = version_number(decode_item(BY_KEY["version"], self._read_item(BY_KEY["version"])))
            if alg is None:
                alg = Algorithm.SM4 if version >= 3 else Algorithm.TDES
            identity = CardIdentity(card_id, self.channel.atr(), alg)
            self._context = _CardContext(identity, version)
        return self._context

    def _read_file(self, file: FileName, version: int) -> dict[str, bytes]:
        self._select_ef(file_id(file))
        out: dict[str, bytes] = {}
        for item in items_of(file, version):
            try:
                out[item.key] = self._read_item(item)
            except RecordNotFoundError:
                if item.min_version > 1:  # a 2.0 card personalised without 4E
                    out[item.key] = item.blank()
                else:
                    raise
        return out

    def _read_home_region(self) -> str:
        try:
            self._select_df01()
            self._select_ef(file_id("DF01"))
            return decode_item(BY_KEY["home_region"], self._read_item(BY_KEY["home_region"]))
        except (CardFileNotFoundError, RecordNotFoundError):
            return ""

    # ------------------------------------------------------------------ CardSession

    def read_card(self) -> ChipCard:
        """SELECT SSSE, read EF05, (3.0: external auth with RK), read EF06 by tag, read DF01."""
        ctx = self._open()
        ef05 = self._read_file("EF05", ctx.version)
        if ctx.version >= 3:
            self._external_auth(ctx, KeyId.RK)
        ef06 = self._read_file("EF06", ctx.version)
        home = self._read_home_region()
        return decode_card(ef05, ef06, home, emulated=self.emulated, test_keys=self.sam.test_keys)

    def check_genuine(self) -> bool:
        """INTERNAL AUTHENTICATE `00 88 00 00 10 <factor 8><data 8>`, checked by the SAM (R-ISS-3)."""
        ctx = self._open()
        factor, data = os.urandom(8), os.urandom(8)
        try:
            answer = self.channel.call(Apdu(0x00, 0x88, 0x00, 0x00, factor + data, le=0x00))
        except CardError as exc:
            if exc.code in ("card_removed", "mute_card", "no_card", "reader_unplugged", "no_pcscd"):
                raise
            log.warning("internal authentication refused: %s", exc.code)
            return False
        return self.sam.check_internal_auth(ctx.identity, factor, data, answer)

    def pin_state(self) -> PinState:
        """VERIFY without data: 63Cx = x tries left, 6983 = blocked. tries_left = -1 when unknown."""
        self._open()
        response = self.channel.send(Apdu(0x00, 0x20, 0x00, 0x00))
        if response.sw == 0x6983:
            return PinState(tries_left=0, blocked=True)
        if response.sw1 == 0x63 and response.sw2 & 0xF0 == 0xC0:
            tries = response.sw2 & 0x0F
            return PinState(tries_left=tries, blocked=tries == 0)
        if response.ok:
            return PinState(tries_left=-1, blocked=False)
        response.check("pin")
        raise AssertionError("unreachable")  # pragma: no cover

    def verify_pin(self, pin: str) -> None:
        self._open()
        self.channel.call(Apdu(0x00, 0x20, 0x00, 0x00, encode_pin(pin), sensitive=True), "pin")

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        """CHANGE PIN `80 5E 01 00 Lc old FF new`."""
        old, new = encode_pin(old_pin), encode_pin(new_pin)
        self._open()
        self.channel.call(Apdu(0x80, 0x5E, 0x01, 0x00, old + b"\xff" + new, sensitive=True), "pin")

    def unblock_pin(self) -> None:
        """PIN UNBLOCK `84 24 00 00 04 MAC` with the PUK session key: resets the try counter."""
        ctx = self._open()
        challenge = self._challenge()
        header = bytes((0x84, 0x24, 0x00, 0x00, 0x04))
        mac = self.sam.command_mac(ctx.identity, KeyId.PUK, challenge, header)
        self.channel.call(Apdu(0x84, 0x24, 0x00, 0x00, mac), "key")
        state = self.pin_state()
        if state.blocked:
            raise PinBlockedError(tries_left=0)

    def reload_pin(self, new_pin: str) -> None:
        """PIN RELOAD `84 24 00 01 Lc enc(PIN) MAC` after external authentication with PUK."""
        pin_bcd = encode_pin(new_pin)
        ctx = self._open()
        self._external_auth(ctx, KeyId.PUK)
        challenge = self._challenge()
        block = self.sam.encrypt_pin(ctx.identity, KeyId.PUK, challenge, pin_bcd)
        header = bytes((0x84, 0x24, 0x00, 0x01, len(block) + 4))
        mac = self.sam.command_mac(ctx.identity, KeyId.PUK, challenge, header + block)
        self.channel.call(Apdu(0x84, 0x24, 0x00, 0x01, block + mac, sensitive=True), "key")

    def _write_items(
        self, ctx: _CardContext, targets: dict[str, bytes], current: dict[str, bytes] | None
    ) -> None:
        """Authenticate (RK on 3.0 so items can be read back, UK to write) and write in order.

        Items whose `current` value already equals the target are skipped.
        """
        current_file: FileName | None = None
        if ctx.version >= 3:
            self._external_auth(ctx, KeyId.RK)
        self._external_auth(ctx, KeyId.UK)
        for key in PERSONALISE_ORDER:
            if key not in targets:
                continue
            item = BY_KEY[key]
            if current is not None and current.get(key) == targets[key]:
                continue
            if item.file != current_file:
                current_file = item.file
                self._select_ef(file_id(item.file))
            self._update_item(item, targets[key])

    def personalise(self, holder: ChipHolder, issue_date: str, expiry_date: str) -> ChipCard:
        """Write EF05 dates and EF06 on a blank temporary card, verify, return the read-back (R-TMP-2).

        Refuses (CardError 'card_not_blank') when an item already holds a value other than
        the target - the card belongs to someone else - but completes a card left partial
        by an interrupted write of this same holder.
        """
        validate_date(issue_date, "issue date")
        validate_date(expiry_date, "expiry date")
        ctx = self._open()
        targets = holder_values(holder, ctx.version)
        targets["issue_date"] = encode_item(BY_KEY["issue_date"], issue_date)
        targets["expiry_date"] = encode_item(BY_KEY["expiry_date"], expiry_date)
        before = self._read_raw(ctx)
        for key, value in targets.items():
            old = before.get(key)
            if old is not None and old != value and not is_blank(BY_KEY[key], old):
                raise CardNotBlankError(detail=key)
        self._select_ssse()
        self._write_items(ctx, targets, before)
        card = self.read_card()
        from devices.classify import classify_written

        if classify_written(card, holder, issue_date=issue_date, expiry_date=expiry_date) != "complete":
            raise WriteVerifyError(detail="card does not read back as written")
        return card

    def erase(self) -> ChipCard:
        """Rewrite every EF06 item (and the EF05 dates) with padding; verify blank (R-TMP-3)."""
        ctx = self._open()
        targets = blank_values(ctx.version)
        targets["issue_date"] = BY_KEY["issue_date"].blank()
        targets["expiry_date"] = BY_KEY["expiry_date"].blank()
        self._write_items(ctx, targets, None)
        card = self.read_card()
        if card.holder is not None or card.issue_date or card.expiry_date:
            raise WriteVerifyError(detail="card does not read blank after erase")
        return card

    def write_home_region(self, region: str) -> ChipCard:
        """Rewrite the DF01 home region (GB/T 2260, 6 digits) and verify (R-TRF-1)."""
        if not (len(region) == 6 and region.isascii() and region.isdigit()):
            raise InvalidValueError(detail="home region must be 6 digits")
        ctx = self._open()
        item = BY_KEY["home_region"]
        self._select_df01()
        self._external_auth(ctx, KeyId.UK)
        self._select_ef(file_id("DF01"))
        self._update_item(item, encode_item(item, region))
        card = self.read_card()
        if card.home_region != region:
            raise WriteVerifyError(detail="home region")
        return card

    # ------------------------------------------------------------------ helpers

    def _read_raw(self, ctx: _CardContext) -> dict[str, bytes]:
        """Raw EF05 + EF06 items (for the 'is this card blank or ours' check)."""
        self._select_ssse()
        out = self._read_file("EF05", ctx.version)
        if ctx.version >= 3:
            self._external_auth(ctx, KeyId.RK)
        out.update(self._read_file("EF06", ctx.version))
        return out


def open_pcsc_session(
    reader: str | None = None, sam: SecurityModule | None = None, *, timeout: float = 5.0
) -> CardSessionImpl:
    """A session on the card in `reader` (the first reader with a card when None), via pcscd.

    `sam` defaults to the software SAM with TEST keys. The session is marked emulated
    when the reader is the virtual reader of the emulator ("模拟读卡器").
    """
    from devices.reader import PcscTransport, is_virtual_reader
    from devices.sam import SoftwareSam

    transport = PcscTransport.connect(reader, timeout=timeout)
    return CardSessionImpl(transport, sam or SoftwareSam(), emulated=is_virtual_reader(transport.reader_name))
