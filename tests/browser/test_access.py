"""What a signed-in person may not do: post without the CSRF token, see another practice."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from harness import DEMO_PRACTICE, path_of, sign_in, visit


def practice_of(page) -> int:
    match = re.fullmatch(r"/practices/(\d+)", path_of(page))
    assert match, f"the practice manager's home is /practices/<id>, not {page.url}"
    return int(match.group(1))


@pytest.mark.postgres
def test_a_post_without_the_csrf_token_is_refused(page, server):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = practice_of(page)

    # Every form that posts carries the token (the Sign out button's form at least).
    forms = [page.locator("form").nth(i) for i in range(page.locator("form").count())]
    posting = [form for form in forms if (form.get_attribute("method") or "get").lower() == "post"]
    assert posting, "no form posts on the dashboard (Sign out should)"
    for form in posting:
        expect(form.locator('input[type="hidden"][name="csrf_token"]')).to_have_count(1)
        assert form.locator('input[name="csrf_token"]').input_value(), "an empty csrf_token"

    staff_url = f"{server.base}/practices/{practice}/staff"
    answer = page.request.post(staff_url, form={"name": "Forged Person"}, max_redirects=0)
    assert answer.status == 403, f"POST {staff_url} without a token answered {answer.status}"
    answer = page.request.post(staff_url, form={"name": "Forged Person", "csrf_token": "forged"}, max_redirects=0)
    assert answer.status == 403, f"POST {staff_url} with a wrong token answered {answer.status}"
    status, staff = server.api(f"/practices/{practice}/staff?limit=500")
    assert status == 200, staff
    assert all(s["name"] != "Forged Person" for s in staff["items"]), "the forged POST created staff"

    # Signing out without the token is refused too: the session goes on.
    sign_out = page.get_by_role("button", name="Sign out").locator("xpath=ancestor::form[1]")
    url = urljoin(page.url, sign_out.get_attribute("action") or "")
    answer = page.request.post(url, form={}, max_redirects=0)
    assert answer.status == 403, f"POST {url} (sign out) without a token answered {answer.status}"
    visit(page, f"{server.base}/practices/{practice}", "dashboard-after-forged-posts")
    assert path_of(page) == f"/practices/{practice}", "still signed in"
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")


@pytest.mark.postgres
def test_another_practice_is_not_found(page, server):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    mine = practice_of(page)
    others = [p for p in server.demo_practices() if p["id"] != mine]
    assert others and all(p["name"] != DEMO_PRACTICE for p in others)
    for path, name in [(f"/practices/{others[0]['id']}", others[0]["name"]), ("/practices/999999", None)]:
        response = visit(page, server.base + path, f"not-found-{path}")
        assert response.status == 404, f"{path} answered {response.status}"
        if name:
            assert name not in page.content(), f"the 404 page of {path} names the practice"
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_po_manager_does_not_see_another_pos_practice(page, new_page, server):
    status, organization = server.api("/organizations", method="POST", body={"name": "Elsewhere PO"})
    assert status == 201, organization
    status, practice = server.api(
        f"/organizations/{organization['id']}/practices",
        method="POST",
        body={"name": "Elsewhere Clinic", "initial_focus_population": "adults with diabetes"},
    )
    assert status == 201, practice
    email, password = server.account("po_manager")
    sign_in(page, server.base, email, password)
    response = visit(page, f"{server.base}/practices/{practice['id']}", "other-po-practice")
    assert response.status == 404
    assert "Elsewhere Clinic" not in page.content()
    # An admin sees every practice.
    admin_page = new_page()
    email, password = server.account("admin")
    sign_in(admin_page, server.base, email, password)
    response = visit(admin_page, f"{server.base}/practices/{practice['id']}", "admin-other-po-practice")
    assert response.status == 200
    expect(admin_page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
