"""Every page of the web application, as each role sees it: axe finds no serious or critical
violation, and a screenshot of each is saved. The packet downloads as a signed ZIP."""

import zipfile

import pytest
from playwright.sync_api import expect

from harness import DEMO_PRACTICE, check_page, screenshot, sign_in, visit

SCREENS = ["", "/staff", "/trainings", "/meetings", "/care-plans", "/documents", "/surveys", "/packet", "/criteria/4.1", "/criteria/4.21", "/criteria/4.25"]


def my_practice(server):
    return next(p for p in server.demo_practices() if p["name"] == DEMO_PRACTICE)["id"]


@pytest.mark.parametrize("role", ["practice_manager", "auditor", "po_manager", "admin"])
def test_every_page_passes_axe(page, server, role):
    email, password = server.account(role)
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    for screen in SCREENS:
        visit(page, f"{server.base}/practices/{practice}{screen}", f"{role}{screen or '/dashboard'}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        forms = page.locator("main form[method=post]")
        if role == "auditor" and screen != "/packet":
            assert forms.count() == 0, f"an auditor sees no form that writes on {screen or 'the dashboard'}"
    visit(page, f"{server.base}/tokens", f"{role}-tokens")
    if role in ("admin", "po_manager"):
        visit(page, f"{server.base}/", f"{role}-home")
        visit(page, f"{server.base}/people", f"{role}-people")
    visit(page, f"{server.base}/practices/{practice}/criteria/9.99", f"{role}-not-found")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Page not found")


def test_bad_input_comes_back_beside_the_fields(page, server):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    visit(page, f"{server.base}/practices/{practice}/surveys", "surveys")
    form = page.locator("form", has=page.get_by_role("button", name="Record survey result"))
    form.get_by_label("Kind of survey").select_option(index=1)
    form.get_by_label("Last day of the survey").fill("2026-01-31")
    form.get_by_label("Respondents").fill("0")
    form.get_by_label("Score (percent)").fill("140")
    form.evaluate("f => f.noValidate = true")
    with page.expect_navigation() as answer:
        form.get_by_role("button", name="Record survey result").click()
    assert answer.value.status == 422
    check_page(page, "survey-refused")
    invalid = page.locator("[aria-invalid=true]")
    assert invalid.count() >= 1
    for n in range(invalid.count()):
        described = invalid.nth(n).get_attribute("aria-describedby")
        assert described, "each invalid field points at its message"
        expect(page.locator(f"#{described.split()[-1]}")).to_be_visible()
    expect(form.get_by_label("Score (percent)")).to_have_value("140")


def test_the_packet_downloads_signed(page, server, tmp_path):
    email, password = server.account("auditor")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    visit(page, f"{server.base}/practices/{practice}/packet", "packet")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download packet").click()
    path = tmp_path / "packet.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as packet:
        names = set(packet.namelist())
    assert {"manifest.json", "manifest.sig", "status.json", "report.html"} <= names, names


def test_widths_print_and_the_as_of_day(page, server):
    """The dashboard fits 1024 px and a tablet without sideways scrolling, prints without the
    navigation but with the status words, and shows another day when asked (htmx, with no
    Content-Security-Policy complaint)."""
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    url = f"{server.base}/practices/{practice}"
    for width, height in [(1024, 768), (768, 1024)]:
        page.set_viewport_size({"width": width, "height": height})
        visit(page, url, f"dashboard-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the dashboard scrolls sideways by {overflow}px at {width}px"
    page.emulate_media(media="print")
    expect(page.locator('nav[aria-label="Main"]')).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.locator('#criteria tr[data-criterion="4.1"] .status')).to_be_visible()
    screenshot(page, "dashboard-print")
    page.emulate_media(media="screen")
    # Console errors of our own page only: a fresh load, since Playwright's screenshots leave an
    # inline style of their own that the policy then blocks.
    page.goto(url)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.get_by_label("As of").fill("2026-01-15")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("Jan 15, 2026")
    assert "as_of=2026-01-15" in page.url, page.url
    assert not problems, problems
    check_page(page, "dashboard-as-of")


def test_po_pages_fit_1024_pixels(page, server):
    """The PO's pages, the matrix included, scroll sideways only inside their tables."""
    email, password = server.account("po_manager")
    sign_in(page, server.base, email, password)
    page.set_viewport_size({"width": 1024, "height": 768})
    status, organizations = server.api("/organizations", "po_manager")
    assert status == 200
    po = organizations["items"][0]["id"]
    for screen in ["", "/due", "/trend", "/records", "/practices"]:
        visit(page, f"{server.base}/organizations/{po}{screen}", f"po{screen or '/dashboard'}-1024")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"/organizations/{po}{screen} scrolls sideways by {overflow}px at 1024px"
