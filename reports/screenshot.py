"""Render report pages to PNG with headless Chromium, to look at them as a reader would.

    python -m citewatch.reports.screenshot REPORT_DIR OUT_DIR

Needs Debian's `chromium` package (apt-get install chromium). The index and the first
incident page are rendered at a laptop's 1366 pixels wide.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Path | str, png: Path, width: int = 1366, height: int = 1400) -> Path:
    """`page` (a file, or a URL) as `png`, rendered by headless Chromium."""
    browser = chromium()
    if browser is None:
        raise RuntimeError("headless Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             f"--screenshot={png}", page if isinstance(page, str) else page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120,
        )
    return png


def main(report_dir: Path, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = [report_dir / "index.html", *sorted((report_dir / "incidents").glob("*.html"))[:1]]
    return [screenshot(page, out_dir / f"{page.stem}.png") for page in pages]


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for written in main(Path(sys.argv[1]), Path(sys.argv[2])):
        print(written)
