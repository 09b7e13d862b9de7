"""Logs: owner-only files rotated by size and count, or the journal under systemd.

The daemon is a real `cardstation sync --daemon` process (stopped with SIGTERM as systemd stops
it); rotation is driven in-process with a small size limit.
"""

from __future__ import annotations

import logging
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cardstation import logs

pytestmark = pytest.mark.timeout(120)


def _station(tmp_path: Path) -> Path:
    db = tmp_path / "station" / "station.db"
    env = {**os.environ, "CARDSTATION_ADMIN_PASSWORD": "Admin#2026pass"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cardstation.cli",
            "--db",
            str(db),
            "init",
            "--province",
            "hubei",
            "--service-point",
            "42010200100100001",
            "--admin",
            "admin",
            "--admin-name",
            "张三",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    return db


def _daemon(db: Path, **env: str) -> tuple[str, str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cardstation.cli",
            "--db",
            str(db),
            "sync",
            "--daemon",
            "--url",
            "http://127.0.0.1:9",
            "--interval",
            "600",
            "--probe-interval",
            "600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out, err


def test_daemon_logs_to_an_owner_only_file_when_not_under_systemd(tmp_path: Path) -> None:
    db = _station(tmp_path)
    _out, err = _daemon(db, JOURNAL_STREAM="")
    path = db.parent / "logs" / logs.FILE_NAME
    text = path.read_text(encoding="utf-8")
    assert "sync daemon started" in text and "sync daemon stopped" in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "<6>" not in err


def test_daemon_logs_to_the_journal_under_systemd(tmp_path: Path) -> None:
    db = _station(tmp_path)
    _out, err = _daemon(db, JOURNAL_STREAM="8:12345")
    assert (
        "<6>cardstation.sync: sync daemon started" in err
        and "<6>cardstation.sync: sync daemon stopped" in err
    )
    assert not (db.parent / "logs" / logs.FILE_NAME).exists()


def test_log_files_rotate_by_size_and_count_and_stay_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # a permissive umask must not make the files readable by others
    try:
        where = logs.setup(tmp_path, max_bytes=2_000, backups=3)
        log = logging.getLogger("cardstation.test")
        for i in range(400):
            log.warning("record %04d 受理编号 4301210010010000120260302010001", i)
    finally:
        os.umask(old_umask)
        for h in [h for h in logging.getLogger().handlers if getattr(h, "_cardstation_handler", False)]:
            logging.getLogger().removeHandler(h)
            h.close()
    files = sorted((tmp_path / "logs").iterdir())
    assert Path(where) in files
    assert [f.name for f in files] == [logs.FILE_NAME] + [f"{logs.FILE_NAME}.{n}" for n in (1, 2, 3)]
    assert all(f.stat().st_size <= 2_200 for f in files)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert "record 0399" in files[0].read_text(encoding="utf-8")  # the newest is in the live file
    assert "record 0000" not in "".join(f.read_text(encoding="utf-8") for f in files)  # the oldest dropped
