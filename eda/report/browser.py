"""Headless Chromium: screenshot a report page and read back its rendered DOM (for checks and previews)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from eda.errors import DataError

__all__ = ["find_chromium", "screenshot", "rendered_dom"]

_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    binary = find_chromium()
    if binary is None:
        raise DataError("Chromium not found", hint="apt-get install chromium")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [binary, *_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def screenshot(page: Path, png: Path, *, width: int = 1280, height: int = 2400, timeout: float = 120) -> Path:
    """Render ``page`` (a local HTML file) in headless Chromium and save a PNG screenshot."""
    result = _run(
        [f"--screenshot={png.resolve()}", f"--window-size={width},{height}", page.resolve().as_uri()], timeout
    )
    if not png.is_file():
        raise DataError(f"Chromium produced no screenshot of {page}: {result.stderr[-500:]}")
    return png


def rendered_dom(page: Path, *, timeout: float = 120) -> str:
    """The DOM of ``page`` after Chromium loaded and rendered it (``--dump-dom``)."""
    return _run(["--dump-dom", page.resolve().as_uri()], timeout).stdout
