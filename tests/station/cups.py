"""A private CUPS scheduler with a cups-pdf queue, for tests that print for real.

cupsd runs in the foreground from a temporary ServerRoot and listens only on a Unix socket in
it; `CUPS_SERVER` points `lp`/`lpstat` (and so the station's printing code) at it. The cups-pdf
backend writes the PDF into the job owner's `~/PDF` (Debian's `/etc/cups/cups-pdf.conf`), found
by its job number. Under CI a missing cupsd/cups-pdf fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
BACKEND = Path("/usr/lib/cups/backend/cups-pdf")


def unavailable() -> str | None:
    for exe in ("cupsd", "lpadmin", "lp", "lpstat", "pdftotext"):
        if shutil.which(exe) is None and not Path(f"/usr/sbin/{exe}").exists():
            return f"{exe} not installed (apt-get install cups printer-driver-cups-pdf poppler-utils)"
    if not PPD.exists() or not BACKEND.exists():
        return "printer-driver-cups-pdf not installed"
    if os.geteuid() != 0:
        return "cupsd needs root to run the cups-pdf backend"
    return None


def require() -> None:
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CUPS required under CI: {reason}")
    pytest.skip(reason)


@dataclass
class Cups:
    root: Path
    queue: str
    printed: list[Path] = field(default_factory=list)
    #: job numbers restart at 1 with every scheduler: only PDFs written after it started count
    started: float = field(default_factory=time.time)

    @property
    def socket(self) -> Path:
        return self.root / "cups.sock"

    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": str(self.socket)}

    def wait_pdf(self, job_id: int, timeout: float = 30.0) -> Path:
        """The PDF cups-pdf wrote for job `job_id` (waits until the job completed)."""
        home = Path(pwd.getpwuid(os.getuid()).pw_dir)
        folders = [home / "PDF", Path("/var/spool/cups-pdf/ANONYMOUS")]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for folder in folders:
                for pdf in folder.glob(f"*job_{job_id}.pdf") if folder.is_dir() else ():
                    fresh = pdf.stat().st_mtime >= self.started - 1
                    if fresh and pdf.stat().st_size > 0 and self.job_done(job_id):
                        self.printed.append(pdf)
                        return pdf
            time.sleep(0.2)
        log = (self.root / "log" / "error_log").read_text(errors="replace")[-3000:]
        raise AssertionError(f"cups-pdf wrote no PDF for job {job_id}\n{log}")

    def last_job(self) -> int:
        """The highest job number this scheduler has seen (jobs finished or not)."""
        out = subprocess.run(
            ["lpstat", "-W", "all", "-o", self.queue],
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        ids = [
            int(line.split()[0].rsplit("-", 1)[1])
            for line in out.splitlines()
            if line.startswith(self.queue + "-")
        ]
        return max(ids, default=0)

    def job_done(self, job_id: int) -> bool:
        out = subprocess.run(
            ["lpstat", "-W", "completed", "-o", self.queue],
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return f"{self.queue}-{job_id} " in out


def _write_config(root: Path) -> None:
    for sub in ("state", "cache", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(mode=0o1777)
    os.chmod(root / "tmp", 0o1777)  # filters run as the unprivileged `lp` user
    os.chmod(root, 0o755)
    (root / "cupsd.conf").write_text(
        f"Listen {root}/cups.sock\nLogLevel info\nWebInterface No\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order allow,deny\n    Allow all\n  </Limit>\n</Policy>\n"
    )
    (root / "cups-files.conf").write_text(
        f"ServerRoot {root}\nStateDir {root}/state\nCacheDir {root}/cache\nRequestRoot {root}/spool\n"
        f"TempDir {root}/tmp\nErrorLog {root}/log/error_log\nAccessLog {root}/log/access_log\n"
        f"PageLog {root}/log/page_log\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\nSystemGroup root\n"
        f"Printcap {root}/printcap\n"
    )


@contextmanager
def running_cups(queue: str = "station-pdf") -> Iterator[Cups]:
    """Start a private cupsd with a cups-pdf queue named `queue`; stop it and remove our PDFs after.

    Its ServerRoot is a fresh folder directly under the system temp dir, not pytest's tmp_path:
    the filters run as the unprivileged `lp` user, who cannot enter pytest's owner-only base
    folder (the job then fails with "Filter failed").
    """
    require()
    root = Path(tempfile.mkdtemp(prefix="cardstation-cups-"))
    _write_config(root)
    cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
    with (root / "cupsd.out").open("wb") as out:
        proc = subprocess.Popen(
            [cupsd, "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    cups = Cups(root, queue)
    try:
        deadline = time.monotonic() + 15
        while not cups.socket.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "cupsd did not start: " + (root / "cupsd.out").read_text(errors="replace")
                )
            time.sleep(0.1)
        subprocess.run(
            ["lpadmin", "-p", queue, "-E", "-v", "cups-pdf:/", "-P", str(PPD)],
            env=cups.env(),
            capture_output=True,
            check=True,
            timeout=30,
        )
        yield cups
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for pdf in cups.printed:  # only what this scheduler printed
            pdf.unlink(missing_ok=True)
        shutil.rmtree(root, ignore_errors=True)


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def raster_difference(a: Path, b: Path, *, dpi: int = 40) -> float:
    """Share of pixels (0..1) whose grey level differs by more than a third, page 1 of each PDF.

    Why pixels and not text: cups-pdf receives PostScript (pdftops, then Ghostscript), and that step
    drops the embedded CJK fonts' Unicode tables, so pdftotext on CUPS's PDF returns stand-in
    characters. The station's own PDF is checked as text; this shows CUPS printed that same page.
    """
    from PIL import Image, ImageChops

    images = []
    for i, pdf in enumerate((a, b)):
        prefix = pdf.parent / f".raster-{i}-{pdf.stem}"
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        image = Path(f"{prefix}.pgm")
        images.append(Image.open(image).convert("L"))
        image.unlink()
    first, second = images
    if first.size != second.size:
        second = second.resize(first.size)
    diff = ImageChops.difference(first, second).point(lambda v: 255 if v > 85 else 0)
    histogram = diff.histogram()
    return histogram[255] / (first.size[0] * first.size[1])
