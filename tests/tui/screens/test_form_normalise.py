"""The form shows what it understood when a field is left (R-APP-1): typed 2020.1.1, 长期, 138-1234-5678.

Real keystrokes through the Pilot: the value in the field becomes the standard form, the line under
it says "已识别为：…" (green, not a problem), and a whole application typed the way people write
is committed with standard values in the store.
"""

from __future__ import annotations

from pathlib import Path

from screenkit import AppFactory, Station, one, open_form, person_form, submit

from tui.screens.forms.apply import ApplyScreen
from tui.screens.receipt import ReceiptScreen


async def _type_and_leave(pilot: object, form: object, key: str, text: str) -> str:
    form.query_one(f"#f-{key}").focus()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press(*text)  # type: ignore[attr-defined]
    await pilot.press("tab")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return str(form.query_one(f"#p-{key}").render())  # type: ignore[attr-defined]


async def test_R_APP_1_typed_forms_understood_on_leave(station: Station, app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        line = await _type_and_leave(pilot, form, "doc_valid_from", "2020.1.1")
        assert form.query_one("#f-doc_valid_from").value == "2020-01-01"
        assert line == "已识别为：2020-01-01"
        assert form.query_one("#p-doc_valid_from").has_class("-note")
        line = await _type_and_leave(pilot, form, "doc_valid_to", "长期")
        assert form.query_one("#f-doc_valid_to").value == ""
        assert line == "已识别为：长期"
        line = await _type_and_leave(pilot, form, "phone", "138-1234-5678")
        assert form.query_one("#f-phone").value == "13812345678"
        assert line == "已识别为：13812345678"
        line = await _type_and_leave(pilot, form, "doc_number", "4301 0219 9001 0112 3x")
        assert form.query_one("#f-doc_number").value == "43010219900101123X"
        line = await _type_and_leave(pilot, form, "name", "张  三")
        assert form.query_one("#f-name").value == "张三" and line == "已识别为：张三"
        line = await _type_and_leave(pilot, form, "birth_date", "2020年13月1日")
        assert "不是存在的日期" in line and "规则 R-APP-1" in line
        assert form.query_one("#f-birth_date").value == "2020年13月1日"  # nothing typed is lost


async def test_R_APP_1_application_typed_as_people_write_is_committed(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    person = station.person(31, name="张三丰")
    data = person_form(person, tmp_path)
    data["doc_valid_from"] = "2020.01.01"
    data["doc_valid_to"] = "2040/1/1"
    data["phone"] = "+86 139-0000-1234"
    data["doc_number"] = " ".join(person.doc_number[i : i + 6] for i in range(0, 18, 6)).lower()
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        after = await submit(pilot, form, data)
        assert isinstance(after, ReceiptScreen), str(form.query_one("#form-status").render())
    row = one(station.store, "SELECT * FROM persons WHERE name = '张三丰'")
    assert row["phone"] == "13900001234"
    assert row["doc_valid_from"] == "2020-01-01" and row["doc_valid_to"] == "2040-01-01"


async def test_photo_path_to_a_device_is_refused_in_the_form(
    station: Station, app_factory: AppFactory
) -> None:
    """The field check is a `stat` (never opens /dev/zero on the event loop) and names the problem."""
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        line = await _type_and_leave(pilot, form, "photo_path", "/dev/zero")
        assert "不是普通文件" in line and "R-APP-2" in line


async def test_R_APP_2_photo_fixed_before_and_after_shown_then_recorded(
    station: Station, app_factory: AppFactory, tmp_path: Path
) -> None:
    """A 1200×1600 PNG: the form says what it was and what it became; the receipt and the record say 自动调整."""
    import io
    import json

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1200, 1600), "white")
    d = ImageDraw.Draw(img)
    d.ellipse((400, 300, 800, 820), fill=(200, 160, 130))
    d.rectangle((200, 960, 1000, 1600), fill=(40, 40, 90))
    for i in range(0, 4000, 3):
        d.point((200 + (i * 37) % 800, 300 + (i * 53) % 1300), fill=(i % 200, 90, 60))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    photo = tmp_path / "studio.png"
    photo.write_bytes(buf.getvalue())
    person = station.person(41, name="李四光")
    data = person_form(person, tmp_path)
    data["photo_path"] = str(photo)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        form.fill(data)
        await pilot.pause()
        form.query_one("#f-photo_path").focus()
        await pilot.pause()
        await pilot.press("tab")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        line = str(form.query_one("#p-photo_path").render())
        assert line.startswith("照片已自动调整：原 1200×1600 PNG") and "→ 358×441 JPEG" in line
        assert form.query_one("#p-photo_path").has_class("-note")
        after = await submit(pilot, form, {})
        assert isinstance(after, ReceiptScreen), str(form.query_one("#form-status").render())
        assert "照片已自动调整" in after.result.summary
    details = json.loads(
        one(station.store, "SELECT details FROM businesses WHERE summary LIKE '%李四光%'")["details"]
    )
    assert details["photo_adjusted"] is True


async def _type_into_select(pilot: object, form: object, key: str, text: str) -> str:
    form.query_one(f"#f-{key}").focus()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.press(*text)  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    return str(form.query_one(f"#p-{key}").render())  # type: ignore[attr-defined]


async def test_R_APP_1_a_name_typed_into_a_select_picks_what_people_call_it(
    station: Station, app_factory: AppFactory
) -> None:
    """ "工行" is 中国工商银行, "汉" is 汉族, "身份证" is 居民身份证: a clerk who knows the answer types it
    instead of scrolling the list; the line under the field says what was understood."""
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(pilot, ApplyScreen())
        bank = form.query_one("#f-bank")
        line = await _type_into_select(pilot, form, "bank", "工行")
        assert bank.value == "中国工商银行" and line == "已识别为：中国工商银行"
        assert not bank.expanded and form.query_one("#p-bank").has_class("-note")
        assert form.values()["bank"] == "中国工商银行"
        line = await _type_into_select(pilot, form, "ethnicity", "汉")
        assert form.query_one("#f-ethnicity").value == "01" and line == "已识别为：汉族"
        await pilot.press("tab")
        line = await _type_into_select(pilot, form, "ethnicity", "zz")
        assert "无法识别为民族" in line and "R-APP-1" in line
        assert form.query_one("#f-ethnicity").value == "01"  # nothing chosen is lost
        await pilot.press("backspace", "backspace", "壮")
        await pilot.pause()
        assert form.query_one("#f-ethnicity").value == "08"
        line = await _type_into_select(pilot, form, "doc_type", "户口")
        assert form.query_one("#f-doc_type").value == "household_register" and line == "已识别为：户口簿"
