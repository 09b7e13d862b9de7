"""An unexpected error in the TUI ends it with the top-level handler's Chinese message: no
traceback, no local variables (which could hold an ID number or a name) on the screen."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cardstation.failures import report
from tui.app import make_app
from tui.context import AppServices


async def test_unhandled_error_shows_one_chinese_message_and_logs_no_personal_data(
    services: AppServices, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARDSTATION_LOG_DIR", str(tmp_path / "logs"))
    app = make_app(replace(services, on_error=lambda exc: report(exc, None, "tui")[0]))

    def boom() -> None:
        ssn = "430102199001011234"  # a local the default traceback would print
        raise RuntimeError(f"张三 {ssn}")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            app.call_later(boom)
            await pilot.pause()
    shown = "".join(capsys.readouterr())  # what the app printed on its way out
    assert "程序内部错误" in shown and "Traceback" not in shown and "430102199001011234" not in shown
    logged = (tmp_path / "logs" / "cardstation.log").read_text()
    assert "RuntimeError" in logged and "430102" not in logged and "张三" not in logged
