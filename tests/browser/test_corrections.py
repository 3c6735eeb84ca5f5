"""Correcting a record from its list: each "Amend" link opens the record's form filled in, with
a labelled reason field; a blank reason comes back (422) with the message beside that field.
axe checks the form both times."""

import re

from playwright.sync_api import expect

from harness import DEMO_PRACTICE, check_page, sign_in, visit

AMENDED = [
    ("/trainings", "training"),
    ("/surveys", "survey result"),
    ("/staff", "staff member"),
    ("/care-plans", "care plan"),
    ("/meetings", "meeting"),
]


def test_amend_opens_the_filled_in_form_and_asks_why(page, server):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = next(p for p in server.demo_practices() if p["name"] == DEMO_PRACTICE)["id"]
    for screen, what in AMENDED:
        visit(page, f"{server.base}/practices/{practice}{screen}", f"amend{screen}-list")
        links = page.get_by_role("link", name=re.compile(f"^Amend {what} \\d+$"))
        assert links.count() > 0, f"an Amend link per record on {screen}"
        name = links.first.inner_text()
        with page.expect_navigation():
            links.first.click()
        check_page(page, f"amend{screen}-form")
        expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()
        reason = page.get_by_label(re.compile(f"^Why {what} \\d+ is corrected$"))
        expect(reason).to_be_visible()
        expect(reason).to_have_value("")
        form = page.locator("form", has=reason)
        form.evaluate("f => f.noValidate = true")
        with page.expect_navigation() as answer:
            form.get_by_role("button", name="Record the correction").click()
        assert answer.value.status == 422, f"a blank reason is refused on {screen}"
        check_page(page, f"amend{screen}-refused")
        reason = page.get_by_label(re.compile(f"^Why {what} \\d+ is corrected$"))
        expect(reason).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#replaces_reason-error")).to_contain_text(f"say why the {what} is corrected")
