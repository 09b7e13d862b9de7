"""The station's data-at-rest key: one key file, outside the data folder, owner-only.

Why: a village thin client is easy to carry away, and a copy of its data folder used to give
every ID number, name, phone, address and photo in cleartext, plus the station's signing key.
Now the store is a SQLCipher database and the signing key file is encrypted; both keys are
derived (HKDF-SHA256, one label each) from a 32-byte master key in a key file that

- lives outside the data folder and its backups: `$CARDSTATION_KEY_FILE`, by default the
  platform config folder (`~/.config/cardstation/store.key`; on a station the service account's
  `/etc/cardstation/store.key`, see docs/threat-model.md);
- is readable by the service account only (refused, in Chinese, when group or others can read
  it — the same rule as the signing key);
- is created by `cardstation init` (and the demo) and never by anything else.

TPM 2.0 sealing of the master key (MOSIP's registration client does that) is future work:
`master_key()` is the one place that would unseal it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from offline.errors import StoreError

ENV = "CARDSTATION_KEY_FILE"
MSG_NO_KEY = (
    "数据库 {path} 不是明文数据库：它是加密的数据库而本机找不到密钥文件 {key}，或者文件已损坏。"
    "请以服务账户运行，或设置 CARDSTATION_KEY_FILE 指向本站的密钥文件；文件损坏或密钥丢失时，请用备份恢复并联系技术支持。"
)
MSG_KEY_OPEN = (
    "密钥文件 {key} 其他账户也能读取，已拒绝使用。请执行 chmod 600 {key}（只允许服务账户读取）后重试。"
)
MSG_KEY_BAD = "密钥文件 {key} 格式不对（应为 64 位十六进制）。请用本站原来的密钥文件替换它。"


def key_path() -> Path:
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir("cardstation")) / "store.key"


def master_key(*, create: bool = False) -> bytes | None:
    """The master key; None when there is none and `create` is False."""
    path = key_path()
    if create and not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # created by another process just now
        else:
            try:
                os.write(fd, secrets.token_hex(32).encode() + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    if st.st_mode & 0o077:
        raise StoreError("key_file_open", MSG_KEY_OPEN.format(key=path))
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise StoreError("key_file_bad", MSG_KEY_BAD.format(key=path))
    return raw


def derive(master: bytes, label: str) -> bytes:
    """HKDF-SHA256 (RFC 5869) with an empty salt: one 32-byte key per purpose."""
    prk = hmac.new(b"\x00" * 32, master, hashlib.sha256).digest()
    return hmac.new(prk, f"cardstation {label}".encode() + b"\x01", hashlib.sha256).digest()


def store_key(db_path: Path, *, create: bool = False) -> bytes:
    """The SQLCipher raw key for this store (refuses, in Chinese, when there is no key file)."""
    master = master_key(create=create)
    if master is None:
        raise StoreError("no_key", MSG_NO_KEY.format(path=db_path, key=key_path()))
    return derive(master, "store v1")


def signing_key_password() -> bytes | None:
    """What wraps the station's signing key file; None on a station without a key file."""
    master = master_key()
    return None if master is None else derive(master, "station signing key v1").hex().encode()


def is_plain_sqlite(path: Path) -> bool:
    """True for a non-empty cleartext SQLite file; False for SQLCipher (or anything else), empty
    or missing.

    Asked through SQLite itself, never by opening the file: closing any descriptor of a file
    drops every POSIX lock this process holds on it, including SQLite's own.
    """
    try:
        if path.stat().st_size == 0:
            return False
    except FileNotFoundError:
        return False
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        return False
    return True
