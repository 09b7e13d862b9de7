"""Typed card errors and the status-word table.

Everything `devices/` raises to its callers is an `offline.protocols.CardError`
subclass, so the service layer and the TUI can catch one type and show
`message_zh`. The subclasses exist for tests and for callers that react to one
specific condition (e.g. a wrong PIN with tries left).

Status words are interpreted in a *context*: `63Cx` means "wrong PIN" after VERIFY
but "wrong key" after EXTERNAL AUTHENTICATE; `6983` likewise.
"""

from __future__ import annotations

from typing import Literal

from devices.messages import message
from offline.protocols import CardError as CardError

SwContext = Literal["pin", "key", "plain"]


class _CodedError(CardError):
    """A CardError whose code and text come from the class."""

    code_name = "card_status"

    def __init__(self, *, tries_left: int | None = None, detail: str = "", **values: object) -> None:
        text = message(self.code_name, tries=tries_left, detail=detail, **values)
        super().__init__(self.code_name, text, tries_left=tries_left)
        self.detail = detail


class NoPcscdError(_CodedError):
    code_name = "no_pcscd"


class NoReaderError(_CodedError):
    code_name = "no_reader"


class ReaderUnpluggedError(_CodedError):
    code_name = "reader_unplugged"


class NoCardError(_CodedError):
    code_name = "no_card"


class CardRemovedError(_CodedError):
    code_name = "card_removed"


class MuteCardError(_CodedError):
    code_name = "mute_card"


class UnknownCardError(_CodedError):
    code_name = "unknown_card"


class ReaderError(_CodedError):
    code_name = "reader_error"


class WrongPinError(_CodedError):
    code_name = "wrong_pin"


class PinBlockedError(_CodedError):
    code_name = "pin_blocked"


class SecurityStatusError(_CodedError):
    code_name = "security_not_satisfied"


class CardFileNotFoundError(_CodedError):
    code_name = "file_not_found"


class RecordNotFoundError(_CodedError):
    code_name = "record_not_found"


class WrongLengthError(_CodedError):
    code_name = "wrong_length"


class NoSpaceError(_CodedError):
    code_name = "no_space"


class TlvMismatchError(_CodedError):
    code_name = "tlv_mismatch"


class MalformedResponseError(_CodedError):
    code_name = "malformed_response"


class AuthFailedError(_CodedError):
    code_name = "auth_failed"


class KeyBlockedError(_CodedError):
    code_name = "key_blocked"


class SamUnsupportedError(_CodedError):
    code_name = "sam_unsupported"


class WriteVerifyError(_CodedError):
    code_name = "write_verify_failed"


class CardNotBlankError(_CodedError):
    code_name = "card_not_blank"


class InvalidValueError(_CodedError):
    code_name = "invalid_value"


class NameTooLongError(_CodedError):
    code_name = "name_too_long"


class NameNotGbkError(_CodedError):
    code_name = "name_not_gbk"


class InvalidPinError(_CodedError):
    code_name = "invalid_pin"


class CardStatusError(_CodedError):
    """A status word with no specific meaning for the station; `sw` keeps it."""

    code_name = "card_status"

    def __init__(self, sw: int) -> None:
        super().__init__(sw=f"{sw:04X}")
        self.sw = sw


def error_for_status(sw: int, context: SwContext = "plain") -> CardError | None:
    """Map a status word to the error it means, or None for success (9000).

    `61xx` and `6Cxx` are handled by the channel before this is called; if one
    reaches here it is reported as a generic status error.
    """
    if sw == 0x9000:
        return None
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        tries = sw2 & 0x0F
        if context == "key":
            return KeyBlockedError() if tries == 0 else AuthFailedError(tries_left=tries)
        return PinBlockedError(tries_left=0) if tries == 0 else WrongPinError(tries_left=tries)
    if sw == 0x6983:
        return KeyBlockedError() if context == "key" else PinBlockedError(tries_left=0)
    if sw in (0x6982, 0x6985):
        return SecurityStatusError()
    if sw == 0x6A82:
        return CardFileNotFoundError()
    if sw == 0x6A83:
        return RecordNotFoundError()
    if sw == 0x6700 or sw1 == 0x6C:
        return WrongLengthError()
    if sw == 0x6A84:
        return NoSpaceError()
    if sw == 0x6A85:
        return TlvMismatchError()
    return CardStatusError(sw)
