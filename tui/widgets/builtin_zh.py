"""Chinese for the strings Textual itself supplies (binding descriptions shown in the footer).

Why: an operator saw `Esc Dismiss menu` in the footer while a dropdown was open — the
description of Textual's SelectOverlay binding. Every description of the widgets the station
uses is listed here, so that the footer (`StationFooter`) never shows English, and a test
(tests/tui/widgets/test_builtin_zh.py) fails when a Textual upgrade brings a new one.

Other built-in strings are replaced where they are made: Select's prompt (`CompactSelect`
passes "请选择"), Ctrl+C's "Do you want to quit?" (`StationApp.action_help_quit`), the command
palette (Textual's is off; `tui/palette.py` is the station's own).
"""

from __future__ import annotations

from typing import Final

BINDING_ZH: Final[dict[str, str]] = {
    # SelectOverlay / Select
    "Dismiss menu": "关闭列表",
    "Show menu": "展开列表",
    # OptionList / DataTable / ListView
    "Down": "下移",
    "Up": "上移",
    "First": "第一项",
    "Last": "最后一项",
    "Page Down": "下一页",
    "Page Up": "上一页",
    "Page down": "下一页",
    "Page up": "上一页",
    "Select": "选定",
    "Cursor down": "下移",
    "Cursor up": "上移",
    "Cursor left": "左移",
    "Cursor right": "右移",
    "Top": "顶部",
    "Bottom": "底部",
    "Home": "行首",
    "End": "行尾",
    # Input
    "Copy selected text": "复制",
    "Cut selected text": "剪切",
    "Paste text from the clipboard": "粘贴",
    "Delete all to the left": "删除左侧全部",
    "Delete all to the right": "删除右侧全部",
    "Delete character left": "删除左字",
    "Delete character right": "删除右字",
    "Delete left to start of word": "删除左词",
    "Delete right to start of word": "删除右词",
    "Go to end": "到末尾",
    "Go to start": "到开头",
    "Move cursor left": "光标左移",
    "Move cursor left a word": "光标左移一词",
    "Move cursor left a word and select": "向左选词",
    "Move cursor left and select": "向左选字",
    "Move cursor right a word": "光标右移一词",
    "Move cursor right a word and select": "向右选词",
    "Move cursor right and select": "向右选字",
    "Move cursor right or accept the completion suggestion": "光标右移",
    "Select all": "全选",
    "Select line end": "选到行尾",
    "Select line start": "选到行首",
    "Submit": "确认",
    # Button / Checkbox
    "Press button": "按下",
    "Toggle": "勾选/取消",
    # Screen / App / scrolling containers
    "Focus Next": "下一项",
    "Focus Previous": "上一项",
    "Quit": "退出",
    "Scroll Down": "向下滚动",
    "Scroll Up": "向上滚动",
    "Scroll Left": "向左滚动",
    "Scroll Right": "向右滚动",
    "Scroll Home": "滚到顶部",
    "Scroll End": "滚到底部",
    "Page Left": "向左翻页",
    "Page Right": "向右翻页",
}


def zh(description: str) -> str:
    """The Chinese for a Textual description; the station's own (Chinese) ones pass through."""
    return BINDING_ZH.get(description, description)
