"""Plain-text receipt and business form: for a line printer, a file, or the screen.

Laid out as the HN forms (受理回执 and 业务申请/办理表) in a fixed number of terminal
cells, counting CJK characters as two cells so the columns stay aligned on a receipt
printer and in a terminal alike.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from offline.business import BusinessResult
from offline.printing import messages as M
from offline.printing.facts import ReceiptFacts, StationLike, facts_from_result
from offline.store import Store

Kind = Literal["receipt", "form", "both"]
WIDTH = 72


def cells(text: str) -> int:
    """Terminal cells of `text`: wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, width: int) -> str:
    """Left-align `text` in `width` cells."""
    return text + " " * max(0, width - cells(text))


def center(text: str, width: int = WIDTH) -> str:
    gap = max(0, width - cells(text))
    return " " * (gap // 2) + text


def _pairs(*pairs: tuple[str, str], col: int = 36) -> str:
    """Two 'label：value' pairs on one line, the second starting at cell `col`."""
    parts = [f"{label}：{value}" for label, value in pairs]
    if len(parts) == 1:
        return parts[0]
    return pad(parts[0], col) + "".join(parts[1:])


def _boxes(facts: ReceiptFacts) -> list[str]:
    lines: list[str] = []
    line = ""
    for label, ticked in facts.boxes():
        mark = M.TICKED if ticked else M.UNTICKED
        piece = f"{mark}{label}"
        if label == "换领" and facts.exchange_reason and ticked:
            piece += f"（{M.EXCHANGE_REASON}：{facts.exchange_reason}）"
        if cells(line) + cells(piece) + 2 > WIDTH:
            lines.append(line.rstrip())
            line = ""
        line += piece + "  "
    if line:
        lines.append(line.rstrip())
    other = facts.other_business()
    if other:
        lines.append(f"{M.TICKED}{M.OTHER_BUSINESS}：{other}")
    return lines


def _header(title: str, facts: ReceiptFacts) -> list[str]:
    return [
        center(title.format(province=facts.province_zh)),
        _pairs((M.UNIT.rstrip("："), _unit(facts)), col=40),
        f"{M.RECEIPT_NO}{facts.receipt_no}",
        "=" * WIDTH,
    ]


def _unit(facts: ReceiptFacts) -> str:
    """The station's name and its number (HN 附件 受理单位)."""
    number = f"{M.SERVICE_POINT} {facts.service_point}"
    return f"{facts.station_name}（{number}）" if facts.station_name else number


def _card_line(facts: ReceiptFacts) -> str:
    card = f"{M.UNTICKED if facts.temp_card else M.TICKED}{M.CARD_FORMAL}  "
    card += f"{M.TICKED if facts.temp_card else M.UNTICKED}{M.CARD_TEMP}"
    return f"{M.CARD_TYPE}：{card}  {M.SSN}：{facts.ssn}"


def _business_block(facts: ReceiptFacts) -> list[str]:
    lines = [f"【{M.SECTION_BUSINESS}】", *_boxes(facts)]
    if facts.collect_place:
        lines.append(f"{M.COLLECT_PLACE}：{facts.collect_place}")
    lines.append(f"{M.SUMMARY}：{facts.summary}")
    lines.append(_pairs((M.FEE, facts.fee_text), (M.HANDLED_AT, facts.at.replace("T", " ")[:19])))
    if facts.fee_receipt_no:  # R-APP-10: the fee's 行政事业性收费票据
        lines.append(f"{M.FEE_RECEIPT_NO}：{facts.fee_receipt_no}")
    lines.extend(f"※ {note}" for note in facts.notes)
    return lines


def receipt_lines(facts: ReceiptFacts) -> list[str]:
    """《受理回执》: applicant or agent, card, business ticked, operator, date (R-APP-8)."""
    rep = facts.representative
    lines = _header(M.RECEIPT_TITLE, facts)
    lines.append(f"【{M.SECTION_APPLICANT_OR_AGENT}】")
    lines.append(_pairs((M.APPLICANT_NAME, facts.name), (M.DOC_TYPE, facts.doc_type)))
    lines.append(f"{M.DOC_NUMBER}：{facts.doc_number}")
    if rep is not None:
        lines.append(_pairs((M.AGENT_NAME, rep.name), (M.DOC_TYPE, rep.doc_type)))
        lines.append(f"{M.DOC_NUMBER}：{rep.doc_number}")
    lines.append(_card_line(facts))
    lines.extend(_business_block(facts))
    lines.append("-" * WIDTH)
    lines.append(pad(f"{M.OPERATOR}：{facts.operator_name}", 44) + M.DATE_BLANK)
    lines.append(M.KEEP_RECEIPT)
    return lines


def form_lines(facts: ReceiptFacts) -> list[str]:
    """《业务申请/办理表》: the full applicant block, guardian/agent, card, business, signature."""
    rep = facts.representative
    lines = _header(M.FORM_TITLE, facts)
    lines.append(f"【{M.SECTION_APPLICANT}】")
    lines.append(_pairs((M.NAME, facts.name), (M.SEX, facts.sex)))
    lines.append(_pairs((M.BIRTH, facts.birth_date), (M.ETHNICITY, facts.ethnicity)))
    lines.append(_pairs((M.NATIONALITY, facts.nationality), (M.DOC_TYPE, facts.doc_type)))
    lines.append(_pairs((M.DOC_NUMBER, facts.doc_number), (M.DOC_VALID, facts.doc_valid)))
    lines.append(f"{M.HOUSEHOLD}：{facts.household_address}")
    lines.append(_pairs((M.RESIDENCE, facts.residence_address), (M.POSTAL_CODE, facts.postal_code), col=52))
    lines.append(_pairs((M.PHONE, facts.phone), (M.PHONE2, facts.phone2)))
    lines.append(f"{M.OCCUPATION}：{facts.occupation}")
    lines.append(f"{M.PHOTO_PLACE}  {M.PHOTO_NO}：{facts.photo_no}")
    lines.append(f"【{M.SECTION_GUARDIAN}】")
    if rep is not None:
        lines.append(_pairs((M.NAME, rep.name), (M.RELATION, rep.relation)))
        lines.append(_pairs((M.DOC_TYPE, rep.doc_type), (M.DOC_NUMBER, rep.doc_number)))
        if rep.proof:  # R-ID-4 / R-ID-5: the proof seen (监护证明, 单位介绍信, 委托书)
            lines.append(f"{M.PROOF}：{rep.proof}")
    else:
        lines.append(f"{M.NAME}：—")
    lines.append(f"【{M.SECTION_CARD}】")
    lines.append(_card_line(facts))
    lines.append(_pairs((M.BANK, facts.bank), (M.BANK_CARD_NUMBER, facts.bank_card_number)))
    if facts.card_number:
        lines.append(f"{M.CARD_NUMBER}：{facts.card_number}")
    lines.extend(_business_block(facts))
    lines.append(f"【{M.SECTION_SIGN}】")
    lines.append(M.DECLARATION)
    signed = M.SIGNATURE + (M.SIGNATURE_PAD if facts.signature else "")
    lines.append(pad(signed, 44) + M.DATE_BLANK)
    lines.append(f"{M.OPERATOR}：{facts.operator_name}")
    return lines


def render_facts_text(facts: ReceiptFacts, *, kind: Kind = "receipt") -> str:
    if kind == "receipt":
        lines = receipt_lines(facts)
    elif kind == "form":
        lines = form_lines(facts)
    else:
        lines = [
            *form_lines(facts),
            "",
            center(M.CUT_LINE, WIDTH),
            "- " * (WIDTH // 2),
            "",
            *receipt_lines(facts),
        ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_receipt_text(
    result: BusinessResult,
    station: StationLike,
    *,
    store: Store | None = None,
    operator_name: str = "",
    kind: Kind = "receipt",
) -> str:
    """The receipt (or form, or both) of a committed business as text (R-APP-8, HN 附件)."""
    facts = facts_from_result(result, station, store=store, operator_name=operator_name)
    return render_facts_text(facts, kind=kind)
