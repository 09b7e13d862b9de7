"""Photo paths that would hang or exhaust a naive reader (R-APP-9 rows, offline.files), through the real CLI.

`/dev/zero`, a FIFO with no writer and a 2 GB sparse file, each named in a photo cell of a batch
list: every one is a row problem with a Chinese message, the whole import finishes within a
second of a clean run of the same size, and the process's peak RSS stays under 200 MB
(measured by a wrapper whose only child is the `cardstation` process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_batch import CARDSTATION, row, station, write_csv  # noqa: F401  (station is a fixture)

from offline.files import FileRefused, read_capped

RSS_LIMIT_MB = 200
WRAPPER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(done.stderr)\n"
    "sys.stdout.write(done.stdout)\n"
    "print('RSS_KB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


def _run(env: dict[str, str], path: Path) -> tuple[list[dict[str, object]], float, int]:
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            WRAPPER,
            str(CARDSTATION),
            "apply",
            "--csv",
            str(path),
            "--as",
            "op1",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rss_kb = int(lines[-1].split()[1])
    rows = [json.loads(x) for x in lines[:-1] if x.startswith("{")]
    return rows, elapsed, rss_kb


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, str]:
    fifo = tmp_path / "fifo.jpg"
    os.mkfifo(fifo)
    sparse = tmp_path / "sparse.jpg"
    with open(sparse, "wb") as f:
        f.truncate(2 * 1024**3)
    os.symlink("/dev/zero", tmp_path / "zero.jpg")
    return {"/dev/zero": "/dev/zero", "zero-link": "zero.jpg", "fifo": "fifo.jpg", "sparse": "sparse.jpg"}


def test_R_APP_9_device_fifo_sparse_refused_fast_and_small(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    hostile: dict[str, str],
    photo: bytes,
) -> None:
    _db, env = station
    names = list(hostile)
    rows = [row(700 + i, 照片=hostile[n]) for i, n in enumerate(names)]
    bad_rows, bad_time, bad_rss = _run(
        env, write_csv(tmp_path / "hostile.csv", rows, encoding="utf-8", photo=photo)
    )
    clean = tmp_path / "clean"
    clean.mkdir()
    rows = [row(800 + i, 照片="") for i in range(len(names))]
    _, clean_time, _ = _run(env, write_csv(clean / "clean.csv", rows, encoding="utf-8", photo=photo))
    assert [r["status"] for r in bad_rows] == ["rejected"] * len(names)
    messages = {n: str(r["message"]) for n, r in zip(names, bad_rows, strict=True)}
    assert "不在名单所在的文件夹" in messages["/dev/zero"]
    assert "不在名单所在的文件夹" in messages["zero-link"]  # the symlink is followed, then refused
    assert "不是普通文件" in messages["fifo"]
    assert "超过上限" in messages["sparse"]
    print(f"hostile {bad_time:.2f}s clean {clean_time:.2f}s peak RSS {bad_rss / 1024:.0f} MB")
    assert bad_time < clean_time + 1.0, (bad_time, clean_time)
    assert bad_rss < RSS_LIMIT_MB * 1024, bad_rss


@pytest.mark.parametrize("name", ["/dev/zero", "fifo", "sparse"])
def test_operator_picked_paths_refused_at_once(tmp_path: Path, hostile: dict[str, str], name: str) -> None:
    """A form's photo path may be anywhere, yet never a device, a FIFO or a huge file."""
    path = name if name.startswith("/") else str(tmp_path / hostile[name])
    started = time.monotonic()
    with pytest.raises(FileRefused) as exc:
        read_capped(path, what="照片")
    assert time.monotonic() - started < 1.0
    assert "不是普通文件" in exc.value.message_zh or "超过上限" in exc.value.message_zh


def test_file_growing_past_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"x" * 100)
    assert read_capped(path, cap=100) == b"x" * 100
    with pytest.raises(FileRefused):
        read_capped(path, cap=99)
    with pytest.raises(FileRefused, match="不在名单所在的文件夹"):
        read_capped("../a.jpg", root=tmp_path / "sub")


@pytest.mark.parametrize("name", ["/dev/zero", "fifo", "sparse"])
def test_R_APP_9_list_path_to_device_fifo_sparse_refused(
    station: tuple[Path, dict[str, str]],  # noqa: F811
    tmp_path: Path,
    hostile: dict[str, str],
    name: str,
) -> None:
    """The list itself named as a device, a FIFO or a 2 GB file: exit 2 with the reason, at once."""
    _db, env = station
    path = name if name.startswith("/") else str(tmp_path / hostile[name])
    started = time.monotonic()
    done = subprocess.run(
        [str(CARDSTATION), "apply", "--file", path, "--as", "op1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "不是普通文件" in done.stderr or "超过上限" in done.stderr, done.stderr
    assert time.monotonic() - started < 10  # the CLI's own start-up included; a hang would hit the timeout
