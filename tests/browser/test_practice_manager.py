"""A practice manager keeps the binder in the browser: staff and training (also from a CSV),
team meetings and their follow-ups; the dashboard follows what is recorded."""

import datetime

import pytest
from playwright.sync_api import expect

from harness import DEMO_PRACTICE, check_page, sign_in, visit

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
    started = (datetime.date.today() - datetime.timedelta(days=400)).isoformat()
    recently = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()

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
    today = datetime.date.today()
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
