"""PDF receipt and business form, laid out as the provincial forms (HN 附件), CJK font embedded.

Why a PDF at all: township windows print through CUPS to whatever printer the county
bought, and a PDF prints the same everywhere; it is also what a station keeps when the
printer is out of paper. The CJK font is embedded (subset) so the PDF reads the same on a
machine without Chinese fonts. The tick boxes are drawn as rectangles, not as '□'/'☑'
characters, because the common fallback CJK fonts have no glyph for them.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from offline.business import BusinessResult
from offline.printing import messages as M
from offline.printing.errors import PrintError
from offline.printing.facts import ReceiptFacts, StationLike, facts_from_result
from offline.store import Store

Kind = Literal["receipt", "form", "both"]

#: Searched in order; the first that exists is embedded. fc-match is asked after these.
FONT_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
)

#: Latin text (digits of the receipt number, dates) comes from one of these: the common CJK
#: fallback fonts (Droid Sans Fallback) carry no ASCII glyphs; CJK text falls back to the CJK font.
LATIN_CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
)

PAGE_W = 210.0
MARGIN = 15.0
BODY_W = PAGE_W - 2 * MARGIN
ROW_H = 6.0  # fits form + receipt on one A4 sheet with the HN 附件 fields


def find_cjk_font(candidates: tuple[str, ...] = FONT_CANDIDATES) -> Path:
    """The first CJK font found by path, else by `fc-match :lang=zh`; PrintError when none."""
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file() and path.suffix.lower() == ".ttf":
            return path
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}", ":lang=zh"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and Path(out).is_file() and Path(out).suffix.lower() in (".ttf", ".otf"):
            return Path(out)
    raise PrintError("no_font", M.NO_FONT.format(paths="、".join(candidates)))


def find_latin_font(candidates: tuple[str, ...] = LATIN_CANDIDATES) -> Path | None:
    """A Latin TTF for digits and ASCII, or None (then the CJK font draws everything it can)."""
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


class _Sheet:
    """Drawing helpers over fpdf2 with the form's grid conventions."""

    def __init__(self, font: Path, latin: Path | None) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(orientation="P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=MARGIN)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.add_font("zh", fname=str(font))
        if latin is not None:
            self.pdf.add_font("cjk", fname=str(latin))
            self.pdf.set_fallback_fonts(["zh"], exact_match=False)
        else:
            self.pdf.add_font("cjk", fname=str(font))
        self.pdf.set_font("cjk", size=10)

    def title(self, text: str) -> None:
        self.pdf.set_font("cjk", size=15)
        self.pdf.cell(BODY_W, 10, text, align="C", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("cjk", size=10)

    def plain(self, left: str, right: str = "") -> None:
        self.pdf.cell(BODY_W * 0.5, ROW_H, left)
        self.pdf.cell(BODY_W * 0.5, ROW_H, right, new_x="LMARGIN", new_y="NEXT")

    def section(self, text: str) -> None:
        self.pdf.set_fill_color(230, 230, 230)
        self.pdf.cell(BODY_W, ROW_H, text, border=1, fill=True, new_x="LMARGIN", new_y="NEXT")

    def row(self, *pairs: tuple[str, str, float], width: float = BODY_W) -> None:
        """Bordered cells 'label：value', widths as fractions of `width`."""
        for label, value, frac in pairs:
            text = f"{label}：{value}" if label else value
            self.pdf.cell(width * frac, ROW_H, text, border=1)
        self.pdf.ln(ROW_H)

    def checkbox(self, label: str, ticked: bool) -> float:
        """A 3.2 mm box (ticked: a drawn check mark) followed by its label; returns its width."""
        x, y = self.pdf.get_x(), self.pdf.get_y()
        size, top = 3.2, y + (ROW_H - 3.2) / 2
        self.pdf.rect(x + 0.5, top, size, size)
        if ticked:
            self.pdf.set_line_width(0.4)
            self.pdf.line(x + 1.0, top + 1.7, x + 1.9, top + 2.7)
            self.pdf.line(x + 1.9, top + 2.7, x + 3.4, top + 0.5)
            self.pdf.set_line_width(0.2)
        w = size + 1.5 + self.pdf.get_string_width(label) + 3.0
        self.pdf.set_x(x + size + 1.5)
        self.pdf.cell(w - size - 1.5, ROW_H, label)
        return w

    def boxes(self, items: list[tuple[str, bool]]) -> None:
        start = self.pdf.get_y()
        for label, ticked in items:
            need = 3.2 + 1.5 + self.pdf.get_string_width(label) + 3.0
            if self.pdf.get_x() + need > MARGIN + BODY_W:
                self.pdf.ln(ROW_H)
            self.checkbox(label, ticked)
        self.pdf.ln(ROW_H)
        self.pdf.rect(MARGIN, start, BODY_W, self.pdf.get_y() - start)

    def cut_line(self) -> None:
        y = self.pdf.get_y() + 3
        self.pdf.set_dash_pattern(dash=1.5, gap=1.5)
        self.pdf.line(MARGIN, y, MARGIN + BODY_W, y)
        self.pdf.set_dash_pattern()
        self.pdf.set_y(y + 1)
        self.pdf.set_font("cjk", size=8)
        self.pdf.cell(BODY_W, 5, M.CUT_LINE, align="C", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font("cjk", size=10)


def _card_boxes(sheet: _Sheet, facts: ReceiptFacts) -> None:
    x0, y0 = sheet.pdf.get_x(), sheet.pdf.get_y()
    sheet.pdf.cell(sheet.pdf.get_string_width(M.CARD_TYPE + "：") + 1, ROW_H, M.CARD_TYPE + "：")
    sheet.checkbox(M.CARD_FORMAL, not facts.temp_card)
    sheet.checkbox(M.CARD_TEMP, facts.temp_card)
    sheet.pdf.cell(0, ROW_H, f"{M.SSN}：{facts.ssn}")
    sheet.pdf.rect(x0, y0, BODY_W, ROW_H)
    sheet.pdf.ln(ROW_H)


def _business(sheet: _Sheet, facts: ReceiptFacts) -> None:
    sheet.section(M.SECTION_BUSINESS)
    items = facts.boxes()
    if facts.exchange_reason:
        items = [
            (f"{label}（{M.EXCHANGE_REASON}：{facts.exchange_reason}）" if label == "换领" else label, t)
            for label, t in items
        ]
    other = facts.other_business()
    if other:
        items.append((f"{M.OTHER_BUSINESS}：{other}", True))
    sheet.boxes(items)
    sheet.row((M.SUMMARY, facts.summary, 1.0))
    sheet.row(
        (M.FEE, facts.fee_text, 0.25),
        (M.HANDLED_AT, facts.at.replace("T", " ")[:16], 0.35),
        (M.COLLECT_PLACE, facts.collect_place, 0.4),
    )
    if facts.fee_receipt_no:  # R-APP-10: the fee's 行政事业性收费票据
        sheet.row((M.FEE_RECEIPT_NO, facts.fee_receipt_no, 1.0))
    for note in facts.notes:
        sheet.row(("注", note, 1.0))


def _header(sheet: _Sheet, title: str, facts: ReceiptFacts) -> None:
    sheet.title(title.format(province=facts.province_zh))
    number = f"{M.SERVICE_POINT} {facts.service_point}"
    unit = f"{facts.station_name}（{number}）" if facts.station_name else number  # name and number
    left = f"{M.UNIT}{unit}"
    if sheet.pdf.get_string_width(left) > BODY_W * 0.5 - 2:  # a long name takes the line
        sheet.pdf.cell(BODY_W, ROW_H, left, new_x="LMARGIN", new_y="NEXT")
        sheet.plain("", f"{M.RECEIPT_NO}{facts.receipt_no}")
    else:
        sheet.plain(left, f"{M.RECEIPT_NO}{facts.receipt_no}")


def _form(sheet: _Sheet, facts: ReceiptFacts) -> None:
    _header(sheet, M.FORM_TITLE, facts)
    sheet.section(M.SECTION_APPLICANT)
    photo_w = 28.0
    left = BODY_W - photo_w
    top = sheet.pdf.get_y()
    rows = [
        ((M.NAME, facts.name, 0.5), (M.SEX, facts.sex, 0.5)),
        ((M.BIRTH, facts.birth_date, 0.5), (M.ETHNICITY, facts.ethnicity, 0.5)),
        ((M.NATIONALITY, facts.nationality, 0.5), (M.DOC_TYPE, facts.doc_type, 0.5)),
        ((M.DOC_NUMBER, facts.doc_number, 1.0),),
        ((M.DOC_VALID, facts.doc_valid, 1.0),),
    ]
    for pairs in rows:
        sheet.row(*pairs, width=left)
    bottom = sheet.pdf.get_y()
    sheet.pdf.rect(MARGIN + left, top, photo_w, bottom - top)
    if not _photo(sheet, facts.photo, MARGIN + left + 1, top + 1, photo_w - 2, bottom - top - 2):
        sheet.pdf.set_xy(MARGIN + left, top + (bottom - top) / 2 - 3)
        sheet.pdf.set_font("cjk", size=8)
        sheet.pdf.cell(photo_w, 6, M.PHOTO_PLACE, align="C")
        sheet.pdf.set_font("cjk", size=10)
    sheet.pdf.set_xy(MARGIN, bottom)
    sheet.row((M.HOUSEHOLD, facts.household_address, 1.0))
    sheet.row((M.RESIDENCE, facts.residence_address, 0.7), (M.POSTAL_CODE, facts.postal_code, 0.3))
    sheet.row((M.PHONE, facts.phone, 0.5), (M.PHONE2, facts.phone2, 0.5))
    sheet.row((M.OCCUPATION, facts.occupation, 0.7), (M.PHOTO_NO, facts.photo_no, 0.3))
    sheet.section(M.SECTION_GUARDIAN)
    rep = facts.representative
    sheet.row((M.NAME, rep.name if rep else "", 0.5), (M.RELATION, rep.relation if rep else "", 0.5))
    sheet.row(
        (M.DOC_TYPE, rep.doc_type if rep else "", 0.5), (M.DOC_NUMBER, rep.doc_number if rep else "", 0.5)
    )
    if rep is not None and rep.proof:  # R-ID-4 / R-ID-5: the proof seen (监护证明, 单位介绍信, 委托书)
        sheet.row((M.PROOF, rep.proof, 1.0))
    sheet.section(M.SECTION_CARD)
    _card_boxes(sheet, facts)
    sheet.row((M.BANK, facts.bank, 0.5), (M.BANK_CARD_NUMBER, facts.bank_card_number, 0.5))
    if facts.card_number:
        sheet.row((M.CARD_NUMBER, facts.card_number, 1.0))
    _business(sheet, facts)
    sheet.section(M.SECTION_SIGN)
    sheet.pdf.set_font("cjk", size=9)
    sheet.pdf.multi_cell(BODY_W, 5, M.DECLARATION, border="LR", new_x="LMARGIN", new_y="NEXT")
    sheet.pdf.set_font("cjk", size=10)
    if facts.signature:  # the signature pad's image in the signature box (HB 13, 39)
        x, y = sheet.pdf.get_x(), sheet.pdf.get_y()
        label = M.SIGNATURE.rstrip("：") + "："
        box_h = ROW_H * 2
        sheet.pdf.cell(BODY_W * 0.6, box_h, label, border=1)
        sheet.pdf.cell(BODY_W * 0.4, box_h, M.DATE_BLANK, border=1)
        sheet.pdf.ln(box_h)
        left = x + sheet.pdf.get_string_width(label) + 2
        _photo(sheet, facts.signature, left, y + 0.5, BODY_W * 0.6 - (left - x) - 1, box_h - 1)
    else:
        sheet.row((M.SIGNATURE.rstrip("："), "", 0.6), ("", M.DATE_BLANK, 0.4))


def _photo(sheet: _Sheet, jpeg: bytes | None, x: float, y: float, w: float, h: float) -> bool:
    """An image (the stored photo in 贴照片处, HN 附件; a pad's signature) fitted in its box;
    False (the label stays) when there is none or the PDF library cannot read it."""
    if not jpeg:
        return False
    import io

    try:
        sheet.pdf.image(io.BytesIO(jpeg), x=x, y=y, w=w, h=h, keep_aspect_ratio=True)
    except Exception:  # a photo the PDF library cannot read prints the label, never fails the form
        return False
    return True


def _id_copy_page(sheet: _Sheet, facts: ReceiptFacts) -> None:
    """申请表（反面）: where the copies of both sides of the ID card are pasted (HN 附件, HB 11)."""
    sheet.pdf.add_page()
    sheet.title(M.ID_COPY_TITLE.format(province=facts.province_zh))
    for label in (M.ID_FRONT, M.ID_BACK):
        y = sheet.pdf.get_y() + 6
        sheet.pdf.rect(MARGIN + 20, y, BODY_W - 40, 60)
        sheet.pdf.set_xy(MARGIN, y + 27)
        sheet.pdf.cell(BODY_W, 6, label, align="C", new_x="LMARGIN", new_y="NEXT")
        sheet.pdf.set_y(y + 62)


def _receipt(sheet: _Sheet, facts: ReceiptFacts) -> None:
    _header(sheet, M.RECEIPT_TITLE, facts)
    sheet.section(M.SECTION_APPLICANT_OR_AGENT)
    sheet.row(
        (M.APPLICANT_NAME, facts.name, 0.3),
        (M.DOC_TYPE, facts.doc_type, 0.3),
        (M.DOC_NUMBER, facts.doc_number, 0.4),
    )
    rep = facts.representative
    sheet.row(
        (M.AGENT_NAME, rep.name if rep else "", 0.3),
        (M.DOC_TYPE, rep.doc_type if rep else "", 0.3),
        (M.DOC_NUMBER, rep.doc_number if rep else "", 0.4),
    )
    _card_boxes(sheet, facts)
    _business(sheet, facts)
    sheet.row((M.OPERATOR, facts.operator_name, 0.6), ("", M.DATE_BLANK, 0.4))
    sheet.pdf.set_font("cjk", size=8)
    sheet.pdf.cell(BODY_W, 6, M.KEEP_RECEIPT, new_x="LMARGIN", new_y="NEXT")
    sheet.pdf.set_font("cjk", size=10)


def render_facts_pdf(facts: ReceiptFacts, *, kind: Kind = "both", font: Path | None = None) -> bytes:
    sheet = _Sheet(font or find_cjk_font(), find_latin_font())
    pdf = sheet.pdf
    pdf.set_title(f"{facts.receipt_no}")
    pdf.set_subject(M.RECEIPT_TITLE.format(province=facts.province_zh))
    pdf.set_keywords(facts.receipt_no)
    pdf.set_creator("cardstation")
    # The business time, not the print time: the same business prints byte-identical PDFs.
    try:
        pdf.set_creation_date(datetime.fromisoformat(facts.at))
    except ValueError:
        pdf.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))
    pdf.add_page()
    if kind in ("form", "both"):
        _form(sheet, facts)
    if kind == "both":
        sheet.cut_line()
    if kind in ("receipt", "both"):
        _receipt(sheet, facts)
    if kind in ("form", "both"):
        _id_copy_page(sheet, facts)
    return bytes(pdf.output())


def render_receipt_pdf(
    result: BusinessResult,
    station: StationLike,
    *,
    store: Store | None = None,
    operator_name: str = "",
    kind: Kind = "both",
    font: Path | None = None,
) -> bytes:
    """The business form and/or receipt of a committed business as PDF bytes (R-APP-8)."""
    facts = facts_from_result(result, station, store=store, operator_name=operator_name)
    return render_facts_pdf(facts, kind=kind, font=font)
