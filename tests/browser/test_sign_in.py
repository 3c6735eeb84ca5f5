"""Signing in and out: each role lands on its home; a wrong password or email is refused alike."""

import re

import pytest
from playwright.sync_api import expect

from harness import DEMO_PRACTICE, ROLES, check_page, expect_alert, path_of, sign_in, visit

NOT_RIGHT = "The email or password is not right"


def practice_link_points_to(href: str | None, practice_id: int) -> bool:
    return bool(href) and re.search(rf"/practices/{practice_id}(?:[/?#]|$)", href) is not None


def expect_signed_in_frame(page):
    """Every signed-in page: a header with the person's name and a Sign out button, a Main nav."""
    expect(page.locator("header").get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator('nav[aria-label="Main"]')).to_be_visible()


@pytest.mark.postgres
@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_home(page, server, role):
    email, password = server.account(role)
    landed = sign_in(page, server.base, email, password)
    assert landed.status == 200, f"{role}'s home answered {landed.status}"
    posted = landed.request.redirected_from
    assert posted is not None and posted.method == "POST", "a sign-in redirects (303) to the home page"
    practices = server.demo_practices()
    if role == "practice_manager":
        mine = next(p for p in practices if p["name"] == DEMO_PRACTICE)
        assert path_of(page) == f"/practices/{mine['id']}"
        expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    else:
        assert path_of(page) == "/"
        expect(page.get_by_role("heading", level=1)).to_contain_text("Practices")
        for practice in practices:
            link = page.get_by_role("link", name=practice["name"]).first
            expect(link).to_be_visible()
            href = link.get_attribute("href")
            assert practice_link_points_to(href, practice["id"]), f"{practice['name']} links to {href}"
    expect_signed_in_frame(page)


@pytest.mark.postgres
def test_a_wrong_password_or_email_is_refused_alike(page, server):
    email, password = server.account("practice_manager")
    attempts = [
        ("wrong password", email, password + "x"),
        ("unknown email", "nobody@demo.pcmh.example", password),
    ]
    for what, tried_email, tried_password in attempts:
        landed = sign_in(page, server.base, tried_email, tried_password)
        assert landed.status == 422, f"{what}: answered {landed.status}"
        assert path_of(page) == "/sign-in", what
        expect_alert(page, NOT_RIGHT)
        expect(page.get_by_label("Email")).to_be_visible()
    visit(page, server.base + "/", "home-after-failures")
    assert path_of(page) == "/sign-in", "no session was opened"
    # Two failures are not a lockout: the right password still signs in.
    sign_in(page, server.base, email, password)
    assert path_of(page).startswith("/practices/")


def test_sign_out_ends_the_session(page, server):
    email, password = server.account("po_manager")
    sign_in(page, server.base, email, password)
    assert path_of(page) == "/"
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    check_page(page, "after-sign-out")
    assert path_of(page) == "/sign-in"
    visit(page, server.base + "/", "home-after-sign-out")
    assert path_of(page) == "/sign-in"


@pytest.mark.postgres
def test_without_a_session_every_page_redirects_to_sign_in(page, server):
    practice = server.demo_practices()[0]["id"]
    for path in ["/", f"/practices/{practice}", "/practices/999999"]:
        response = visit(page, server.base + path, f"no-session-{path}")
        assert path_of(page) == "/sign-in", f"{path} without a session"
        assert response.status == 200
        assert response.request.redirected_from is not None, f"{path} redirects"
        expect(page.get_by_label("Email")).to_be_visible()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
