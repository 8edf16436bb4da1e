"""Sign-in with OpenID Connect (st.login), end to end: a local provider (oidc-provider-mock, started here
on a free port, never a remote one) and the app with an [auth] section in a secrets file of its own
(--secrets.files, never the checkout's .streamlit/secrets.toml). Before sign-in every address shows the
sign-in screen only; the provider's form signs a user in and returns to the app, which names them;
sign-out returns to the sign-in screen."""

import contextlib
import secrets
import socket
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from oidc_provider_mock import User, run_server_in_thread
from playwright.sync_api import Page, expect

from tests.browser.app_driver import wait_idle
from tests.browser.conftest import serving

ALICE = User(
    sub="alice-sub",
    claims={"email": "alice@example.org", "name": "Alice Ångström-O'Neil", "groups": ["study-a"]},
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_secrets(path: Path, app_port: int, provider_port: int) -> Path:
    """An operator's [auth] section, pointing at the local provider."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "pts-explorer"\n'
        'client_secret = "a-test-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def signed_in_app(db: Path, tmp: Path, users=(ALICE,), env: dict[str, str] | None = None):
    """The mock provider with `users` (one-click buttons on its form), and the app signing in through it."""
    with run_server_in_thread(user_claims=list(users)) as provider:
        app_port = _free_port()
        secrets_file = write_secrets(tmp / "secrets.toml", app_port, provider.server_port)
        with serving(db, workspace=tmp / "workspace.sqlite", env=env, secrets=secrets_file, port=app_port) as url:
            yield url


def sign_in(page: Page, url: str, sub: str) -> None:
    """From the sign-in screen through the provider's form (the user's one-click button) back to the app."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name=sub, exact=True).click()
    page.wait_for_url(f"{url}/**")
    page.wait_for_selector(".st-key-run_token", state="attached")
    wait_idle(page)


def sees_only_the_sign_in(page: Page) -> None:
    page.wait_for_selector(".st-key-sign_in", state="attached")
    wait_idle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.locator(".st-key-run_token").count() == 0  # no page of the app ran
    assert page.locator(".st-key-page_nav").count() == 0
    assert page.get_by_text("patients", exact=False).count() == 0


@pytest.fixture(scope="module")
def app(demo_db, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sign-in")
    # with sign-in on, a permissions file is needed (without one nobody sees a study): Alice's group sees all
    grants = folder / "pts_permissions.toml"
    grants.write_text('[[grant]]\ngroups = ["study-a"]\nstudies = ["*"]\n', encoding="utf-8")
    with signed_in_app(demo_db, folder, env={"PTS_PERMISSIONS": str(grants)}) as url:
        yield url


@pytest.mark.parametrize(
    "address",
    [
        "/overview?study=ATTRACT",
        "/effects?present=1",
        "/speaker?talk=abcdefgh",
        "/talks?talk=abcdefgh&present=1",
        "/overview?follow=abcdefgh",
        "/cohorts",
        "/import",
    ],
)
def test_an_unauthenticated_request_sees_only_the_sign_in(app, page: Page, address):
    page.goto(app + address)
    sees_only_the_sign_in(page)


def test_signing_in_returns_signed_in_and_signing_out_returns_to_the_sign_in(app, page: Page):
    page.goto(app + "/overview")
    sees_only_the_sign_in(page)
    sign_in(page, app, "alice-sub")
    user_line = page.locator(".st-key-signed_in_user [data-testid='stText']")
    expect(user_line).to_have_count(1)
    assert user_line.inner_text() == "Signed in as Alice Ångström-O'Neil"
    # the app itself ran: the page asked for before signing in (not the provider's landing, the home page) and
    # the page menu
    assert urlsplit(page.url).path == "/overview"
    expect(page.get_by_role("heading", name="Cohort overview")).to_be_visible()
    assert page.locator(".st-key-page_nav").count() == 1
    # a deep link opened by the signed-in browser shows its page, not the sign-in
    page.goto(app + "/overview")
    page.wait_for_selector(".st-key-run_token", state="attached")
    wait_idle(page)
    assert page.locator(".st-key-sign_in").count() == 0
    page.get_by_role("button", name="Sign out").click()
    # st.logout ends the provider's session too (its end_session_endpoint): the mock asks to confirm
    page.wait_for_url("**/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app}/**")
    sees_only_the_sign_in(page)
    page.goto(app + "/overview")
    sees_only_the_sign_in(page)


def test_a_deep_link_opened_signed_out_opens_after_sign_in(app, page: Page):
    """The provider returns the user to the home page: the address asked for before signing in (its page and
    every query key) is opened after it, once; the home page opened later stays the home page."""
    asked = {"arm": ["stent"], "site": ["common_iliac", "common_femoral"], "endpoint": ["secondary_patency"]}
    page.goto(app + "/durability?" + urlencode(asked, doseq=True))
    sees_only_the_sign_in(page)
    sign_in(page, app, "alice-sub")
    page.wait_for_url("**/durability?**", timeout=60_000)
    page.wait_for_selector(".st-key-run_token", state="attached")
    wait_idle(page)
    opened = urlsplit(page.url)
    assert (opened.path, parse_qs(opened.query)) == ("/durability", asked)
    expect(page.get_by_role("heading", name="Durability")).to_be_visible()
    assert page.locator(".st-key-sign_in").count() == 0
    page.goto(app + "/")
    page.wait_for_selector(".st-key-run_token", state="attached")
    wait_idle(page)
    assert urlsplit(page.url).path == "/"
    expect(page.get_by_role("heading", name="PTS Outcomes Explorer")).to_be_visible()
