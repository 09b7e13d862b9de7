"""Block-cipher primitives shared by the software security module and the emulator.

Both sides of every authentication use these functions, so the emulator's card keys
and the software SAM's derived keys agree by construction. A real PSAM does the
same computations inside the secure element; only the software SAM calls this.

Algorithms (card-spec.md "Session keys and MAC"):
- 3DES (8-byte block): two-key 3DES card keys; the session key is the random
  encrypted with the card key (8 bytes, used as single DES).
- SM4 (16-byte block): the random is padded to 16 bytes and encrypted; wherever an
  8-byte result is needed (authentication cryptograms) the two halves of the 16-byte
  result are XORed. An SM4 key must be 16 bytes, so the SM4 *session key* is the
  full 16-byte block - see docs/card.md for why this reading was chosen.
- MAC: CBC over `CLA INS P1 P2 Lc || data` padded `80 00..`, IV zero, leftmost 4 bytes.
"""

from __future__ import annotations

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, CipherAlgorithm, algorithms, modes

from devices.errors import SamUnsupportedError
from devices.layout import Algorithm


def block_size(alg: Algorithm) -> int:
    if alg == Algorithm.TDES:
        return 8
    if alg == Algorithm.SM4:
        return 16
    raise SamUnsupportedError(detail=alg.name)


def _cipher(alg: Algorithm, key: bytes) -> CipherAlgorithm:
    if alg == Algorithm.TDES:
        if len(key) == 8:
            key = key * 3
        elif len(key) == 16:
            key = key + key[:8]
        return TripleDES(key)
    if alg == Algorithm.SM4:
        if len(key) != 16:
            raise ValueError("SM4 key must be 16 bytes")
        return algorithms.SM4(key)
    raise SamUnsupportedError(detail=alg.name)


def ecb_encrypt(alg: Algorithm, key: bytes, data: bytes) -> bytes:
    enc = Cipher(_cipher(alg, key), modes.ECB()).encryptor()
    return enc.update(data) + enc.finalize()


def ecb_decrypt(alg: Algorithm, key: bytes, data: bytes) -> bytes:
    dec = Cipher(_cipher(alg, key), modes.ECB()).decryptor()
    return dec.update(data) + dec.finalize()


def pad80(data: bytes, block: int) -> bytes:
    """ISO 9797-1 method 2: append 80, then 00 up to a whole block (always adds a byte)."""
    out = data + b"\x80"
    return out + b"\x00" * (-len(out) % block)


def unpad80(data: bytes) -> bytes | None:
    body = data.rstrip(b"\x00")
    if not body.endswith(b"\x80"):
        return None
    return body[:-1]


def _not(data: bytes) -> bytes:
    return bytes(b ^ 0xFF for b in data)


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def diversify(alg: Algorithm, key: bytes, factor: bytes) -> bytes:
    """One level of key diversification with an 8-byte factor -> 16-byte child key."""
    if len(factor) != 8:
        raise ValueError("diversification factor must be 8 bytes")
    if alg == Algorithm.TDES:
        return ecb_encrypt(alg, key, factor) + ecb_encrypt(alg, key, _not(factor))
    return ecb_encrypt(alg, key, factor + _not(factor))


def session_key(alg: Algorithm, key: bytes, random: bytes) -> bytes:
    """Session key from a card key and an 8-byte random (the card's challenge)."""
    if alg == Algorithm.TDES:
        return ecb_encrypt(alg, key, random[:8].ljust(8, b"\x00"))
    return ecb_encrypt(alg, key, pad80(random[:8], 16)[:16])


def cryptogram(alg: Algorithm, key: bytes, data: bytes) -> bytes:
    """8-byte authentication cryptogram of 8 bytes of data (external/internal auth)."""
    if alg == Algorithm.TDES:
        return ecb_encrypt(alg, key, data[:8])
    full = ecb_encrypt(alg, key, pad80(data[:8], 16)[:16])
    return _xor(full[:8], full[8:])


def mac(alg: Algorithm, key: bytes, message: bytes) -> bytes:
    """4-byte MAC: CBC with IV zero over the 80-padded message, leftmost 4 bytes."""
    size = block_size(alg)
    padded = pad80(message, size)
    enc = Cipher(_cipher(alg, key), modes.CBC(b"\x00" * size)).encryptor()
    out = enc.update(padded) + enc.finalize()
    return out[-size:][:4]


def encrypt_pin_block(alg: Algorithm, key: bytes, pin_bcd: bytes) -> bytes:
    """PIN for RELOAD: `len || BCD PIN` padded 80 00.. and ECB-encrypted with the session key."""
    return ecb_encrypt(alg, key, pad80(bytes((len(pin_bcd),)) + pin_bcd, block_size(alg)))


def decrypt_pin_block(alg: Algorithm, key: bytes, block: bytes) -> bytes | None:
    """Inverse of encrypt_pin_block; None when the block does not decrypt to a PIN block."""
    if not block or len(block) % block_size(alg):
        return None
    plain = unpad80(ecb_decrypt(alg, key, block))
    if plain is None or not plain or plain[0] != len(plain) - 1:
        return None
    return plain[1:]
