"""Receipts (受理回执) and business forms (业务办理表) as text and PDF, and printing via CUPS.

Textual-free: the TUI and the CLI call these. Import the submodules directly; this package
re-exports the public names lazily so `import offline.printing` costs nothing (fpdf2 is
imported only when a PDF is rendered).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "PrintError",
    "ReceiptFacts",
    "facts_from_result",
    "find_cjk_font",
    "print_pdf",
    "render_receipt_pdf",
    "render_receipt_text",
]

_WHERE = {
    "PrintError": "offline.printing.errors",
    "ReceiptFacts": "offline.printing.facts",
    "facts_from_result": "offline.printing.facts",
    "find_cjk_font": "offline.printing.pdf",
    "print_pdf": "offline.printing.printer",
    "render_receipt_pdf": "offline.printing.pdf",
    "render_receipt_text": "offline.printing.text",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
