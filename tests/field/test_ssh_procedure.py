"""deploy/ssh/setup-county.sh (docs/ssh.md §1), run as written with other names and paths: the
county may run the terminal as the service account, may not read the key or the store, its SSH
session is only that terminal, and the station still seals afterwards.

The earlier procedure (`chmod -R g+rwX`) made the key file 0660, after which the station refused
to seal; the last assertion shows that this test catches exactly that.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline.store import Store
from sync import keys
from tests.sync.helpers import enrol_station, start_gateway, station_id_for

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("sudo") or not shutil.which("useradd"),
    reason="needs root, sudo and useradd (CI runs as root; dev.sh installs sudo)",
)


SCRIPT = ROOT / "deploy" / "ssh" / "setup-county.sh"


@pytest.fixture
def names(tmp_path: Path) -> Iterator[dict[str, str]]:
    n = f"{os.getpid() % 100000}"
    wrapper = tmp_path / "cardstation"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m cardstation.cli "$@"\n')
    wrapper.chmod(0o755)
    env = {
        "SVC": f"cs-svc-{n}",
        "RUN_GROUP": f"cs-run-{n}",
        "COUNTY": f"cs-cty-{n}",
        "DATA": str(tmp_path / "data"),
        "BIN": str(tmp_path / "bin"),
        "CARDSTATION": str(wrapper),
        "SUDOERS": f"/etc/sudoers.d/cs-test-{n}",
        "SSHD_CONF": str(tmp_path / "sshd" / "cardstation-county.conf"),
    }
    os.chmod(tmp_path, 0o755)
    yield env
    subprocess.run(["userdel", "-r", env["COUNTY"]], capture_output=True)
    subprocess.run(["userdel", env["SVC"]], capture_output=True)
    subprocess.run(["groupdel", env["SVC"]], capture_output=True)
    subprocess.run(["groupdel", env["RUN_GROUP"]], capture_output=True)
    Path(env["SUDOERS"]).unlink(missing_ok=True)
    Path(env["SUDOERS"] + ".tmp").unlink(missing_ok=True)


def _as(user: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", user, "--", *argv], capture_output=True, text=True, timeout=60)


def test_ssh_procedure_as_written_keeps_the_key_private_and_the_station_sealing(
    names: dict[str, str], tmp_path: Path
) -> None:
    gw = start_gateway(tmp_path / "gw.db")
    try:
        data = Path(names["DATA"])
        data.mkdir()
        store = enrol_station(data, gw.gateway, gw.url, station_id_for(950))  # an existing station
        store.close()
        done = subprocess.run(
            ["sh", str(SCRIPT)], env={**os.environ, **names}, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert "县局SSH账号已设置" in done.stdout
        again = subprocess.run(
            ["sh", str(SCRIPT)], env={**os.environ, **names}, capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr  # running it twice changes nothing
        # The SSH session is only the terminal, whatever the client asks for.
        conf = Path(names["SSHD_CONF"]).read_text(encoding="utf-8")
        assert f"Match User {names['COUNTY']}" in conf
        assert f"ForceCommand {names['BIN']}/county-session" in conf
        for side_door in (
            "AllowTcpForwarding no",
            "X11Forwarding no",
            "PasswordAuthentication no",
            "PermitTunnel no",
        ):
            assert side_door in conf
        session = Path(names["BIN"]) / "county-session"
        assert stat.S_IMODE(session.stat().st_mode) == 0o755 and session.stat().st_uid == 0
        assert subprocess.run(["sh", "-n", str(session)], check=False).returncode == 0
        last = session.read_text(encoding="utf-8").rstrip().splitlines()[-1]
        assert last == f"exec sudo -n -u '{names['SVC']}' '{names['BIN']}/station-terminal' run"
        key = data / "keys" / keys.KEY_FILE
        svc_uid = int(subprocess.run(["id", "-u", names["SVC"]], capture_output=True, text=True).stdout)
        for path, mode in ((data, 0o700), (data / "keys", 0o700), (key, 0o600), (data / "station.db", 0o600)):
            st = path.stat()
            assert st.st_uid == svc_uid and stat.S_IMODE(st.st_mode) == mode, (path, oct(st.st_mode))
        # The county account can neither read the key nor copy the store...
        for path in (key, data / "station.db"):
            denied = _as(names["COUNTY"], "cat", str(path))
            assert denied.returncode != 0 and "Permission denied" in denied.stderr
        # ...and may run exactly the station terminal as the service account, nothing else.
        allowed = subprocess.run(["sudo", "-n", "-l", "-U", names["COUNTY"]], capture_output=True, text=True)
        assert f"({names['SVC']}) NOPASSWD:" in allowed.stdout and "station-terminal run" in allowed.stdout
        other = _as(
            names["COUNTY"],
            "sudo",
            "-n",
            "-u",
            names["SVC"],
            f"{names['BIN']}/station-terminal",
            "keys",
            "show",
        )
        assert other.returncode != 0
        other = _as(names["COUNTY"], "sudo", "-n", "-u", names["SVC"], "/bin/cat", str(key))
        assert other.returncode != 0
        # The station still seals with its key (the old procedure broke exactly this).
        store = Store.open(data / "station.db")
        assert keys.sealer_for(store).station_id == station_id_for(950)
        if _as(names["SVC"], sys.executable, "-c", "pass").returncode == 0:  # interpreter usable by others
            verify = _as(
                names["COUNTY"],
                "sudo",
                "-n",
                "-u",
                names["SVC"],
                f"{names['BIN']}/station-terminal",
                "audit",
                "verify",
            )
            assert verify.returncode in (0, 1) and "Traceback" not in verify.stderr
        # The procedure this page used to give: the key becomes 0660 and sealing stops.
        subprocess.run(["chmod", "-R", "g+rwX", str(data)], check=True)
        with pytest.raises(keys.NotEnrolled):
            keys.sealer_for(store)
        store.close()
    finally:
        gw.server.stop()
