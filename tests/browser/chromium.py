"""How to launch Debian's Chromium for Playwright here (its own browser download is unavailable)."""

import os
import shutil

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",  # WebGL for plotly's scattergl in headless Chromium >= 144
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def launch_args() -> dict:
    return {
        "executable_path": chromium_path(),
        # Playwright gives every launch a fresh temporary profile itself.
        "args": CHROMIUM_ARGS,
    }
