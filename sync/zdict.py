"""Preset deflate dictionaries for small JSON records (codec 2 of `sync.envelope`).

Why: a business record is ~0.5-2 KB of JSON whose key names repeat in every record. Plain
deflate of an 836-byte application payload gives 497 bytes; with this dictionary 303 (measured,
docs/sync.md). A dictionary is part of the wire format: never edit one, add a new version.
"""

from __future__ import annotations

import json

_SKELETON = {
    "schema": 1,
    "receipt_no": "",
    "item": "apply",
    "at": "2026-01-01T00:00:00+08:00",
    "station_id": "",
    "service_point": "",
    "operator": {"username": "", "real_name": ""},
    "fee_fen": 0,
    "details": {
        "person": {
            "ssn": "",
            "name": "",
            "sex": "",
            "ethnicity": "",
            "nationality": "CHN",
            "occupation": "",
            "phone": "",
            "address": "",
            "doc_type": "resident_id",
            "doc_number": "",
            "doc_valid_from": "",
            "doc_valid_to": "",
        },
        "card_number": "",
        "card_id_code": "",
        "reason": "",
        "bank": "",
        "mode": "",
        "guardian": None,
        "agent": None,
        "remote": False,
    },
    "audit_seq": 0,
    "blobs": [{"kind": "photo", "envelope_id": "", "size": 0}],
}

_WORDS = (
    " replace cancel activate temp_loss formal_loss lift_loss pin_change pin_reset pin_unlock"
    " info_change key_info_change issue temp_card transfer bank_change stock doc_front doc_back"
    " 湖北省 湖南省 市 县 区 乡 镇 街道 村 组 号 银行 工商银行 农业银行 中国银行 建设银行 农村商业银行"
)

#: version 1 — the most useful strings go last (deflate reaches back from the end).
ZDICT_V1: bytes = (_WORDS + json.dumps(_SKELETON, ensure_ascii=False, sort_keys=True)).encode("utf-8")

DICTIONARIES: dict[int, bytes] = {1: ZDICT_V1}
