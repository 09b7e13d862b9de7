"""The deploy files: systemd units verified by `systemd-analyze verify`, the sandbox the issue asks
for, the county SSH account's files, and the install guide's file names existing.

`systemd-analyze verify` checks that ExecStart is executable, so the units are verified in a copy
whose `/opt/cardstation/venv` is replaced by this interpreter's venv (what `deploy.md` installs).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
PROD_VENV = "/opt/cardstation/venv"


def _required(exe: str) -> str:
    found = shutil.which(exe)
    if found is None:
        message = f"{exe} not installed (apt-get install systemd)"
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _directives(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = _required("systemd-analyze")
    venv = Path(sys.prefix)
    assert (venv / "bin" / "cardstation").exists()
    units = sorted(UNITS.glob("*.service")) + sorted(UNITS.glob("*.timer"))
    assert {u.name for u in units} == {
        "cardstation-sync.service",
        "cardstation-backup.service",
        "cardstation-backup.timer",
    }
    for unit in units:
        text = unit.read_text(encoding="utf-8")
        assert PROD_VENV in text or unit.suffix == ".timer"
        (tmp_path / unit.name).write_text(text.replace(PROD_VENV, str(venv)), encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in units)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "cardstation" in line or "Unknown" in line
    ]
    assert done.returncode == 0 and complaints == [], done.stdout + done.stderr


def test_the_sync_unit_is_sandboxed_with_the_store_folder_its_only_writable_path() -> None:
    d = _directives(UNITS / "cardstation-sync.service")
    assert d["ExecStart"] == [f"{PROD_VENV}/bin/cardstation sync --daemon"]
    after = " ".join(d["After"])
    assert "network-online.target" in after and "pcscd" in after
    assert d["Restart"] == ["on-failure"]
    assert d["ProtectSystem"] == ["strict"] and d["PrivateTmp"] == ["yes"] and d["NoNewPrivileges"] == ["yes"]
    assert d["ReadWritePaths"] == ["/var/lib/cardstation"]
    assert d["User"] == ["cardstation"] and d["UMask"] == ["0077"]
    assert "CARDSTATION_DB=/var/lib/cardstation/station.db" in d["Environment"]
    backup = _directives(UNITS / "cardstation-backup.service")
    assert backup["ExecStart"] == [f"{PROD_VENV}/bin/cardstation backup"] and backup["Type"] == ["oneshot"]
    assert backup["ProtectSystem"] == ["strict"] and backup["NoNewPrivileges"] == ["yes"]
    timer = _directives(UNITS / "cardstation-backup.timer")
    assert timer["Persistent"] == ["true"] and timer["Unit"] == ["cardstation-backup.service"]


def test_the_county_ssh_account_has_one_setup_script_named_by_both_guides() -> None:
    """One procedure (docs/ssh.md and docs/deploy.md run the same script); what it writes is
    checked by tests/field/test_ssh_procedure.py, which runs it as root."""
    script = ROOT / "deploy" / "ssh" / "setup-county.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0
    text = script.read_text(encoding="utf-8")
    assert f"CARDSTATION=${{CARDSTATION:-{PROD_VENV}/bin/cardstation}}" in text
    for guide in ("ssh.md", "deploy.md"):
        body = (ROOT / "docs" / guide).read_text(encoding="utf-8")
        assert "sh deploy/ssh/setup-county.sh" in body, guide
        assert "chmod -R g+rwX" not in body.replace("`chmod -R g+rwX`", ""), guide
    assert sorted(p.name for p in (ROOT / "deploy" / "ssh").iterdir()) == ["setup-county.sh"]


def test_the_install_guide_names_files_that_exist_and_the_readme_links_it() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    named = set(re.findall(r"deploy/[\w./-]+", guide))
    assert named and all((ROOT / p).exists() for p in named), [p for p in named if not (ROOT / p).exists()]
    assert "systemctl enable --now cardstation-sync.service cardstation-backup.timer" in guide
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## 部署到服务站" in readme and "docs/deploy.md" in readme
    # The README still opens with exactly its two commands.
    block = readme.split("```sh", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split("#")[0].strip() for line in block] == ["./dev.sh demo", "./dev.sh test"]
