"""No Python traceback ever reaches a user: 30+ bad invocations of the real `cardstation`
process, each answered by a Chinese message (and a non-zero exit), none by "Traceback".

The list is what the red-team pass tried (a truncated or corrupt store, a read-only folder, a
station not yet enrolled, a network error during enrolment, a mistyped --db, a foreign file for
`audit verify`, ...) plus the usual slips at a keyboard.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.campaigns.cli_runner import cli_env, run_cli

CJK = re.compile(r"[\u4e00-\u9fff]")
SP = "43012100100100001"
ADMIN_PASSWORD = "tian-he-7-qiao"


def _cli(*args: str, env: dict[str, str], user: int | None = None) -> tuple[int, str]:
    out = run_cli(*args, env=env, user=user, timeout=30)
    return out.returncode, out.stdout + out.stderr


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("bad")
    env = cli_env(
        root / "logs", CARDSTATION_ADMIN_PASSWORD=ADMIN_PASSWORD, CARDSTATION_PASSWORD=ADMIN_PASSWORD
    )
    db = root / "station.db"
    code, out = _cli(
        "--db",
        str(db),
        "init",
        "--province",
        "hunan",
        "--service-point",
        SP,
        "--admin",
        "admin",
        "--admin-name",
        "欧阳娜娜",
        env=env,
    )
    assert code == 0, out
    (root / "bad.db").write_bytes(b"SQLite format 3\x00" + bytes(984))
    data = db.read_bytes()
    (root / "truncated.db").write_bytes(data[: len(data) // 3])
    (root / "random.db").write_bytes(os.urandom(8192))
    (root / "empty.db").write_bytes(b"")
    with sqlite3.connect(root / "foreign.db") as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    (root / "garbage.csv").write_bytes(os.urandom(3000))
    code, out = _cli("apply", "--template", str(root / "good.csv"), env=env)
    assert code == 0, out
    head = (root / "good.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    row = ",".join(["张三"] + ["x"] * (len(head.split(",")) - 1))
    (root / "good.csv").write_text(f"{head}\n{row}\n", encoding="utf-8")
    (root / "header.csv").write_text("姓名,证件号码\n张三,430102199001011234\n", encoding="utf-8")
    (root / "hello.json").write_text("{}")
    ro = root / "readonly"
    ro.mkdir()
    shutil.copy(db, ro / "station.db")
    os.chmod(ro / "station.db", 0o644)
    os.chmod(ro, 0o555)
    os.chmod(root, 0o755)
    return root, env


def invocations(root: Path) -> list[list[str]]:
    db = str(root / "station.db")
    gw = str(root / "gw.db")
    return [
        ["--db", str(root / "bad.db"), "sync", "--status"],
        ["--db", str(root / "bad.db"), "report", "daily", "--as", "x"],
        ["--db", str(root / "none" / "x.db"), "audit", "verify"],
        ["apply", "--csv", str(root / "missing.csv")],
        ["--db", db, "sync", "--once", "--url", "http://127.0.0.1:1"],
        ["query", "--ssn", "1"],
        ["--db", str(root / "truncated.db"), "operator", "list", "--as", "admin"],
        ["--db", str(root / "random.db"), "report", "daily", "--as", "admin"],
        ["--db", str(root / "empty.db"), "audit", "verify"],
        ["--db", str(root / "foreign.db"), "audit", "verify"],
        ["--db", db, "apply", "--csv", str(root / "good.csv"), "--as", "admin"],
        ["--db", db, "delivery", "close", "1", "--as", "admin"],
        ["--db", db, "keys", "enrol", "--url", "http://127.0.0.1:1", "--token", "abc.def"],
        ["--db", db, "keys", "enrol", "--url", "http://127.0.0.1:1", "--token", "nodot"],
        ["--db", db, "keys", "rotate"],
        ["--db", db, "keys", "refresh"],
        ["--db", db, "sync", "--resend", "all"],
        ["--db", db, "report", "daily", "--as", "admin", "--date", "2025-13-45"],
        ["--db", db, "operator", "add", "x", "--name", "李四", "--role", "nonsense", "--as", "admin"],
        ["--db", db, "operator", "list", "--as", "nobody"],
        ["--db", db, "apply", "--csv", str(root / "garbage.csv"), "--as", "admin"],
        ["--db", db, "delivery", "show", "999", "--as", "admin"],
        ["--db", db, "apply", "--csv", str(root / "header.csv"), "--as", "admin"],
        ["--db", db, "report", "daily", "--as", "admin", "--pdf", str(root / "no" / "dir" / "x.pdf")],
        [
            "--db",
            db,
            "init",
            "--province",
            "hunan",
            "--service-point",
            SP,
            "--admin",
            "a",
            "--admin-name",
            "王五",
        ],
        [
            "--db",
            str(root / "new.db"),
            "init",
            "--province",
            "hunan",
            "--service-point",
            "123",
            "--admin",
            "a",
            "--admin-name",
            "王五",
        ],
        ["gateway", "stats", "--db", "/proc/version/gw.db"],
        [
            "gateway",
            "register-station",
            "--db",
            gw,
            "--station-id",
            "x",
            "--public-key",
            str(root / "missing.pem"),
        ],
        [
            "gateway",
            "register-station",
            "--db",
            gw,
            "--station-id",
            "x",
            "--public-key",
            str(root / "hello.json"),
        ],
        ["gateway", "push-update", "--db", gw, "--station-id", "x", "--kind", "k", "--payload", "notjson"],
        ["--db", str(root / "typo.db"), "sync", "--status"],
        ["--db", str(root / "typo.db"), "keys", "show"],
        ["--db", db, "delivery", "prepare", "--name", "青山村", "--as", "admin"],
        ["--db", db, "card", "read", "--reader", "no-such-reader", "--timeout", "0.2"],
    ]


def test_none_of_30_bad_invocations_prints_a_traceback(setup: tuple[Path, dict[str, str]]) -> None:
    root, env = setup
    cases = invocations(root)
    assert len(cases) >= 30
    bad = []
    for args in cases:
        code, out = _cli(*args, env=env)
        if "Traceback" in out or code == 0 or not CJK.search(out):
            bad.append((args, code, out[-600:]))
    assert not bad, "\n\n".join(f"{a}\nexit {c}\n{o}" for a, c, o in bad)
    # A mistyped --db created nothing; only init creates a store.
    assert not (root / "typo.db").exists() and not (root / "none").exists()


def test_read_only_folder_is_a_chinese_message(setup: tuple[Path, dict[str, str]]) -> None:
    root, env = setup
    db = str(root / "readonly" / "station.db")
    env = {**env, "CARDSTATION_LOG_DIR": "/tmp"}
    code, out = _cli("--db", db, "operator", "list", "--as", "admin", env=env, user=65534)
    assert code != 0 and "Traceback" not in out and CJK.search(out), out


def test_unexpected_errors_are_logged_without_personal_data(setup: tuple[Path, dict[str, str]]) -> None:
    from cardstation.failures import scrub

    assert scrub("bad 430102199001011234 张三 13912345678") == "bad # … #"
    root, _env = setup
    for log in (root / "logs").glob("*.log"):
        text = log.read_text()
        assert not re.search(r"\d{15}", text) and not CJK.search(text)
        assert oct(log.stat().st_mode & 0o777) == "0o600"
