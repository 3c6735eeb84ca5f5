"""An auditor exports a packet and verifies it in the page (a tampered copy and a non-ZIP are
refused, each with a clear message); an admin browses the audit trail, verifies the chain, reads
the catalogs and their difference, and creates and renames a PO."""

import json
import zipfile

import pytest
from playwright.sync_api import expect

from harness import check_page, expect_alert, sign_in, visit


def submit(page, name, button):
    """Clicks a form's button and checks the page it lands on."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    check_page(page, name)


def verify_upload(page, server, path, name):
    visit(page, server.base + "/packets/verify", "packet-verify")
    page.get_by_label("Packet (.zip file)").set_input_files(str(path))
    submit(page, name, "Verify the packet")
    return page.locator("#verify-result")


def tampered_copy(source, target, entry="report.html"):
    """The packet with one byte of `entry` changed, every other entry as it was."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info.filename)
            if info.filename == entry:
                data = bytes([data[0] ^ 0x01]) + data[1:]
            copy.writestr(info, data)


def test_an_auditor_verifies_a_packet_and_sees_a_tampered_file_named(page, server, tmp_path):
    email, password = server.account("auditor")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/practices/1/packet", "packet")
    page.get_by_label("From").fill("2025-01-01")
    page.get_by_label("To").fill("2025-12-31")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download packet").click()
    packet = tmp_path / "packet.zip"
    download.value.save_as(packet)
    assert zipfile.is_zipfile(packet)

    # The exports for other tools are buttons drawn as links: readable, and they download.
    fhir = page.get_by_role("button", name="Care plans and their sharing as FHIR")
    assert fhir.evaluate("e => getComputedStyle(e).color") != "rgb(255, 255, 255)", "white on white"
    with page.expect_download() as download:
        fhir.click()
    assert json.loads(download.value.path().read_text())["resourceType"] == "Bundle"

    result = verify_upload(page, server, packet, "packet-verified")
    expect(result).to_contain_text("Verified:")
    expect(result).to_contain_text("this server's signing key")

    tampered = tmp_path / "tampered.zip"
    tampered_copy(packet, tampered)
    result = verify_upload(page, server, tampered, "packet-tampered")
    expect(result).to_contain_text("Not verified")
    expect(result).to_contain_text("report.html")

    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("this is not a ZIP archive\n")
    result = verify_upload(page, server, not_zip, "packet-not-zip")
    expect(result).to_contain_text("not a ZIP file")

    escaping = tmp_path / "escaping.zip"
    with zipfile.ZipFile(escaping, "w") as archive:
        archive.writestr("../outside.txt", "x")
    result = verify_upload(page, server, escaping, "packet-escaping")
    expect(result).to_contain_text("../outside.txt")
    expect(result).to_contain_text("refused")

    # The auditor reads the trail of their scope, with no form that changes anything.
    response = visit(page, server.base + "/audit", "audit-auditor")
    assert response.status == 200
    expect(page.locator("main form[method=post]")).to_have_count(0)
    expect(page.get_by_role("button", name="Verify the chains")).to_have_count(0)
    assert visit(page, server.base + "/admin/organizations", "admin-as-auditor").status == 404


@pytest.mark.postgres
def test_an_admin_browses_the_audit_trail_and_verifies_the_chain(page, server):
    email, password = server.account("admin")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/audit", "audit")
    page.get_by_label("Record kind").fill("staff")
    submit(page, "audit-staff", "Show events")
    rows = page.locator("#events tbody tr")
    assert rows.count() > 0
    for i in range(min(rows.count(), 5)):
        expect(rows.nth(i).locator("td").nth(3)).to_contain_text("staff")
    rows.first.get_by_text("Before and after").click()
    expect(rows.first.get_by_role("heading", name="After")).to_be_visible()
    expect(rows.first.locator("pre").last).to_be_visible()
    submit(page, "audit-verified", "Verify the chains")
    expect(page.locator("#chain-result")).to_contain_text("The trail is intact")
    head = page.locator("#chains code.sha256").first.inner_text()
    assert len(head) == 64 and all(c in "0123456789abcdef" for c in head), head


def test_an_admin_reads_the_catalogs_and_their_difference(page, server):
    email, password = server.account("admin")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/catalogs", "catalogs")
    expect(page.locator("#catalog-versions")).to_contain_text("1.1.0")
    page.get_by_role("link", name="1.0.0").click()
    check_page(page, "catalog-version")
    expect(page.locator("#catalog-criteria")).to_contain_text("A current attestation that the criterion is in place")
    visit(page, server.base + "/catalogs/diff?from=1.0.0&to=1.1.0", "catalog-diff")
    row = page.locator("#catalog-diff tbody tr").filter(has_text="4.28")
    expect(row).to_contain_text("changed")
    expect(page.locator("#unchanged")).to_contain_text("27 criteria kept unchanged")


def test_an_admin_creates_and_renames_a_po(page, server):
    email, password = server.account("admin")
    sign_in(page, server.base, email, password)
    visit(page, server.base + "/admin/organizations", "admin-organizations")
    page.get_by_label("Name of the new PO").fill("Harbor Physician Network")
    submit(page, "admin-created", "Create PO")
    expect(page.get_by_role("heading", name="Harbor Physician Network")).to_be_visible()

    # The same name again is refused beside the form, the input kept.
    page.get_by_label("Name of the new PO").fill("Harbor Physician Network")
    submit(page, "admin-duplicate", "Create PO")
    expect_alert(page, "already exists")
    expect(page.get_by_label("Name of the new PO")).to_have_value("Harbor Physician Network")

    page.get_by_label("New name of Harbor Physician Network").fill("Harbor Care Network")
    submit(page, "admin-renamed", "Rename PO Harbor Physician Network")
    expect(page.get_by_role("heading", name="Harbor Care Network")).to_be_visible()
    status, body = server.api("/organizations")
    assert status == 200
    assert "Harbor Care Network" in [o["name"] for o in body["items"]]
