"""Append-only, hash-chained audit trail (R-SEC-3).

Each row's hash covers the previous row's hash and the row's own canonical content, so
editing, deleting or reordering any row breaks the chain at that row. `verify()` walks the
chain and names the first bad entry.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def _canonical(seq: int, at: str, operator_id: int | None, action: str, target: str, details: str) -> bytes:
    return json.dumps(
        [seq, at, operator_id, action, target, details], ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def entry_hash(
    prev_hash: str, seq: int, at: str, operator_id: int | None, action: str, target: str, details: str
) -> str:
    """sha256(prev_hash || canonical(row)), hex."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(_canonical(seq, at, operator_id, action, target, details))
    return h.hexdigest()


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    operator_id: int | None,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> int:
    """Append one entry inside the caller's (IMMEDIATE) transaction; returns its seq.

    Never put PIN digits in `details` (R-PIN-6); personal data only as ids or receipt numbers.
    """
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    prev_seq, prev_hash = (0, GENESIS) if row is None else (int(row[0]), str(row[1]))
    seq = prev_seq + 1
    text = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = entry_hash(prev_hash, seq, at, operator_id, action, target, text)
    conn.execute(
        "INSERT INTO audit(seq, at, operator_id, action, target, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at, operator_id, action, target, text, prev_hash, digest),
    )
    return seq


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify(conn: sqlite3.Connection) -> ChainReport:
    """Walk the chain in seq order; report the first row whose link or hash does not hold.

    Catches edits (hash mismatch), deletions (seq gap or prev_hash mismatch) and
    reorderings (prev_hash mismatch).
    """
    prev_hash, expected_seq, count = GENESIS, 1, 0
    cur = conn.execute(
        "SELECT seq, at, operator_id, action, target, details, prev_hash, hash FROM audit ORDER BY seq"
    )
    for seq, at, operator_id, action, target, details, stored_prev, stored_hash in cur:
        count += 1
        if seq != expected_seq:
            return ChainReport(
                False, count, seq, f"序号不连续：应为 {expected_seq}，实为 {seq}（有记录被删除）"
            )
        if stored_prev != prev_hash:
            return ChainReport(False, count, seq, "前一条记录的哈希不符（记录被删除或调换顺序）")
        if entry_hash(prev_hash, seq, at, operator_id, action, target, details) != stored_hash:
            return ChainReport(False, count, seq, "记录内容与哈希不符（记录被修改）")
        prev_hash, expected_seq = stored_hash, seq + 1
    return ChainReport(True, count)
