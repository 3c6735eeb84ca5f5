"""People: an admin invites a person, who sets a password through the link and lands on their
home page; a PO manager sees only their PO's people and cannot invite an administrator."""

import pytest
from playwright.sync_api import expect

from harness import check_page, path_of, sign_in, visit


@pytest.mark.postgres
def test_an_invited_person_signs_in_through_the_link(page, server, new_page):
    email, password = server.account("admin")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/people", "people")
    page.get_by_label("Email", exact=True).fill("lee.park@example.org")
    page.get_by_label("Name", exact=True).fill("Lee Park")
    page.get_by_label("Role", exact=True).select_option(label="Practice manager")
    page.get_by_label("Works for", exact=True).select_option(index=2)  # the demo PO's first practice
    with page.expect_navigation():
        page.get_by_role("button", name="Invite").click()
    check_page(page, "people-invited")
    link = page.get_by_label("Invitation link").input_value()
    assert "/invitations/" in link, link
    expect(page.locator("#people tr", has_text="lee.park@example.org")).to_contain_text("Invited")

    invited = new_page()
    visit(invited, link, "invitation")
    expect(invited.get_by_role("heading", level=1)).to_contain_text("Lee Park")
    invited.get_by_label("New password (12 characters or more)").fill("a long enough secret")
    invited.get_by_label("The same password again").fill("a long enough secret")
    with invited.expect_navigation():
        invited.get_by_role("button", name="Set password and sign in").click()
    check_page(invited, "invited-home")
    assert path_of(invited).startswith("/practices/"), path_of(invited)
    expect(invited.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    expect(invited.locator("header")).to_contain_text("Lee Park")

    # The link works once.
    again = new_page()
    response = again.goto(link)
    assert response.status == 404

    visit(page, server.base + "/people", "people-after")
    expect(page.locator("#people tr", has_text="lee.park@example.org")).to_contain_text("Active")


def test_a_po_manager_invites_within_the_po_only(page, server):
    email, password = server.account("po_manager")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/people", "po-people")
    roles = page.get_by_label("Role", exact=True).locator("option").all_inner_texts()
    assert "Administrator" not in roles, roles
    scopes = page.get_by_label("Works for", exact=True).locator("option").all_inner_texts()
    assert all("(demo)" in s or s.startswith("Nothing") or "·" in s for s in scopes), scopes
    page.get_by_label("Email", exact=True).fill("not-an-email")
    page.get_by_label("Name", exact=True).fill("X")
    page.get_by_label("Role", exact=True).select_option(label="Auditor")
    page.locator("form", has=page.get_by_role("button", name="Invite")).evaluate("f => f.noValidate = true")
    with page.expect_navigation() as answer:
        page.get_by_role("button", name="Invite").click()
    assert answer.value.status == 422
    check_page(page, "po-people-refused")
    expect(page.locator("#email-error")).to_be_visible()


def test_an_admin_changes_a_persons_access(page, server):
    email, password = server.account("admin")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/people", "people-access")
    row = page.locator("#people tr", has_text="auditor@demo.pcmh.example")
    row.locator("summary").click()
    row.get_by_label("works for", exact=False).select_option(index=2)
    with page.expect_navigation():
        row.get_by_role("button", name="Save access of", exact=False).click()
    check_page(page, "people-access-changed")
    expect(page.get_by_role("status")).to_contain_text("auditor@demo.pcmh.example is now auditor")
    row = page.locator("#people tr", has_text="auditor@demo.pcmh.example")
    expect(row).to_contain_text("·")  # a practice of the PO now, not the whole PO


def test_an_admin_revokes_any_token_and_a_person_makes_their_own(page, server):
    email, password = server.account("admin")
    sign_in(page, server.base, email, password)
    status, _ = server.api("/organizations", "auditor")
    assert status == 200
    visit(page, server.base + "/tokens", "tokens-admin")
    row = page.locator("#managed-tokens tr", has_text="demo auditor")
    with page.expect_navigation():
        row.get_by_role("button", name="Revoke token", exact=False).click()
    check_page(page, "token-revoked")
    expect(page.locator("#managed-tokens tr", has_text="demo auditor")).to_contain_text("Revoked")
    status, _ = server.api("/organizations", "auditor")
    assert status == 401, "a revoked token no longer opens the API"

    page.get_by_label("What it is for").fill("nightly export")
    with page.expect_navigation():
        page.get_by_role("button", name="Make token").click()
    check_page(page, "token-made")
    secret = page.get_by_label("Your new token").input_value()
    assert secret.startswith("pcmh_"), secret
    expect(page.locator("#tokens tr", has_text="nightly export")).to_contain_text("Active")
