"""A PO manager reads the PO dashboard: the matrix of the demo PO's practices only, filtered by
practice name and sorted on the server, a cell that opens the practice's criterion page, and the
XLSX (or CSV) download that says the same statuses as the page."""

import csv
import io
import re
import urllib.parse

import pytest
from playwright.sync_api import expect

from harness import check_page, path_of, sign_in, visit

OTHER_PO = "Elsewhere Test PO"
OTHER_PRACTICE = "Elsewhere Clinic"

# What a cell says to a screen reader: its text without the aria-hidden abbreviations and marks.
CELLS_JS = """
table => Array.from(table.querySelectorAll('tbody tr[data-practice]')).map(tr => ({
  practice: tr.querySelector('th').textContent.trim(),
  cells: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-criterion]')).map(td => [
    td.dataset.criterion,
    Array.from(td.querySelector('a').childNodes)
      .filter(n => !(n.nodeType === 1 && n.getAttribute('aria-hidden') === 'true'))
      .map(n => n.textContent).join('').trim(),
  ])),
  met: Number(tr.querySelector('td[data-count="met"]').textContent),
}))
"""


def other_po(server):
    """A second PO with a practice, which the demo PO manager must not see."""
    status, created = server.api("/organizations", "admin", "POST", {"name": OTHER_PO})
    assert status == 201, created
    status, practice = server.api(
        f"/organizations/{created['id']}/practices", "admin", "POST", {"name": OTHER_PRACTICE}
    )
    assert status == 201, practice
    return created["id"]


def matrix_rows(page):
    return page.locator("#matrix").evaluate(CELLS_JS)


def apply_filters(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name="Apply", exact=True).click()
    check_page(page, name)


def spreadsheet_rows(path):
    """The rows of the download as dicts: header → value (openpyxl when installed, else CSV)."""
    try:
        import openpyxl  # noqa: PLC0415 (optional: not pinned in requirements.txt)
    except ImportError:
        return None
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def words_of(page_text):
    """ "Partially met, disagrees with the attestation" → ("Partially met", True)."""
    status, _, rest = page_text.partition(",")
    return status.strip(), "disagrees" in rest


def words_of_file(cell):
    """ "Not met (disagrees with attestation) (attest again)" → ("Not met", True)."""
    return re.sub(r"\s*\(.*$", "", cell).strip(), "disagrees" in cell


def test_po_manager_filters_sorts_opens_a_cell_and_downloads(page, server, tmp_path):
    other = other_po(server)
    demo_names = {p["name"] for p in server.demo_practices()}
    email, password = server.account("po_manager")
    sign_in(page, server.base, email, password)

    # From the home page to the PO dashboard.
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(r"^Open the PO dashboard of ")).first.click()
    check_page(page, "po-dashboard")
    dashboard = page.url.split("?")[0]
    expect(page.get_by_role("heading", level=1)).to_have_text("PO dashboard")
    rows = matrix_rows(page)
    assert {r["practice"] for r in rows} == demo_names
    expect(page.locator("main")).not_to_contain_text(OTHER_PRACTICE)
    expect(page.locator("#po-criteria")).to_contain_text("4.24")
    response = visit(page, f"{server.base}/organizations/{other}", "other-po-not-found")
    assert response.status == 404

    # Filter by practice name (any case), then sort by criteria met.
    visit(page, dashboard, "po-dashboard-again")
    some = sorted(demo_names)[1]
    fragment = some.split()[0][1:4].upper()
    page.get_by_label("Practice name contains").fill(fragment)
    apply_filters(page, "po-dashboard-filtered")
    expected = {n for n in demo_names if fragment.lower() in n.lower()}
    assert {r["practice"] for r in matrix_rows(page)} == expected
    expect(page.get_by_label("Practice name contains")).to_have_value(fragment)
    expect(page.get_by_role("status").filter(has_text="Rows")).to_contain_text(f"of {len(expected)}")

    page.get_by_label("Practice name contains").fill("")
    page.get_by_label("Sort by").select_option(label="Fewest criteria met first")
    apply_filters(page, "po-dashboard-fewest-met-first")
    met = [r["met"] for r in matrix_rows(page)]
    assert met == sorted(met) and len(met) == len(demo_names)
    page.get_by_label("Sort by").select_option(label="Most criteria met first")
    apply_filters(page, "po-dashboard-most-met-first")
    rows = matrix_rows(page)
    met = [r["met"] for r in rows]
    assert met == sorted(met, reverse=True)

    # One criterion's column, one status.
    page.get_by_label("Criterion").select_option(value="4.1")
    page.get_by_label("Status").select_option(label="Met")
    apply_filters(page, "po-dashboard-4-1-met")
    assert {r["practice"] for r in matrix_rows(page)} == {
        r["practice"] for r in rows if words_of(r["cells"]["4.1"])[0] == "Met"
    }
    assert all(list(r["cells"]) == ["4.1"] for r in matrix_rows(page))

    # A cell opens that practice's criterion page.
    visit(page, dashboard + "?sort=met_desc", "po-dashboard-sorted")
    first = page.locator("#matrix tbody tr[data-practice]").first
    practice_id = first.get_attribute("data-practice")
    with page.expect_navigation():
        first.locator('td[data-criterion="4.2"] a').click()
    check_page(page, "criterion-from-matrix")
    assert path_of(page) == f"/practices/{practice_id}/criteria/4.2"

    # The spreadsheet of the same filters says the same statuses as the page.
    visit(page, dashboard + "?sort=met_desc", "po-dashboard-for-download")
    shown = {r["practice"]: r["cells"] for r in matrix_rows(page)}
    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Download XLSX").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    saved = tmp_path / xlsx.value.suggested_filename
    xlsx.value.save_as(saved)
    assert saved.read_bytes()[:2] == b"PK"
    rows = spreadsheet_rows(saved)
    if rows is None:  # openpyxl not installed: read the CSV of the same filters instead.
        link = page.get_by_role("link", name="Download CSV").get_attribute("href")
        assert urllib.parse.urlsplit(link).query == "sort=met_desc"
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        path = tmp_path / "matrix.csv"
        download.value.save_as(path)
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["Practice"] for r in rows] == list(shown), "the same rows in the same order"
    for row in rows:
        for criterion, text in shown[row["Practice"]].items():
            assert words_of_file(row[criterion]) == words_of(text), (row["Practice"], criterion)
