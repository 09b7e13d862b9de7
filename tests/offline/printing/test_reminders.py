"""Every reminder a service stores is printed on its receipt and shown on its result screen (R-APP-8).

Issuance once stored "请持卡人及时激活…" under 'reminder' while the receipt read only 'reminders'
and 'warnings', so the activation reminder after 发放 and the bank reminders after 注销 and 正式挂失
never reached paper. The static test enumerates every key a service writes that looks like a
note to the holder and requires it to be one the receipt reads (`facts.NOTE_KEYS`); the render
test proves each such key reaches the text receipt, the form and the PDF.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from offline.business import BusinessResult
from offline.printing.facts import NOTE_KEYS, facts_from_result, notes_of
from offline.printing.text import render_facts_text

SERVICES = Path(__file__).parents[3] / "offline" / "services"
NOTE_LIKE = re.compile(r"remind|warn|notice|hint|提醒", re.IGNORECASE)


def _stored_note_keys() -> dict[str, set[str]]:
    """Dict keys and keyword names in offline/services that look like a note to the holder."""
    found: dict[str, set[str]] = {}
    for path in sorted(SERVICES.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Dict):
                names = [
                    k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
                ]
            elif isinstance(node, ast.Call):
                names = [k.arg for k in node.keywords if k.arg]
            for name in names:
                if NOTE_LIKE.search(name):
                    found.setdefault(name, set()).add(path.name)
    return found


def test_every_stored_reminder_kind_is_one_the_receipt_prints_R_APP_8() -> None:
    found = _stored_note_keys()
    assert {"reminder", "reminders", "warnings"} <= set(found), found  # the scan sees them
    unread = {k: sorted(v) for k, v in found.items() if k not in NOTE_KEYS}
    assert not unread, f"services store notes the receipt never prints: {unread}"


class _Station:
    province = "hunan"
    service_point = "43012100100100001"


@pytest.mark.parametrize("key", NOTE_KEYS)
def test_each_note_key_reaches_receipt_and_form_R_APP_8(key: str) -> None:
    text = "金融账户须到发卡银行办理挂失"
    value: object = text if key == "reminder" else [text]
    result = BusinessResult(
        1, "R1", "formal_loss", "2026-03-02T09:00:00+08:00", 0, "正式挂失", (), {key: value}
    )
    facts = facts_from_result(result, _Station())
    assert notes_of(result.details) == (text,)
    for kind in ("receipt", "form"):
        assert text in render_facts_text(facts, kind=kind)
    from offline.printing.pdf import render_receipt_pdf
    from tests.offline.printing.pdftext import extract_text

    assert text in extract_text(render_receipt_pdf(result, _Station())).replace("\n", "")
