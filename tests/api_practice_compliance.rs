//! The practice compliance view over real HTTP, on SQLite and PostgreSQL: the computed status
//! beside the current attestation, disagreements both ways, what falls due by 30/60/90 days,
//! and explicit catalog upgrades (kept criteria's attestations carry over; refusals write nothing).

mod common;

use common::{Backend, Server};
use serde_json::{json, Value};

both_backends! {
    the_attestation_stands_beside_the_computed_status => the_attestation_stands_beside_the_computed_status;
    disagreements_are_flagged_both_ways => disagreements_are_flagged_both_ways;
    what_falls_due_is_bucketed_by_30_60_90_days => what_falls_due_is_bucketed_by_30_60_90_days;
    an_upgrade_switches_the_version_and_kept_attestations_carry_over => an_upgrade_switches_the_version_and_kept_attestations_carry_over;
    bad_upgrades_are_refused_and_write_nothing => bad_upgrades_are_refused_and_write_nothing;
    a_view_read_again_after_a_write_shows_the_write => a_view_read_again_after_a_write_shows_the_write;
}

const AS_OF: &str = "2026-11-24";

/// A PO and a practice assessed against 1.0.0; returns (organization, practice).
fn practice(server: &Server, name: &str) -> (i64, i64) {
    let po = server.create("/api/v1/organizations", &json!({"name": format!("{name} PO")}));
    let po = po["id"].as_i64().expect("an id");
    let practice = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": name, "initial_focus_population": "adults with diabetes", "catalog_version": "1.0.0"}),
    );
    (po, practice["id"].as_i64().expect("an id"))
}

fn attest(server: &Server, practice: i64, criterion: &str, status: &str, effective_on: &str) -> i64 {
    let created = server.create(
        &format!("/api/v1/practices/{practice}/attestations"),
        &json!({
            "criterion": criterion,
            "status": status,
            "effective_on": effective_on,
            "signer": "Dana Reyes",
            "signer_role": "Office manager",
            "statement": "Reviewed with the care team.",
        }),
    );
    created["id"].as_i64().expect("an id")
}

fn compliance(server: &Server, practice: i64) -> Value {
    let response = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of={AS_OF}"));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

fn criterion<'a>(view: &'a Value, id: &str) -> &'a Value {
    view["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["criterion"] == id)
        .unwrap_or_else(|| panic!("{id} is in the view"))
}

fn the_attestation_stands_beside_the_computed_status(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice(&server, "Maple Street");
    let id = attest(&server, practice, "4.3", "not_in_place", "2026-06-01");
    let view = compliance(&server, practice);
    assert_eq!(view["catalog_version"], "1.0.0");
    assert_eq!(view["practice"]["catalog_version"], "1.0.0");

    // 4.3: attested not in place, and the records show it not met: they agree.
    let c = criterion(&view, "4.3");
    assert_eq!(c["status"], "not_met");
    assert_eq!(c["attestation"]["id"], id);
    assert_eq!(c["attestation"]["status"], "not_in_place");
    assert_eq!(c["attestation"]["catalog_version"], "1.0.0");
    assert_eq!(c["agreement"]["status"], "agrees", "{c}");
    assert_eq!(c["agreement"]["disagreement"], false);
    assert_eq!(c["needs_reattestation"], false);
    // The computed part keeps its reasons and records.
    assert!(c["reasons"].as_array().is_some_and(|r| !r.is_empty()), "{c}");
    assert!(c["records"].as_array().is_some_and(|r| !r.is_empty()), "{c}");

    // 4.1: nothing attested.
    let c = criterion(&view, "4.1");
    assert_eq!(c["attestation"], Value::Null);
    assert_eq!(c["agreement"]["status"], "unattested");
    assert_eq!(c["agreement"]["disagreement"], false);
    assert_eq!(view["summary"]["disagreements"], 0, "{}", view["summary"]);
    assert_eq!(view["summary"]["needs_reattestation"], 0);

    // As of before the attestation, it is not beside the status.
    let before = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-05-31"))
        .json();
    assert_eq!(criterion(&before, "4.3")["attestation"], Value::Null);
}

