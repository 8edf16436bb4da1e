"""Chart images rendered by kaleido in one Chromium per process, kept open between images.

`plotly.io.to_image` starts a new Chromium for every image (kaleido's one-shot mode): about 1 CPU-s
and 3 s of wall time on a 2-core machine, against ~0.3 s for an image in a browser already open.
Here the browser lives in its own event loop on a daemon thread; images from Streamlit's session
threads take turns (a lock), each bounded by a timeout; a failure closes the browser, so the next
image starts a new one; an idle browser is closed after IDLE_SECONDS, and at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
import time
from collections.abc import Coroutine
from typing import Any

import kaleido

TIMEOUT_SECONDS = 120  # one image; a busy machine took 13 s for the slowest seen
IDLE_SECONDS = 300  # a browser no image has used for this long is closed (its memory returned)


class KeptChromium:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._browser: Any = None
        self._last_used = 0.0
        self._closer: threading.Timer | None = None
        atexit.register(self.close)

    def render(self, figure: dict[str, Any], opts: dict[str, Any]) -> bytes:
        """The figure (a plotly figure as a dict) as image bytes; opts: format, width, height, scale."""
        with self._lock:
            if self._browser is None:
                self._open()
            try:
                image = self._call(self._browser.calc_fig(figure, opts=opts))
            except BaseException:
                self._close_locked()
                raise
            self._last_used = time.monotonic()
            self._schedule_idle_close()
            return image

    @property
    def is_open(self) -> bool:
        return self._browser is not None

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _open(self) -> None:
        if not os.environ.get("BROWSER_PATH"):
            found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
            if found:
                os.environ["BROWSER_PATH"] = found  # kaleido's own download needs the internet
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="kaleido-chromium", daemon=True).start()
        self._loop = loop
        browser = kaleido.Kaleido(n=1)
        try:
            self._call(browser.open())
        except BaseException:
            self._browser = browser  # closed below with whatever it started
            self._close_locked()
            raise
        self._browser = browser

    def _call(self, work: Coroutine[Any, Any, Any]) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=TIMEOUT_SECONDS)

    def _close_locked(self) -> None:
        if self._closer is not None:
            self._closer.cancel()
            self._closer = None
        browser, loop = self._browser, self._loop
        self._browser = self._loop = None
        if loop is None:
            return
        try:
            if browser is not None:
                asyncio.run_coroutine_threadsafe(browser.close(), loop).result(timeout=30)
        except BaseException:  # noqa: BLE001 (a browser that will not close is left to the OS with its loop)
            pass
        finally:
            loop.call_soon_threadsafe(loop.stop)

    def _schedule_idle_close(self) -> None:
        if self._closer is not None:
            self._closer.cancel()
        self._closer = threading.Timer(IDLE_SECONDS, self._close_if_idle)
        self._closer.daemon = True
        self._closer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._browser is not None and time.monotonic() - self._last_used >= IDLE_SECONDS - 1:
                self._close_locked()


CHROMIUM = KeptChromium()
