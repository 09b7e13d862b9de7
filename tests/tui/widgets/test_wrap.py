"""Chinese line breaking keeps rule ids and receipt numbers whole (issue 16: `R-R` / `EP-3`)."""

from __future__ import annotations

import itertools

import pytest
from rich.cells import cell_len

from tui.widgets.wrap import divide_line


def lines(text: str, width: int) -> list[str]:
    cuts = [0, *divide_line(text, width), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


@pytest.mark.parametrize("width", range(18, 41))
def test_rule_ids_and_receipt_numbers_never_break(width: int) -> None:
    text = "即将冻结新申领：最早一笔未确认上传的业务已等待12天（R-REP-3），回执号HN2025031200012，请联网"
    out = lines(text, width)
    assert "".join(out) == text
    assert all(cell_len(line.rstrip()) <= width for line in out)
    assert any("（R-REP-3）" in line for line in out)
    assert any("HN2025031200012" in line for line in out)


def test_closing_punctuation_stays_with_its_line() -> None:
    out = lines("证件号码不符合规定，应为十八位", 10)
    assert out[0] == "证件号码不"
    assert not any(line.startswith("，") for line in out)
    assert lines("证件号码不符合规，应为", 18)[0] == "证件号码不符合规，"


def test_a_token_longer_than_the_line_is_folded() -> None:
    assert lines("号ABCDEFGHIJKLMNOP", 6) == ["号", "ABCDEF", "GHIJKL", "MNOP"]


def test_installed_into_textual_content() -> None:
    import textual.content

    from tui.widgets import wrap

    wrap.install()
    assert vars(textual.content)["divide_line"] is divide_line
