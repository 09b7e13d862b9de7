"""What a receipt or business form prints, gathered once from the committed business.

Both renderers (text and PDF) print the same `ReceiptFacts`, so the paper and the screen
never disagree. The facts are read from the store after the commit (the person and card
rows the business names) because the `BusinessResult.details` of each service carry only
what that service changed; a receipt must show the whole applicant block of the HN form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from offline.business import BusinessResult
from offline.printing import messages as M
from offline.store import Store


class StationLike(Protocol):
    """The station facts a receipt needs (offline.station.StationInfo satisfies it)."""

    @property
    def province(self) -> str: ...

    @property
    def service_point(self) -> str: ...


@dataclass(frozen=True)
class Representative:
    """A guardian or agent printed in the 监护人（代办人） block (R-ID-4, R-ID-5)."""

    name: str
    doc_type: str = ""
    doc_number: str = ""
    relation: str = ""
    proof: str = ""  # 监护关系证明 / 单位介绍信 / 委托书 seen


@dataclass(frozen=True)
class ReceiptFacts:
    """Everything printed, already as Chinese display text (codes resolved to names)."""

    province: str
    service_point: str
    receipt_no: str
    item: str
    sub_kind: str
    at: str
    fee_fen: int
    summary: str
    fee_receipt_no: str = ""  # 行政事业性收费票据 number of a charged fee (R-APP-10, R-ISS-5, R-TMP-4)
    operator_name: str = ""
    name: str = ""
    sex: str = ""
    birth_date: str = ""
    ethnicity: str = ""
    nationality: str = ""
    doc_type: str = ""
    doc_number: str = ""
    doc_valid: str = ""
    household_address: str = ""
    residence_address: str = ""
    phone: str = ""
    occupation: str = ""
    ssn: str = ""
    bank: str = ""
    card_number: str = ""
    temp_card: bool = False
    exchange_reason: str = ""
    representative: Representative | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    station_name: str = ""  # printed with the number: a stamp alone does not say which station
    postal_code: str = ""  # 邮政编码 (HN 附件), when known
    phone2: str = ""  # the second 联系电话 (HN 附件), when known
    bank_card_number: str = ""  # 银行卡卡号: the bank's number, not the social-security card number
    collect_place: str = ""  # 领卡地点: this station, or 邮寄送达 for a mailed card
    photo_no: str = ""  # 定点照相编号, or 已采集电子照片
    photo: bytes | None = None  # the stored photo, for 贴照片处 on the PDF
    signature: bytes | None = None  # the signature pad's image, for the signature box (HB 13, 39)

    @property
    def province_zh(self) -> str:
        return M.PROVINCE_ZH.get(self.province, self.province)

    @property
    def fee_text(self) -> str:
        if self.fee_fen <= 0:
            return M.FEE_NONE
        return M.FEE_AMOUNT.format(yuan=f"{self.fee_fen / 100:.2f}")

    @property
    def item_key(self) -> str:
        return f"{self.item}/{self.sub_kind}" if self.sub_kind else self.item

    def boxes(self) -> list[tuple[str, bool]]:
        """The HN form's business boxes with the ticked one(s) for this business."""
        out = []
        for label, keys in M.BUSINESS_BOXES:
            out.append((label, self.item in keys or self.item_key in keys))
        return out

    def other_business(self) -> str:
        """Items the HN form has no box for (loss reports, issuance ...) are named in words."""
        if any(ticked for _, ticked in self.boxes()):
            return ""
        from offline.items import ITEMS_BY_CODE

        item = ITEMS_BY_CODE.get(self.item)
        return item.name_zh if item else self.item


def code_name(table: str, code: str) -> str:
    """Resolve a code to its Chinese name through offline.codes, keeping the code if unknown."""
    if not code:
        return ""
    try:
        from offline import codes

        name = codes.code_name(getattr(codes, table), code)
    except Exception:  # code tables absent or code unknown: print the code itself
        return code
    return str(name) if name else code


def _sub_kind(details: dict[str, Any]) -> str:
    for key in ("kind", "action", "op"):
        value = details.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


#: Keys under which services store what the holder must be told (R-APP-8: on the receipt too).
#: `tests/offline/printing/test_reminders.py` checks every service uses only these.
NOTE_KEYS = ("warnings", "reminders", "reminder")
REPRESENTATIVE_KEYS = ("guardian", "agent", "heir", "recipient", "reporter")


def notes_of(details: dict[str, Any]) -> tuple[str, ...]:
    """Every warning and reminder a business stored, in a stable order, without repeats."""
    out: list[str] = []
    for key in NOTE_KEYS:
        value = details.get(key)
        items = value if isinstance(value, list | tuple) else ([value] if value else [])
        out.extend(str(n) for n in items if str(n) and str(n) not in out)
    return tuple(out)


