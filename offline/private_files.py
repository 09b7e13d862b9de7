"""Writing the station's own files: owner-only, whole or not at all.

Why: receipts and reports carry names and full ID numbers; a receipt left 0644 in a 0755
folder was readable by every account on a shared thin client. Every file the station writes
goes through `write_private` (mode 0600, folders 0700, written to a temporary name and
renamed, so a crash never leaves half a receipt) — whatever the process umask is.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(folder: Path) -> Path:
    """Create `folder` (and parents) if needed; the leaf is made owner-only."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077 and folder.stat().st_uid == os.getuid():
        os.chmod(folder, 0o700)
    return folder


def write_private(path: Path | str, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` with mode 0600, atomically (temp file + rename)."""
    target = Path(path)
    raw = data.encode(encoding) if isinstance(data, str) else data
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, raw)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)
    return target
