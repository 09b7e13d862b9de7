"""Typed terminal configuration: a TOML file plus environment overrides.

Where: `$CARDSTATION_CONFIG`, else `<platform config dir>/cardstation/config.toml`. A missing file
is fine (every field has a default). Unknown keys are ignored so an older release can read a newer
file. Example::

    ascii_borders = false
    colour = "auto"            # auto | 256 | 16 | none
    idle_lock_minutes = 10     # overrides the province profile
    printer = "Receipt-58"
    sync_url = "https://km.example/api"
    signature_dir = "/home/station/签名"  # where the signature pad's software saves its images

    [keys]
    "app.item.apply" = "f2"    # binding id = key(s), see tui/keymap.py

Environment overrides (highest priority): `CARDSTATION_ASCII=1`, `CARDSTATION_COLOUR`,
`NO_COLOR` (any value → colour none), `CARDSTATION_IDLE_LOCK_MINUTES`, `CARDSTATION_PRINTER`,
`CARDSTATION_SYNC_URL`, `CARDSTATION_SIGNATURE_DIR`; `TERM=linux` turns on ASCII glyphs (the Linux console draws box
characters badly and many CJK terminals draw them double-width).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

COLOUR_MODES = ("auto", "256", "16", "none")


@dataclass(frozen=True)
class Config:
    """The terminal's own settings (not the station's: those live in the store)."""

    keys: dict[str, str] = field(default_factory=dict)
    """Key remapping: binding id → comma-separated keys (applied with `App.set_keymap`)."""

    ascii_borders: bool = False
    """Draw with plain ASCII: borders, rules, arrows, bullets, bars (`--ascii`, `TERM=linux`, and
    CJK terminals that draw ambiguous-width glyphs two cells wide); see tui/widgets/glyphs.py."""

    colour: str = "auto"
    """Colour mode: 'auto' (what the terminal says), '256', '16' or 'none' (no colour; focus and
    cursors in reverse video, the `station-mono` theme)."""

    idle_lock_minutes: int | None = None
    """Lock the screen after this many idle minutes; None = the province profile's value."""

    printer: str = ""
    """Receipt printer name ('' = the system default)."""

    sync_url: str = ""
    """Base URL of the card management system's gateway ('' = the station's enrolled URL)."""

    signature_dir: str = ""
    """Folder where the USB signature pad's vendor software saves each signature as PNG/JPEG
    ('' = no pad: the applicant signs the printed form and the operator ticks 签字确认)."""

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """`$CARDSTATION_CONFIG`, else the platform config dir."""
    env = os.environ if env is None else env
    explicit = env.get("CARDSTATION_CONFIG")
    if explicit:
        return Path(explicit)
    import platformdirs

    return Path(platformdirs.user_config_dir("cardstation")) / "config.toml"


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def parse_config(data: Mapping[str, Any]) -> Config:
    """Build a Config from parsed TOML, ignoring unknown keys and coercing types."""
    keys_raw = data.get("keys", {})
    keys = {str(k): str(v) for k, v in keys_raw.items()} if isinstance(keys_raw, Mapping) else {}
    colour = str(data.get("colour", data.get("color", "auto"))).lower()
    if colour not in COLOUR_MODES:
        colour = "auto"
    idle = data.get("idle_lock_minutes")
    return Config(
        keys=keys,
        ascii_borders=bool(data.get("ascii_borders", False)),
        colour=colour,
        idle_lock_minutes=int(idle) if isinstance(idle, int | float | str) and str(idle).strip() else None,
        printer=str(data.get("printer", "")),
        sync_url=str(data.get("sync_url", "")),
        signature_dir=str(data.get("signature_dir", "")),
    )


def apply_env(config: Config, env: Mapping[str, str]) -> Config:
    """Environment overrides (see the module docstring)."""
    changes: dict[str, Any] = {}
    if env.get("TERM", "") == "linux":
        changes["ascii_borders"] = True
    if "CARDSTATION_ASCII" in env:
        changes["ascii_borders"] = _bool(env["CARDSTATION_ASCII"])
    colour = env.get("CARDSTATION_COLOUR", env.get("CARDSTATION_COLOR", "")).lower()
    if colour in COLOUR_MODES:
        changes["colour"] = colour
    if "NO_COLOR" in env:
        changes["colour"] = "none"
    idle = env.get("CARDSTATION_IDLE_LOCK_MINUTES", "").strip()
    if idle.isdigit():
        changes["idle_lock_minutes"] = int(idle)
    if "CARDSTATION_PRINTER" in env:
        changes["printer"] = env["CARDSTATION_PRINTER"]
    if "CARDSTATION_SYNC_URL" in env:
        changes["sync_url"] = env["CARDSTATION_SYNC_URL"]
    if "CARDSTATION_SIGNATURE_DIR" in env:
        changes["signature_dir"] = env["CARDSTATION_SIGNATURE_DIR"]
    return replace(config, **changes) if changes else config


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the TOML file (if any) and apply environment overrides."""
    env = os.environ if env is None else env
    p = path if path is not None else config_path(env)
    data: dict[str, Any] = {}
    if p.is_file():
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    return apply_env(parse_config(data), env)
