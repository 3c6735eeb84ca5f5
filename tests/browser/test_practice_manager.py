"""A practice manager keeps the binder in the browser: staff and training (also from a CSV),
team meetings and their follow-ups; the dashboard follows what is recorded."""

import datetime

import pytest
from playwright.sync_api import expect

from harness import DEMO_PRACTICE, check_page, practice_today, sign_in, visit

NEWCOMER = "Quinn Example"


def my_practice(server):
    return next(p for p in server.demo_practices() if p["name"] == DEMO_PRACTICE)["id"]


def criterion_row(page, criterion):
    return page.locator(f'#criteria tr[data-criterion="{criterion}"]')


def submit(page, name, button):
    """Clicks a form's button and checks the page it lands on."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()
    check_page(page, name)


@pytest.mark.postgres
def test_training_recorded_by_form_and_csv_changes_4_1(page, server, tmp_path):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    base = f"{server.base}/practices/{practice}"
    started = (practice_today() - datetime.timedelta(days=400)).isoformat()
    recently = (practice_today() - datetime.timedelta(days=3)).isoformat()

    # A nurse who started more than a year ago and has no training: 4.1 names her.
    visit(page, base + "/staff", "staff")
    page.get_by_label("Name", exact=True).fill(NEWCOMER)
    page.get_by_label("Role").select_option(label="Nurse")
    page.get_by_label("First day").fill(started)
    submit(page, "staff-added", "Add staff member")
    expect(page.get_by_role("status")).to_contain_text(NEWCOMER)
    visit(page, base, "dashboard-newcomer")
    expect(criterion_row(page, "4.1")).to_contain_text(NEWCOMER)

    # One training by the form.
    visit(page, base + "/trainings", "trainings")
    page.get_by_label("Staff member").select_option(label=NEWCOMER)
    page.get_by_label("Topic").select_option(value="chronic_care_model")
    page.get_by_label("Completed on").fill(recently)
    page.get_by_label("Hours").fill("1.5")
    submit(page, "training-recorded", "Record training")
    expect(page.locator("#training-log")).to_contain_text(NEWCOMER)

    # Two more from a spreadsheet that names the staff member; one bad row refuses the file.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "staff,topic,completed_on,hours,trainer\n"
        f"{NEWCOMER},pcmh_n_model,{recently},1,Lee\n"
        f"Nobody Here,practice_transformation,{recently},1,Lee\n"
    )
    page.get_by_label("CSV file").set_input_files(str(bad))
    submit(page, "import-refused", "Preview import")
    expect(page.get_by_role("alert")).to_contain_text("1 row has problems")
    expect(page.locator("#import-preview tr", has_text="Nobody Here")).to_contain_text("3")
    status, log = server.api(f"/practices/{practice}/trainings?limit=500", "admin")
    assert status == 200
    names = {t["topic"] for t in log["items"] if t["completed_on"] == recently}
    assert "pcmh_n_model" not in names, "nothing of the refused file was written"

    good = tmp_path / "good.csv"
    good.write_text(
        "staff,topic,completed_on,hours,trainer\n"
        f"{NEWCOMER},pcmh_n_model,{recently},1,Lee\n"
        f"{NEWCOMER.upper()},practice_transformation,{recently},1,Lee\n"
    )
    page.get_by_label("CSV file").set_input_files(str(good))
    submit(page, "import-preview", "Preview import")
    submit(page, "import-done", "Import 2 trainings")
    expect(page.get_by_role("status")).to_contain_text("2")

    # Trained on every topic now: 4.1 no longer names her.
    visit(page, base, "dashboard-trained")
    expect(criterion_row(page, "4.1")).not_to_contain_text(NEWCOMER)
    visit(page, base + "/staff", "staff-grid")
    expect(page.locator("#training-grid tr", has_text=NEWCOMER)).not_to_contain_text("Missing")


@pytest.mark.postgres
def test_a_meeting_with_follow_ups_one_marked_done(page, server):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    base = f"{server.base}/practices/{practice}"
    today = practice_today()
    visit(page, base + "/meetings", "meetings")
    page.get_by_label("Held on").fill((today - datetime.timedelta(days=1)).isoformat())
    page.get_by_label("Kind").select_option(index=1)
    page.get_by_label("Patients reviewed").fill("6")
    attendees = page.locator('input[type="checkbox"][name="attendee"]')
    attendees.nth(0).check()
    attendees.nth(1).check()
    page.locator("#fu_what-1").fill("Call the home care agency about patient 4471")
    page.locator("#fu_owner-1").select_option(index=1)
    page.locator("#fu_due-1").fill((today + datetime.timedelta(days=7)).isoformat())
    page.locator("#fu_what-2").fill("Update the shared care plan of patient 5120")
    page.locator("#fu_owner-2").select_option(index=1)
    page.locator("#fu_due-2").fill((today + datetime.timedelta(days=14)).isoformat())
    submit(page, "meeting-recorded", "Record meeting")
    follow_up = page.locator("#follow-ups tr", has_text="Call the home care agency about patient 4471")
    expect(follow_up).to_be_visible()
    with page.expect_navigation():
        follow_up.get_by_role("button", name="Mark done").click()
    check_page(page, "follow-up-done")
    done = page.locator("#follow-ups tr", has_text="Call the home care agency about patient 4471")
    expect(done).to_contain_text("Done")
    still_open = page.locator("#follow-ups tr", has_text="Update the shared care plan of patient 5120")
    expect(still_open.get_by_role("button", name="Mark done")).to_be_visible()


def signed_in_name(page):
    """The display name the header shows for the person signed in."""
    text = page.locator("header .who span").first.inner_text()
    return text.split(" (")[0].strip()


@pytest.mark.postgres
def test_attest_with_an_uploaded_document_signed_by_the_person(page, server, tmp_path):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    base = f"{server.base}/practices/{practice}"
    today = practice_today().isoformat()
    workflow = tmp_path / "care-team-workflow.txt"
    workflow.write_text("Care team workflow: huddles every morning, care manager leads outreach.\n")

    visit(page, base + "/documents", "documents")
    page.get_by_label("File").set_input_files(str(workflow))
    page.get_by_label("Title").fill("Care team workflow 2026")
    page.get_by_label("Document type").select_option(index=1)
    page.get_by_label("In force from").fill(today)
    page.get_by_label("4.2 ", exact=False).first.check()
    submit(page, "document-uploaded", "Upload document")
    expect(page.get_by_role("status")).to_contain_text("Care team workflow 2026")
    expect(page.get_by_role("link", name="Download Care team workflow 2026")).to_be_visible()

    visit(page, base + "/criteria/4.2", "criterion-4.2")
    me = signed_in_name(page)
    form = page.locator("#attest-form")
    form.get_by_label("Status").select_option(label="In place")
    form.get_by_label("Effective date").fill(today)
    form.get_by_label("Statement").fill("The care team of four disciplines works from the written workflow.")
    form.get_by_label("Care team workflow 2026", exact=False).check()
    submit(page, "attested", "Attest")
    in_force = page.locator("#attestation-in-force")
    expect(in_force).to_contain_text("In place")
    history = page.locator("#attestation-history li").first
    expect(history).to_contain_text(me)
    # The API tells the same: signed by the person, the uploaded document as evidence.
    status, documents = server.api(f"/practices/{practice}/documents?limit=500")
    assert status == 200
    uploaded = [d["id"] for d in documents["items"] if d["title"] == "Care team workflow 2026"]
    assert len(uploaded) == 1, documents
    expect(history.get_by_role("link", name=f"Document {uploaded[0]}")).to_be_visible()
    status, attestations = server.api(f"/practices/{practice}/attestations?limit=500")
    assert status == 200
    mine = [a for a in attestations["items"] if a["criterion"] == "4.2" and a["signer"] == me]
    assert mine and uploaded[0] in mine[-1]["evidence"], f"an attestation of 4.2 signed by {me} with the document"


@pytest.mark.postgres
def test_an_advance_care_plan_shared_with_all_partners_meets_4_22(page, server):
    email, password = server.account("practice_manager")
    sign_in(page, server.base, email, password)
    practice = my_practice(server)
    base = f"{server.base}/practices/{practice}"
    today = practice_today()
    reference = "PT-88231"
    visit(page, base + "/care-plans", "care-plans")
    page.get_by_label("Kind of plan").select_option(label="Advance care plan")
    page.get_by_label("Patient reference").fill(reference)
    page.get_by_label("Initiating provider").select_option(index=1)
    # Executed two months ago: the 30 days to share it with every partner are over.
    page.get_by_label("Discussed with the patient on").fill((today - datetime.timedelta(days=61)).isoformat())
    page.get_by_label("Executed on (optional)").fill((today - datetime.timedelta(days=60)).isoformat())
    page.get_by_label("Documented in the patient's medical record").check()
    partners = ["Lakeside Hospital", "Dr. Rivera (cardiology)", "Home care agency"]
    for n, partner in enumerate(partners, start=1):
        page.get_by_label(f"Care partner {n}", exact=True).fill(partner)
    submit(page, "care-plan-added", "Add care plan")

    def share(partner, name):
        # Each share happened within the 30 days (the third is recorded late, dated when it happened).
        page.get_by_label(f"Care partner for {reference}", exact=True).select_option(label=f"{partner} (not shared yet)")
        page.get_by_label(f"Shared on ({reference})", exact=True).fill((today - datetime.timedelta(days=45)).isoformat())
        page.get_by_label(f"Method ({reference})", exact=True).select_option(index=1)
        submit(page, name, f"Record share for {reference}")

    share(partners[0], "shared-1")
    share(partners[1], "shared-2")
    row = page.locator("#care-plans tr", has_text=reference)
    expect(row).to_contain_text("2 of 3")
    expect(row).to_contain_text("Home care agency not yet")
    line = page.locator("#criterion-heading").locator("xpath=..")
    expect(line).to_contain_text("Home care agency")

    share(partners[2], "shared-3")
    expect(page.locator("#care-plans tr", has_text=reference)).to_contain_text("3 of 3")
    line = page.locator("#criterion-heading").locator("xpath=..")
    expect(line).not_to_contain_text("Home care agency")
    expect(page.locator("#criterion-heading .status")).to_have_text("Met")