fn disagreements_are_flagged_both_ways(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice(&server, "Oak Hill");
    // Attested in place, but no case conference is on record: not met.
    attest(&server, practice, "4.21", "in_place", "2026-06-01");
    // Attested not in place, but an advance care plan is documented: met.
    let provider = server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    );
    server.create(
        &format!("/api/v1/practices/{practice}/care-plans"),
        &json!({
            "kind": "advance_care_plan",
            "patient_ref": "PT-00042",
            "initiating_provider": provider["id"],
            "discussed_on": "2026-06-01",
            "established_on": "2026-06-01",
            "documented_in_record": true,
        }),
    );
    attest(&server, practice, "4.16", "not_in_place", "2026-06-01");

    let view = compliance(&server, practice);
    let meetings = criterion(&view, "4.21");
    assert_eq!(meetings["status"], "not_met");
    assert_eq!(meetings["agreement"]["status"], "disagrees", "{meetings}");
    assert_eq!(meetings["agreement"]["disagreement"], true);
    assert_eq!(
        meetings["agreement"]["reason"],
        "attested in place effective 2026-06-01, but the records show it not met"
    );
    let plans = criterion(&view, "4.16");
    assert_eq!(plans["status"], "met", "{plans}");
    assert_eq!(plans["agreement"]["disagreement"], true);
    assert_eq!(
        plans["agreement"]["reason"],
        "attested not in place effective 2026-06-01, but the records show it met"
    );
    assert_eq!(view["summary"]["disagreements"], 2, "{}", view["summary"]);
}

fn what_falls_due_is_bucketed_by_30_60_90_days(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice(&server, "Cedar Lane");
    // Attestations are current for 12 months: these lapse 2026-11-01 (overdue), 2026-12-10
    // (16 days), 2027-01-10 (47 days), 2027-02-10 (78 days) and 2027-03-10 (106 days).
    for (criterion, effective) in [
        ("4.8", "2025-11-01"),
        ("4.3", "2025-12-10"),
        ("4.5", "2026-01-10"),
        ("4.6", "2026-02-10"),
        ("4.7", "2026-03-10"),
    ] {
        attest(&server, practice, criterion, "in_place", effective);
    }
    let view = compliance(&server, practice);
    let renewal = |id: &str| -> Option<Value> {
        criterion(&view, id)["due_windows"]
            .as_array()
            .expect("due_windows")
            .iter()
            .find(|d| d["what"].as_str().is_some_and(|w| w.contains("renew the attestation")))
            .cloned()
    };
    let window = |id: &str| renewal(id).map(|d| d["window"].as_str().expect("a window").to_owned());
    assert_eq!(window("4.8").as_deref(), Some("overdue"));
    assert_eq!(renewal("4.8").expect("overdue")["overdue"], true);
    assert_eq!(window("4.3").as_deref(), Some("within_30_days"));
    assert_eq!(renewal("4.3").expect("due")["due_on"], "2026-12-10");
    assert_eq!(window("4.5").as_deref(), Some("within_60_days"));
    assert_eq!(window("4.6").as_deref(), Some("within_90_days"));
    assert_eq!(window("4.7"), None, "beyond 90 days");
    assert!(
        view["summary"]["due_within_30_days"].as_u64().expect("a count") >= 2,
        "{}",
        view["summary"]
    );
}

fn upgrade(server: &Server, practice: i64, body: &Value) -> common::Response {
    server.post(&format!("/api/v1/practices/{practice}/catalog-upgrade"), body)
}

fn upgrade_events(server: &Server, practice: i64) -> Vec<Value> {
    let events = server.get("/api/v1/audit-events?record_kind=practice&limit=500").json();
    events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["action"] == "upgrade" && e["record_id"] == practice)
        .cloned()
        .collect()
}

fn an_upgrade_switches_the_version_and_kept_attestations_carry_over(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice(&server, "Birch Road");
    let id = attest(&server, practice, "4.3", "in_place", "2026-06-01");
    assert_eq!(compliance(&server, practice)["catalog_version"], "1.0.0");

    let response = upgrade(&server, practice, &json!({"to_version": "1.1.0"}));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["catalog_version"], "1.1.0");
    assert_eq!(
        server.get(&format!("/api/v1/practices/{practice}")).json()["catalog_version"],
        "1.1.0"
    );

    let view = compliance(&server, practice);
    assert_eq!(view["catalog_version"], "1.1.0");
    assert_eq!(view["practice"]["catalog_version"], "1.1.0");
    // 4.3 is kept in 1.1.0: its attestation under 1.0.0 carries over.
    let c = criterion(&view, "4.3");
    assert_eq!(c["attestation"]["id"], id);
    assert_eq!(c["attestation"]["catalog_version"], "1.0.0");
    assert_eq!(c["needs_reattestation"], false, "{c}");
    assert_eq!(view["summary"]["needs_reattestation"], 0);

    // The audit trail has the upgrade, with the practice as it was before.
    let events = upgrade_events(&server, practice);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["before"]["catalog_version"], "1.0.0");
    assert_eq!(events[0]["after"]["catalog_version"], "1.1.0");
}

