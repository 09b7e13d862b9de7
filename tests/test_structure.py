"""Scaffolding that must not come back (issue 16, "typed seams").

- No `except ImportError` around the project's own modules: every package is always installed,
  so such a guard only hides a broken import behind a vague message.
- No `getattr(profile, "x", default)`: the province profile is a typed frozen dataclass
  (`offline.profiles.Profile`); a guessed name with a default silently applies the wrong rule.
- No `province ==` / `province !=` outside `offline/profiles.py`: a rule one province states is a
  named setting of its profile (`Profile.in_person_instant_or_fast`, ...), so a third profile, or
  a profile update from the card management system, changes the behaviour without a release.
- No registries of "module:function" strings: a registry holds the functions (or classes)
  themselves, so mypy checks them and a rename breaks at import, not in front of an operator.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGES = ("cardstation", "offline", "sync", "devices", "tui")
DOTTED_REF = re.compile(r"^(?:" + "|".join(PACKAGES) + r")(?:\.\w+)+:\w+$")
PROFILE_GETATTR = re.compile(r"getattr\(\s*[\w.]*profile\b")


#: The one module that may compare province names: the profile model and its parser.
PROFILE_MODULE = "offline/profiles.py"
PROVINCE_NAMES = frozenset({"hubei", "hunan", "hb", "hn", "HB", "HN", "湖北", "湖南", "湖北省", "湖南省"})


def _sources() -> list[tuple[str, str]]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert len(files) > 100  # the walk really found the packages
    return [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in files]


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = {"ImportError", "ModuleNotFoundError"}
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(k, ast.Name) and k.id in names for k in kinds)


def import_guards(source: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ExceptHandler) and node.type is not None and _catches_import_error(node)
    ]


def _names_a_province(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute | ast.Name):
        return (node.attr if isinstance(node, ast.Attribute) else node.id) == "province"
    return isinstance(node, ast.Constant) and node.value in PROVINCE_NAMES


def province_comparisons(source: str) -> list[int]:
    """Lines comparing a province (`x.province == ...`, `... != "hunan"`) with == or !=."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        and any(_names_a_province(e) for e in [node.left, *node.comparators])
    ]


def dotted_refs(source: str) -> list[str]:
    return [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and DOTTED_REF.match(node.value)
    ]


def test_no_import_error_guards_in_the_packages() -> None:
    bad = {path: lines for path, src in _sources() if (lines := import_guards(src))}
    assert bad == {}


def test_no_profile_attribute_guessing() -> None:
    bad = {path: PROFILE_GETATTR.findall(src) for path, src in _sources() if PROFILE_GETATTR.search(src)}
    assert bad == {}


def test_no_province_name_comparison_outside_the_profile_module() -> None:
    bad = {
        path: lines
        for path, src in _sources()
        if path != PROFILE_MODULE and (lines := province_comparisons(src))
    }
    assert bad == {}


def test_no_module_function_string_registries() -> None:
    bad = {path: refs for path, src in _sources() if (refs := dotted_refs(src))}
    assert bad == {}


def test_the_checks_themselves_catch_what_they_look_for() -> None:
    guarded = "try:\n    import offline.x\nexcept (ValueError, ImportError):\n    pass\n"
    assert import_guards(guarded) == [3]
    assert import_guards("try:\n    f()\nexcept ValueError:\n    pass\n") == []
    assert PROFILE_GETATTR.search('days = getattr(ctx.profile, "delivery_workdays", 30)')
    assert not PROFILE_GETATTR.search("days = ctx.profile.delivery_workdays")
    assert province_comparisons('if ctx.profile.province == "hubei":\n    pass\n') == [1]
    assert province_comparisons('ok = "hunan" != info.province\n') == [1]
    assert province_comparisons("ok = ctx.profile.in_person_instant_or_fast\n") == []
    assert dotted_refs('H = {"a": "offline.downlink:on_bank_loss"}') == ["offline.downlink:on_bank_loss"]
    assert dotted_refs('M = "时间：10:30"') == []


def test_every_project_error_shares_the_base_that_carries_message_zh() -> None:
    """A screen or the CLI catches CardstationError and shows `message_zh`, whatever the layer."""
    import importlib
    import inspect
    import pkgutil

    from offline.errors import CardstationError

    errors: list[type[BaseException]] = []
    for top in PACKAGES:
        package = importlib.import_module(top)
        names = [top] + [i.name for i in pkgutil.walk_packages(package.__path__, top + ".")]
        for name in names:
            module = importlib.import_module(name)
            errors += [
                obj
                for _n, obj in inspect.getmembers(module, inspect.isclass)
                if issubclass(obj, BaseException)
                and obj.__module__ == name
                and not obj.__name__.startswith("_")  # private control flow (e.g. sync.engine._Stop)
                and not name.startswith("devices.testing")  # the test harness's own (pcscd stack)
            ]
    assert len(errors) > 20
    outside = sorted(
        f"{e.__module__}.{e.__qualname__}" for e in errors if not issubclass(e, CardstationError)
    )
    assert outside == []
    assert CardstationError("未办理", code="x").message_zh == "未办理"
