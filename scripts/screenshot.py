"""Screenshot app pages in headless Chromium: python scripts/screenshot.py URL OUT.png [URL OUT.png ...]"""

import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, ".")
from tests.browser.chromium import launch_args  # noqa: E402


def main(pairs: list[str]) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_args())
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        for url, out in zip(pairs[::2], pairs[1::2], strict=True):
            page.goto(url)
            page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=out, full_page=True)
            print("wrote", out)
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])