def _representative(details: dict[str, Any]) -> Representative | None:
    """The guardian or agent: as a block (applications keep it under 'person'), or flat fields."""
    person = details.get("person")
    for source in (details, person if isinstance(person, dict) else {}):
        for key in REPRESENTATIVE_KEYS:
            rep = source.get(key)
            if isinstance(rep, dict) and rep.get("name"):
                return Representative(
                    name=str(rep.get("name", "")),
                    doc_type=code_name("DOC_TYPES", str(rep.get("doc_type", ""))),
                    doc_number=str(rep.get("doc_number", "")),
                    relation=code_name("RELATIONS", str(rep.get("relation", ""))),
                    proof=str(rep.get("proof", "") or rep.get("inheritance_proof", "")),
                )
    for key in REPRESENTATIVE_KEYS:  # flat: recipient_name, agent_doc_number, heir_relation ...
        name = details.get(f"{key}_name")
        if isinstance(name, str) and name.strip():
            return Representative(
                name=name,
                doc_type=code_name("DOC_TYPES", str(details.get(f"{key}_doc_type", ""))),
                doc_number=str(details.get(f"{key}_doc_number", "")),
                relation=code_name("RELATIONS", str(details.get(f"{key}_relation", ""))),
            )
    return None


def facts_from_result(
    result: BusinessResult,
    station: StationLike,
    *,
    store: Store | None = None,
    operator_name: str = "",
) -> ReceiptFacts:
    """Gather the facts of `result`; with a store, the person and card rows fill the form."""
    details = dict(result.details)
    person: dict[str, Any] = {}
    card: dict[str, Any] = {}
    if store is not None:
        row = store.one(
            "SELECT person_id, card_id, operator_id FROM businesses WHERE id = ?", (result.business_id,)
        )
        if row is not None:
            if row["person_id"] is not None:
                p = store.one("SELECT * FROM persons WHERE id = ?", (row["person_id"],))
                person = dict(p) if p is not None else {}
                c = store.one(
                    "SELECT * FROM cards WHERE person_id = ? ORDER BY (id = ?) DESC, id DESC LIMIT 1",
                    (row["person_id"], row["card_id"] or 0),
                )
                card = dict(c) if c is not None else {}
            if not operator_name:
                o = store.one("SELECT real_name FROM operators WHERE id = ?", (row["operator_id"],))
                operator_name = str(o["real_name"]) if o is not None else ""
    valid_to = str(person.get("doc_valid_to", ""))
    valid_from = str(person.get("doc_valid_from", ""))
    doc_valid = f"{valid_from}—{valid_to or M.LONG_TERM}" if (valid_from or valid_to) else ""
    notes = notes_of(details)
    station_name = ""
    photo: bytes | None = None
    signature: bytes | None = None
    if store is not None:
        station_name = store.setting("station_name") or ""
        if person.get("id") is not None:
            ph = store.one("SELECT jpeg FROM photos WHERE person_id = ?", (person["id"],))
            photo = bytes(ph[0]) if ph is not None and ph[0] else None
        sig = store.one("SELECT image FROM signatures WHERE business_id = ?", (result.business_id,))
        signature = bytes(sig[0]) if sig is not None and sig[0] else None
    mailed = bool(details.get("mailing")) or details.get("route") == "provincial"
    place = (
        M.COLLECT_MAILED
        if mailed
        else (station_name or f"{M.SERVICE_POINT} {getattr(station, 'service_point', '')}")
    )
    return ReceiptFacts(
        province=getattr(station, "province", ""),
        service_point=getattr(station, "service_point", ""),
        receipt_no=result.receipt_no,
        item=result.item,
        sub_kind=_sub_kind(details),
        at=result.at,
        fee_fen=result.fee_fen,
        summary=result.summary,
        fee_receipt_no=str(details.get("fee_receipt_no", "") or "") if result.fee_fen > 0 else "",
        operator_name=operator_name,
        name=str(person.get("name") or details.get("name", "")),
        sex=code_name("SEX", str(person.get("sex", ""))),
        birth_date=str(person.get("birth_date", "")),
        ethnicity=code_name("ETHNICITY", str(person.get("ethnicity", ""))),
        nationality=code_name("NATIONALITY", str(person.get("nationality", ""))),
        doc_type=code_name("DOC_TYPES", str(person.get("doc_type", ""))),
        doc_number=str(person.get("doc_number") or details.get("doc_number", "")),
        doc_valid=doc_valid,
        household_address=str(person.get("household_address", "")),
        residence_address=str(person.get("residence_address", "")),
        phone=str(person.get("phone", "")),
        occupation=code_name("OCCUPATIONS", str(person.get("occupation", ""))),
        ssn=str(person.get("ssn") or details.get("ssn", "")),
        bank=str(details.get("bank") or card.get("bank", "")),
        card_number=str(details.get("card_number") or card.get("card_number", "")),
        temp_card=result.item == "temp_card",
        exchange_reason=str(details.get("reason_label") or details.get("reason_zh") or ""),
        representative=_representative(details),
        notes=notes,
        station_name=station_name,
        postal_code=str(details.get("postal_code") or person.get("postal_code", "") or ""),
        phone2=str(details.get("phone2") or person.get("phone2", "") or ""),
        bank_card_number=str(details.get("bank_card_number") or card.get("bank_card_number", "") or ""),
        collect_place=place if result.item in ("apply", "replace", "key_info_change", "temp_card") else "",
        photo_no=str(details.get("photo_no", "") or (M.PHOTO_TAKEN if photo else "")),
        photo=photo,
        signature=signature,
    )
