"""The wheel works on its own: built from the tracked files, installed into a fresh venv outside the
checkout, it sets up a station, enrols it with a real gateway process, takes a CSV batch, syncs and
builds the demo. The station install carries no gateway web stack and says what to install for it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.install import wheelenv

pytestmark = [pytest.mark.wheel, pytest.mark.timeout(600)]

SP = "43012100100100001"
STATION_ID = SP + "01"
ADMIN_PW, OPER_PW = "Admin#2026pass", "Oper#2026pass"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return wheelenv.build_wheel(tmp_path_factory.mktemp("wheel"))


def test_every_non_python_file_of_the_packages_is_in_the_wheel(wheel: Path) -> None:
    data = wheelenv.package_files()
    assert any(p.startswith("offline/migrations/") and p.endswith(".sql") for p in data)
    assert any(p.startswith("sync/gateway/migrations/") and p.endswith(".sql") for p in data)
    assert any(p.endswith(".tcss") for p in data) and any(p.endswith(".toml") for p in data)
    names = wheelenv.wheel_names(wheel)
    assert sorted(p for p in data if p not in names) == []
    modules = [p for p in wheelenv.package_files(suffix_filter=False) if p.endswith(".py")]
    assert sorted(p for p in modules if p not in names) == []


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> wheelenv.WheelVenv:
    started = time.monotonic()
    v = wheelenv.make_venv(tmp_path_factory.mktemp("venv") / "station-venv", wheel)
    print(f"fresh venv with the station wheel in {time.monotonic() - started:.1f} s")
    return v


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The reference gateway as its own process, from the development venv (it has the extra)."""
    from cardstation.demo_setup import Gateway

    gw = Gateway(tmp_path_factory.mktemp("gw") / "gateway.db")
    gw.start()
    yield gw
    gw.stop()


def _csv(folder: Path) -> Path:
    from tests.offline.services.conftest import make_photo
    from tests.offline.services.test_batch import row, write_csv

    return write_csv(folder / "list.csv", [row(701), row(702)], encoding="utf-8-sig", photo=make_photo(1))


def test_wheel_install_runs_a_station_end_to_end(
    venv: wheelenv.WheelVenv, gateway: object, tmp_path: Path
) -> None:
    from cardstation.demo_setup import Gateway

    assert isinstance(gateway, Gateway)
    work = tmp_path / "elsewhere"  # not the checkout: nothing can be read from the source tree
    work.mkdir()
    db = work / "station.db"
    env = venv.env(
        CARDSTATION_DB=str(db),
        CARDSTATION_ADMIN_PASSWORD=ADMIN_PW,
        CARDSTATION_PASSWORD=ADMIN_PW,
        CARDSTATION_NEW_PASSWORD=OPER_PW,
    )
    located = subprocess.run(
        [
            str(venv.python),
            "-c",
            "import offline, importlib.util as u; print(offline.__file__);"
            "print(u.find_spec('starlette') is None, u.find_spec('uvicorn') is None)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert located[0].startswith(str(venv.path)), located
    assert located[1:] == ["True", "True"], "a station install must not carry the gateway web stack"

    no_extra = venv.run("gateway", "serve", "--db", str(work / "gw.db"), cwd=work, env=env)
    assert no_extra.returncode == 2 and "Traceback" not in no_extra.stderr
    assert "cardstation[gateway]" in no_extra.stderr and "未安装" in no_extra.stderr

    steps: dict[str, float] = {}

    def run(*args: str, **extra: str) -> str:
        t = time.monotonic()
        done = venv.run(*args, cwd=work, env={**env, **extra})
        steps[args[0] + (" " + args[1] if args[0] in {"operator", "keys"} else "")] = time.monotonic() - t
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        return done.stdout

    assert "服务站已初始化" in run(
        "init", "--province", "hunan", "--service-point", SP, "--admin", "admin", "--admin-name", "欧阳娜娜"
    )
    run("operator", "add", "--as", "admin", "--name", "王小红", "--role", "operator", "wangxh")
    token = gateway.register(STATION_ID)
    assert "已注册" in run("keys", "enrol", "--url", gateway.url, "--token", token)
    lines = run("apply", "--csv", str(_csv(work)), "--as", "wangxh", "--json", CARDSTATION_PASSWORD=OPER_PW)
    outcomes = [json.loads(line) for line in lines.splitlines()]
    assert [o["status"] for o in outcomes] == ["accepted", "accepted"], outcomes
    report = json.loads(run("sync", "--once", "--json"))
    assert report["sent"] >= 2 and report["acked"] == report["sent"] and not report["errors"], report
    again = json.loads(run("sync", "--once", "--json"))
    assert again["sent"] == 0

    t = time.monotonic()
    venv.pip_install(f"{venv.wheel}[gateway]")
    steps["pip install [gateway]"] = time.monotonic() - t
    demo = run("demo", "--no-tui", "--dir", str(work / "demo"), "--persons", "20")
    assert "演示就绪" in demo and (work / "demo" / "station.db").exists()
    print("wheel-install steps (s):", {k: round(v, 1) for k, v in steps.items()})
