"""Layer rules of architecture.md, proved rather than hoped for.

The four import rules are import-linter contracts in pyproject.toml (`lint-imports`, run by
`./dev.sh test`). This module adds what a static import graph cannot see:

- offline/ never imports textual, httpx, smartcard (pyscard), tui, sync or devices — checked
  at runtime (import every module in a fresh interpreter, look at sys.modules) and statically
  (ast of every file, so a lazy import inside a function is caught too).
- tui/ holds no SQL execution, no APDU transmission and no HTTP: it calls services (calls such
  as `.execute(` on an object it was handed are not imports).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
FORBIDDEN = ("textual", "httpx", "smartcard", "tui", "sync", "devices")

PROBE = f"""
import importlib, json, pkgutil, sys
import offline
failed = {{}}
for info in pkgutil.walk_packages(offline.__path__, "offline."):
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        failed[info.name] = repr(exc)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in {FORBIDDEN!r})
print(json.dumps({{"failed": failed, "leaked": leaked,
                   "count": sum(1 for m in sys.modules if m.startswith("offline"))}}))
"""


def test_importing_all_of_offline_loads_no_outer_layer() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["failed"] == {}
    assert result["leaked"] == []
    assert result["count"] > 10  # the walk really imported the package


def _imported_tops(tree: ast.AST) -> set[str]:
    tops: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            tops |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            tops.add(node.args[0].value.split(".")[0])
    return tops


def test_no_file_in_offline_imports_an_outer_layer() -> None:
    files = sorted((ROOT / "offline").rglob("*.py"))
    assert files
    bad = {}
    for path in files:
        hits = _imported_tops(ast.parse(path.read_text(encoding="utf-8"))) & set(FORBIDDEN)
        if hits:
            bad[str(path.relative_to(ROOT))] = sorted(hits)
    assert bad == {}


SQL_CALLS = {"execute", "executemany", "executescript", "transmit"}


def _tui_violations(source: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}(")
    found += [
        f"imports {top}"
        for top in sorted(_imported_tops(tree) & {"sqlite3", "sqlite_utils", "httpx", "smartcard"})
    ]
    if "httpx" in source:
        found.append("mentions httpx")
    return found


def test_tui_holds_no_sql_apdus_or_http() -> None:
    bad = {}
    for path in sorted((ROOT / "tui").rglob("*.py")):
        hits = _tui_violations(path.read_text(encoding="utf-8"))
        if hits:
            bad[str(path.relative_to(ROOT))] = hits
    assert bad == {}


def test_the_tui_checker_itself_catches_violations() -> None:
    assert _tui_violations("conn.execute('SELECT 1')")
    assert _tui_violations("reader.transmit([0x00])")
    assert _tui_violations("import httpx")
    assert _imported_tops(ast.parse("def f():\n    from textual.app import App\n")) == {"textual"}
    assert not _tui_violations("self.app.run_action('quit')")
