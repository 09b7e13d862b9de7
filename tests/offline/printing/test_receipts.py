"""Receipts (受理回执) and business forms (业务办理表) as text and PDF, and CUPS printing.

R-APP-8: the applicant receives a receipt with the acceptance number; layout after the forms
at the end of HN (附件). The PDF is checked by extracting its text through the embedded
font's ToUnicode map (pdftext.py), not by trusting the renderer.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from pdftext import embedded_font_names, extract_text

from offline.business import BusinessResult, ServiceContext, commit_business
from offline.printing.errors import PrintError
from offline.printing.pdf import find_cjk_font, render_receipt_pdf
from offline.printing.printer import print_pdf
from offline.printing.text import cells, render_receipt_text


@dataclass(frozen=True)
class Station:
    province: str = "hunan"
    service_point: str = "43012100100100001"


def applied(ctx: ServiceContext, name: str = "欧阳娜娜") -> tuple[BusinessResult, object]:
    import dataclasses

    from offline.samples import sample_person
    from offline.services.applications import ApplicationInput, apply_card

    person = dataclasses.replace(
        sample_person(random.Random(7), province="hunan", age_range=(30, 50), today=ctx.now().date()),
        name=name,
    )
    return apply_card(
        ctx, ApplicationInput(person=person, channel="local", mode="fast", bank=person.bank)
    ), person


def test_R_APP_8_text_receipt_names_number_person_and_ticks_the_item(ctx: ServiceContext) -> None:
    result, person = applied(ctx)
    text = render_receipt_text(result, Station(), store=ctx.store)
    assert "湖南省社会保障卡业务受理回执" in text
    assert f"受理编号：{result.receipt_no}" in text
    assert "欧阳娜娜" in text and person.doc_number in text  # type: ignore[attr-defined]
    assert "☑申领" in text and "□补领" in text
    assert "收费：免费" in text and "经办人签章：王小红" in text


def test_text_form_has_applicant_block_and_declaration(ctx: ServiceContext) -> None:
    result, person = applied(ctx)
    text = render_receipt_text(result, Station(), store=ctx.store, kind="form")
    assert "湖南省社会保障卡业务申请/办理表" in text
    assert person.residence_address in text  # type: ignore[attr-defined]
    assert "本人保证所提供的个人资料真实、有效" in text
    both = render_receipt_text(result, Station(), store=ctx.store, kind="both")
    assert both.count(result.receipt_no) == 2 and "沿此线剪开" in both


def test_text_columns_align_with_wide_characters(ctx: ServiceContext) -> None:
    result, _ = applied(ctx, name="欧阳娜娜")
    for line in render_receipt_text(result, Station(), store=ctx.store, kind="form").splitlines():
        if line.startswith("姓名：") and "性别：" in line:
            assert cells(line[: line.index("性别：")]) == 36
            break
    else:
        pytest.fail("no name/sex line")


def test_fee_and_other_business_lines(ctx: ServiceContext) -> None:
    with ctx.store.write() as conn:
        paid = commit_business(
            ctx, conn, item="replace", summary="补领", details={"kind": "replace"}, fee_fen=2000
        )
        loss = commit_business(ctx, conn, item="temp_loss", summary="临时挂失", details={})
    text = render_receipt_text(paid, Station())
    assert "☑补领" in text and "收费：20.00 元" in text
    assert "☑其他业务：临时挂失" in render_receipt_text(loss, Station())


def test_R_APP_8_pdf_has_receipt_number_as_text_and_embeds_cjk_font(ctx: ServiceContext) -> None:
    result, _ = applied(ctx)
    pdf = render_receipt_pdf(result, Station(), store=ctx.store)
    assert pdf.startswith(b"%PDF-")
    text = extract_text(pdf)
    assert result.receipt_no in text
    assert "湖南省社会保障卡业务受理回执" in text and "湖南省社会保障卡业务申请/办理表" in text
    assert "欧阳娜娜" in text
    fonts = embedded_font_names(pdf)
    assert any("DroidSansFallback" in f for f in fonts), fonts
    assert b"/FontFile2" in pdf  # the font program itself is embedded, not just named
    # form + receipt on one A4 sheet, then the 申请表（反面） for the ID copies (HN 附件)
    assert pdf.count(b"/Type /Page\n") == 2 and "居民身份证（正面）复印件张贴处" in text
    assert render_receipt_pdf(result, Station(), store=ctx.store) == pdf  # deterministic


def test_pdf_receipt_only(ctx: ServiceContext) -> None:
    result, _ = applied(ctx)
    text = extract_text(render_receipt_pdf(result, Station(), store=ctx.store, kind="receipt"))
    assert "受理回执" in text and "申请/办理表" not in text


def test_no_cjk_font_is_a_clear_chinese_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("offline.printing.pdf.shutil.which", lambda _name: None)
    with pytest.raises(PrintError) as err:
        find_cjk_font((str(tmp_path / "missing.ttf"),))
    assert err.value.code == "no_font" and "fonts-droid-fallback" in err.value.message_zh


def fake_lp(tmp_path: Path, *, fail: bool) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    script = bindir / "lp"
    log = tmp_path / "lp.log"
    body = 'echo "lp: 打印机不存在" >&2; exit 1' if fail else f'echo "$@" > {log}; echo "request id is X-1"'
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return bindir


def test_print_pdf_sends_to_named_printer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{fake_lp(tmp_path, fail=False)}{os.pathsep}{os.environ['PATH']}")
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    print_pdf(pdf, "Receipt-58")
    assert (tmp_path / "lp.log").read_text().split()[:2] == ["-d", "Receipt-58"]


def test_print_pdf_errors_say_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PrintError) as err:
        print_pdf(tmp_path / "r.pdf", "")
    assert err.value.code == "no_printer" and "PDF" in err.value.message_zh
    monkeypatch.setenv("PATH", str(fake_lp(tmp_path, fail=True)))
    with pytest.raises(PrintError) as err:
        print_pdf(tmp_path / "r.pdf", "Receipt-58")
    assert err.value.code == "lp_failed" and "打印机不存在" in err.value.message_zh
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(PrintError) as err:
        print_pdf(tmp_path / "r.pdf", "Receipt-58")
    assert err.value.code == "no_lp"
