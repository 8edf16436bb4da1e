"""Screenshot app pages in headless Chromium once each run has finished.

    python scripts/screenshot.py [--size 1400x900] [--full] URL OUT.png [URL OUT.png ...]

--full sets a tall viewport so the whole page is in the shot (Streamlit scrolls an inner container,
so Playwright's full_page option does not capture it).
"""

import argparse
import sys

from playwright.sync_api import sync_playwright

sys.path.insert(0, ".")
from tests.browser.app_driver import open_page  # noqa: E402
from tests.browser.chromium import launch_args  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1440x1000", help="viewport WIDTHxHEIGHT")
    parser.add_argument("--full", action="store_true", help="a viewport tall enough for the whole page")
    parser.add_argument("--dark", action="store_true", help="emulate a system dark-mode preference")
    parser.add_argument("pairs", nargs="+", help="URL OUT.png pairs")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(**launch_args())
        page = browser.new_page(
            viewport={"width": width, "height": 5200 if args.full else height},
            color_scheme="dark" if args.dark else "light",
        )
        for url, out in zip(args.pairs[::2], args.pairs[1::2], strict=True):
            open_page(page, url)
            page.wait_for_timeout(800)  # plotly's own transitions
            page.screenshot(path=out)
            print("wrote", out)
        browser.close()


if __name__ == "__main__":
    main()
