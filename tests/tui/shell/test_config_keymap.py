"""Typed config (TOML + env overrides), key remapping, and the palette's matching (no terminal)."""

from __future__ import annotations

from pathlib import Path

from tui import keymap
from tui.config import Config, load_config, parse_config
from tui.palette import match_commands


def test_config_defaults_when_file_missing(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "none.toml", env={})
    assert cfg == Config()


def test_config_reads_toml_and_keys(tmp_path: Path) -> None:
    p = tmp_path / "c.toml"
    p.write_text(
        'ascii_borders = true\ncolour = "16"\nidle_lock_minutes = 3\nprinter = "P58"\n'
        'sync_url = "http://gw"\nunknown = 1\n[keys]\n"app.item.apply" = "F12, ctrl+a"\n',
        encoding="utf-8",
    )
    cfg = load_config(p, env={})
    assert cfg.ascii_borders and cfg.colour == "16" and cfg.idle_lock_minutes == 3
    assert cfg.printer == "P58" and cfg.sync_url == "http://gw"
    assert keymap.parse_keymap(cfg.keys) == {"app.item.apply": "f12,ctrl+a"}


def test_env_overrides_term_linux_and_no_color(tmp_path: Path) -> None:
    cfg = load_config(
        tmp_path / "none.toml", env={"TERM": "linux", "NO_COLOR": "", "CARDSTATION_IDLE_LOCK_MINUTES": "7"}
    )
    assert cfg.ascii_borders is True
    assert cfg.colour == "none"
    assert cfg.idle_lock_minutes == 7
    assert (
        load_config(tmp_path / "none.toml", env={"TERM": "linux", "CARDSTATION_ASCII": "0"}).ascii_borders
        is False
    )


def test_bad_colour_falls_back_to_auto() -> None:
    assert parse_config({"colour": "rainbow"}).colour == "auto"


def test_every_app_binding_has_an_id_and_chinese_or_hidden_description() -> None:
    ids = [k.id for k in keymap.APP_KEYS]
    assert len(ids) == len(set(ids))
    for spec in keymap.APP_KEYS:
        assert spec.id.startswith("app.")
        if spec.show:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.description), spec


def test_key_display_short_names() -> None:
    assert keymap.key_display("f2") == "F2"
    assert keymap.key_display("escape") == "Esc"
    assert keymap.key_display("ctrl+l") == "^L"


def test_palette_finds_apply_by_initials_and_by_chinese_name() -> None:
    assert match_commands("sl")[0].key == "apply"
    assert match_commands("SL")[0].key == "apply"
    assert match_commands("申领")[0].key == "apply"
    # 临时卡 by initials prefix, and 密码 matches the three PIN items by name.
    assert match_commands("lsk")[0].key == "temp_card"
    assert {e.key for e in match_commands("密码")} >= {"pin_change", "pin_reset", "pin_unlock"}
    assert match_commands("zzzz") == []
    assert len(match_commands("")) >= 18
