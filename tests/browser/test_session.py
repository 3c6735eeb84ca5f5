"""A session ends after --session-idle-timeout seconds without a page load, not while in use."""

import re
import time

import pytest
from playwright.sync_api import expect

from harness import check_page, path_of, sign_in, visit

IDLE_SECONDS = 3


@pytest.mark.postgres
def test_an_idle_session_is_signed_out(page, start_server):
    server = start_server("--session-idle-timeout", str(IDLE_SECONDS))
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    home = page.url
    assert path_of(page).startswith("/practices/")
    # Pages loaded less than the timeout apart keep it alive past the timeout. (Plain loads of
    # the home page sign_in checked already: axe and screenshots would stretch the gaps.)
    started = time.monotonic()
    for n in range(8):
        page.wait_for_timeout(500)
        page.goto(home)
        assert path_of(page).startswith("/practices/"), f"signed out while in use (load {n + 1})"
        if time.monotonic() - started > IDLE_SECONDS + 1:
            break
    check_page(page, "still-signed-in")
    page.wait_for_timeout((IDLE_SECONDS + 1.5) * 1000)
    visit(page, home, "after-idle")
    assert path_of(page) == "/sign-in"
    expect(page.get_by_text(re.compile("signed out", re.IGNORECASE)).first).to_be_visible()