fn bad_upgrades_are_refused_and_write_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = practice(&server, "Elm Court");
    let path = format!("/api/v1/practices/{practice}/catalog-upgrade");
    let refusals: Vec<(&str, Value)> = vec![
        ("same version", json!({"to_version": "1.0.0"})),
        ("unknown version", json!({"to_version": "9.9.9"})),
        ("not a version", json!({"to_version": "one point one"})),
        ("blank", json!({"to_version": ""})),
        ("missing", json!({})),
        ("wrong type", json!({"to_version": 1.1})),
        ("unknown field", json!({"to_version": "1.1.0", "force": true})),
        ("oversized", json!({"to_version": "1".repeat(100)})),
    ];
    for (what, body) in refusals {
        let response = server.post(&path, &body);
        assert_eq!(response.status, 422, "{what}: {}", response.text());
        let fields = response.error_fields();
        assert!(
            fields.iter().any(|(f, _)| f == "to_version" || f == "force"),
            "{what}: {fields:?}"
        );
    }
    let not_json = server.request("POST", &path, Some("application/json"), b"{not json");
    assert_eq!(not_json.status, 400, "{}", not_json.text());
    assert_eq!(upgrade(&server, 999_999, &json!({"to_version": "1.1.0"})).status, 404);

    // An auditor may look but not upgrade.
    let auditor = server.token(&["--role", "auditor", "--organization", &po.to_string()]);
    let body = serde_json::to_vec(&json!({"to_version": "1.1.0"})).expect("JSON");
    let forbidden = server.request_as(Some(&auditor), "POST", &path, Some("application/json"), &body);
    assert_eq!(forbidden.status, 403, "{}", forbidden.text());

    // Nothing was written.
    assert_eq!(compliance(&server, practice)["catalog_version"], "1.0.0");
    assert!(upgrade_events(&server, practice).is_empty());

    // Upgraded once, it cannot go back, nor upgrade again to the same version.
    assert_eq!(upgrade(&server, practice, &json!({"to_version": "1.1.0"})).status, 200);
    for version in ["1.0.0", "1.1.0"] {
        let response = upgrade(&server, practice, &json!({"to_version": version}));
        assert_eq!(response.status, 422, "{version}: {}", response.text());
        assert_eq!(
            response.error_fields(),
            vec![("to_version".to_owned(), "catalog_upgrade".to_owned())]
        );
        assert!(response.text().contains(version), "{}", response.text());
    }
    assert_eq!(upgrade_events(&server, practice).len(), 1);
}

/// The server keeps a practice's view between requests while its records are unchanged: every
/// kind of write that changes them shows in the next read, the practice's own and the PO's.
fn a_view_read_again_after_a_write_shows_the_write(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice(&server, "Birch Lane");
    let first = compliance(&server, practice);
    assert_eq!(compliance(&server, practice), first, "read twice, unchanged");
    assert_eq!(criterion(&first, "4.3")["attestation"], Value::Null);

    // The practice's own attestation.
    let id = attest(&server, practice, "4.3", "not_in_place", "2026-06-01");
    let attested = compliance(&server, practice);
    assert_eq!(criterion(&attested, "4.3")["attestation"]["id"], id);

    // Its correction, superseding it: the next read shows the correction.
    let corrected = server.create(
        &format!("/api/v1/practices/{practice}/attestations"),
        &json!({
            "criterion": "4.3",
            "status": "partially_in_place",
            "effective_on": "2026-06-01",
            "signer": "Dana Reyes",
            "signer_role": "Office manager",
            "statement": "Corrected after the review.",
            "supersedes": id,
        }),
    );
    let view = compliance(&server, practice);
    assert_eq!(criterion(&view, "4.3")["attestation"]["id"], corrected["id"]);

    // A catalog upgrade changes the practice record the view carries.
    let moved = server.post(
        &format!("/api/v1/practices/{practice}/catalog-upgrade"),
        &json!({"to_version": "1.1.0"}),
    );
    assert_eq!(moved.status, 200, "{}", moved.text());
    assert_eq!(compliance(&server, practice)["catalog_version"], "1.1.0");
}
