"""Build the project's wheel from the tracked files and install it into a fresh venv outside the checkout.

Why: the editable install of `dev.sh` reads every file straight from the checkout, so a file
missing from the package data (migrations, profiles, data tables, .tcss) goes unnoticed until a
county engineer installs the wheel on a thin client. These helpers reproduce that install.

Speed: the dependencies are kept as wheels in a wheelhouse (`$CARDSTATION_WHEELHOUSE`, else
`~/.cache/cardstation/wheelhouse`) filled once by `pip wheel` (the only step that needs the
package index); every later install is `pip install --no-index --find-links WHEELHOUSE`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cardstation", "offline", "sync", "devices", "tui")


def wheelhouse() -> Path:
    path = Path(os.environ.get("CARDSTATION_WHEELHOUSE") or Path.home() / ".cache/cardstation/wheelhouse")
    path.mkdir(parents=True, exist_ok=True)
    return path


def tracked_files() -> list[str]:
    """Paths git ships (tracked, plus new files not ignored), else every file but caches and venvs."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        return [p for p in out.decode().split("\0") if p and (ROOT / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".venv", ".git", "__pycache__", "build", "demo-data"}
        return [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
        ]


def package_files(suffix_filter: bool = True) -> list[str]:
    """Tracked files under the packages; with `suffix_filter`, only the non-Python ones."""
    return [
        p
        for p in tracked_files()
        if p.split("/", 1)[0] in PACKAGES and not (suffix_filter and p.endswith((".py", ".pyi")))
    ]


def build_wheel(out: Path) -> Path:
    """Copy the tracked files to a scratch tree (so the build sees only what git ships) and build."""
    src = out / "src"
    for rel in tracked_files():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest)
    dist = out / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("cardstation-*.whl")
    return wheel


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


@dataclass
class WheelVenv:
    """A venv holding the installed wheel; `run` calls its `cardstation` with a clean environment."""

    path: Path
    wheel: Path

    @property
    def cardstation(self) -> Path:
        return self.path / "bin" / "cardstation"

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def env(self, **extra: str) -> dict[str, str]:
        """No PYTHONPATH: the checkout must not leak into the installed program."""
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        env["PATH"] = f"{self.path / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"
        env.update(extra)
        return env

    def pip_install(self, requirement: str) -> None:
        install(self.python, requirement)

    def run(
        self, *args: str, cwd: Path, env: dict[str, str], timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.cardstation), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def fill_wheelhouse(requirement: str) -> None:
    """Make sure the wheelhouse holds every dependency of `requirement` (network on first use only)."""
    house = wheelhouse()
    probe = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-index",
            "--find-links",
            str(house),
            "-d",
            str(house / ".probe"),
            requirement,
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    shutil.rmtree(house / ".probe", ignore_errors=True)
    if probe.returncode != 0:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--find-links",
                str(house),
                "-w",
                str(house),
                requirement,
            ],
            check=True,
            capture_output=True,
            timeout=900,
        )
    for stale in house.glob("cardstation-*.whl"):  # the project itself always comes from the fresh build
        stale.unlink()


def install(python: Path, requirement: str) -> None:
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--find-links",
            str(wheelhouse()),
            requirement,
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


def make_venv(where: Path, wheel: Path, *, extras: str = "") -> WheelVenv:
    """A fresh venv at `where` with the wheel (and `extras`) installed from the wheelhouse."""
    requirement = f"{wheel}[{extras}]" if extras else str(wheel)
    fill_wheelhouse(f"{wheel}[gateway]")
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True, timeout=120)
    install(where / "bin" / "python", requirement)
    return WheelVenv(where, wheel)
