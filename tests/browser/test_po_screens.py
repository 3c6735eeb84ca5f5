"""The PO manager's screens: what falls due (filtered by window), the trend chart, the practices
of the PO (adding one), the PO's records (attesting 4.24 as the signed-in person) and the catalog
upgrade (previewed, confirmed, then 4.28 flagged for re-attestation); an auditor sees the same
pages without a form."""

import datetime

import pytest
from playwright.sync_api import expect

from harness import check_page, practice_today, sign_in, visit

NEW_PRACTICE = "Birchwood Family Practice"


def demo_po(server):
    status, organizations = server.api("/organizations")
    assert status == 200, organizations
    return next(o for o in organizations["items"] if "(demo)" in o["name"])["id"]


def submit(page, name, button):
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    check_page(page, name)


def test_a_po_manager_runs_the_po(page, server):
    email, password = server.account("po_manager")
    sign_in(page, server.base, email, password, check=False)
    base = f"{server.base}/organizations/{demo_po(server)}"
    today = practice_today().isoformat()

    # What falls due, then only what is overdue.
    visit(page, base + "/due", "po-due")
    expect(page.locator("#due-list")).to_be_visible()
    page.get_by_label("Window").select_option("overdue")
    submit(page, "po-due-overdue", "Show")
    assert "window=overdue" in page.url
    rows = page.locator("#due-list tbody tr")
    assert rows.count() > 0
    for text in rows.all_inner_texts():
        assert "Overdue" in text or "Nothing falls due" in text, text
    response = page.request.get(base + "/due.xlsx?window=overdue")
    assert response.status == 200 and response.body()[:2] == b"PK"

    # The trend: a chart drawn on the server with its numbers beside it.
    visit(page, base + "/trend", "po-trend")
    expect(page.locator("svg#trend-chart")).to_have_attribute("role", "img")
    expect(page.locator("#trend-table tbody tr").first).to_be_visible()

    # A new practice joins the PO.
    visit(page, base + "/practices", "po-practices")
    page.get_by_label("Practice name").fill(NEW_PRACTICE)
    page.get_by_label("Initial-focus population").fill("adults with diabetes")
    page.get_by_label("Joined the PO on").fill(today)
    page.get_by_label("Time zone").fill("America/Detroit")
    submit(page, "po-practice-added", "Add practice")
    expect(page.get_by_role("status")).to_contain_text(NEW_PRACTICE)
    expect(page.locator("#practices")).to_contain_text(NEW_PRACTICE)

    # The PO attests 4.24, signed by the person signed in.
    visit(page, base + "/records", "po-records")
    signer = page.locator("#attest-signer").inner_text()
    assert "PO manager" in signer, signer
    page.get_by_label("Criterion", exact=True).select_option("4.24")
    page.get_by_label("Status", exact=True).select_option("in_place")
    page.get_by_label("Effective from").fill(today)
    page.get_by_label("Statement").fill("The PO keeps one care management workflow for every practice.")
    submit(page, "po-attested", "Attest")
    expect(page.get_by_role("status")).to_contain_text("4.24")
    expect(page.locator('#po-criteria tr[data-criterion="4.24"]')).to_contain_text(signer)

    # The upgrade to 1.1.0: previewed, then confirmed; 4.28 must be attested again.
    visit(page, base + "/upgrade", "po-upgrade")
    page.get_by_label("Catalog version").select_option("1.1.0")
    submit(page, "po-upgrade-preview", "Preview upgrade")
    expect(page.locator("#upgrade-changes")).to_contain_text("4.28")
    expect(page.locator("#upgrade-renewals")).to_contain_text("4.28")
    submit(page, "po-upgraded", "Confirm upgrade to 1.1.0")
    expect(page.get_by_role("status")).to_contain_text("1.1.0")
    visit(page, base + "/practices", "po-practices-upgraded")
    expect(page.locator("#practices")).to_contain_text("1.1.0")
    visit(page, base + "/records", "po-records-upgraded")
    expect(page.locator('#po-criteria tr[data-criterion="4.28"]')).to_contain_text("Needs re-attestation")
    expect(page.locator('#po-criteria tr[data-criterion="4.24"]')).not_to_contain_text("Needs re-attestation")


@pytest.mark.postgres
def test_an_auditor_reads_the_po_without_forms(page, server):
    email, password = server.account("auditor")
    sign_in(page, server.base, email, password, check=False)
    base = f"{server.base}/organizations/{demo_po(server)}"
    for path, name in (("/due", "auditor-po-due"), ("/trend", "auditor-po-trend"),
                       ("/records", "auditor-po-records"), ("/practices", "auditor-po-practices")):
        response = visit(page, base + path, name)
        assert response.status == 200, (path, response.status)
        assert page.locator("main form[method=post]").count() == 0, path
    response = page.goto(base + "/upgrade")
    assert response.status == 403
