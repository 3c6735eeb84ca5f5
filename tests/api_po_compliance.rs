//! The PO's compliance views over real HTTP, on SQLite and PostgreSQL: the practice × criterion
//! matrix (each practice against its own catalog version) with the PO-level criteria, what falls
//! due across the PO, the month-by-month trend, scope and bad query parameters.

mod common;

use common::{Backend, Server};
use serde_json::{json, Value};

both_backends! {
    the_matrix_matches_each_practice_and_counts_them => the_matrix_matches_each_practice_and_counts_them;
    po_level_criteria_are_evaluated_over_the_po => po_level_criteria_are_evaluated_over_the_po;
    the_due_list_is_sorted_and_filtered => the_due_list_is_sorted_and_filtered;
    the_trend_changes_month_by_month => the_trend_changes_month_by_month;
    another_po_is_out_of_scope_and_bad_queries_are_refused => another_po_is_out_of_scope_and_bad_queries_are_refused;
    a_po_moves_to_a_new_version_with_all_its_practices => a_po_moves_to_a_new_version_with_all_its_practices;
    an_empty_po_has_nothing_to_move => an_empty_po_has_nothing_to_move;
}

const AS_OF: &str = "2026-11-24";

/// A PO with practices of the given (name, catalog version); returns (po, practice ids).
fn po_with(server: &Server, name: &str, practices: &[(&str, &str)]) -> (i64, Vec<i64>) {
    let po = server.create("/api/v1/organizations", &json!({"name": format!("{name} PO")}))["id"]
        .as_i64()
        .expect("an id");
    let ids = practices
        .iter()
        .map(|(name, version)| {
            server.create(
                &format!("/api/v1/organizations/{po}/practices"),
                &json!({"name": name, "initial_focus_population": "adults with diabetes", "catalog_version": version}),
            )["id"]
                .as_i64()
                .expect("an id")
        })
        .collect();
    (po, ids)
}

fn attest(server: &Server, owner_path: &str, criterion: &str, effective_on: &str) {
    server.create(
        &format!("/api/v1/{owner_path}/attestations"),
        &json!({
            "criterion": criterion, "status": "in_place", "effective_on": effective_on,
            "signer": "Dana Reyes", "signer_role": "Office manager", "statement": "Reviewed with the care team.",
        }),
    );
}

fn member_list(server: &Server, po: i64, yyyy_mm: &str) {
    let (year, month): (i32, u32) = (yyyy_mm[..4].parse().unwrap(), yyyy_mm[5..].parse().unwrap());
    let start = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap();
    let end = start
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    server.create(
        &format!("/api/v1/organizations/{po}/reports"),
        &json!({"report_type": "member_list", "period_start": start.to_string(), "period_end": end.to_string()}),
    );
}

fn ok(server: &Server, path: &str) -> Value {
    let response = server.get(path);
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response.json()
}

fn find<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .expect("a list")
        .iter()
        .find(|c| c[key] == value)
        .unwrap_or_else(|| panic!("{key} = {value} in {list}"))
}

fn the_matrix_matches_each_practice_and_counts_them(backend: Backend) {
    let server = Server::start(backend);
    let (po, practices) = po_with(
        &server,
        "Alder",
        &[("Alder One", "1.0.0"), ("Alder Two", "1.1.0"), ("Alder Three", "1.0.0")],
    );
    attest(&server, &format!("practices/{}", practices[0]), "4.3", "2026-06-01");
    attest(&server, &format!("practices/{}", practices[1]), "4.3", "2026-06-01");
    attest(&server, &format!("practices/{}", practices[1]), "4.10", "2026-06-01");
    let view = ok(&server, &format!("/api/v1/organizations/{po}/compliance?as_of={AS_OF}"));
    assert_eq!(view["as_of"], AS_OF);
    assert_eq!(view["organization"]["id"], po);
    assert_eq!(view["catalog_version"], "1.1.0", "the newest version its practices use");
    let rows = view["practices"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    for (row, id) in rows.iter().zip(&practices) {
        assert_eq!(row["practice"]["id"], *id, "rows by practice id");
        let own = ok(&server, &format!("/api/v1/practices/{id}/compliance?as_of={AS_OF}"));
        assert_eq!(row["practice"]["catalog_version"], own["catalog_version"]);
        let cells = row["criteria"].as_array().unwrap();
        let own_criteria = own["criteria"].as_array().unwrap();
        assert_eq!(cells.len(), own_criteria.len(), "every criterion of its own version");
        for (cell, result) in cells.iter().zip(own_criteria) {
            assert_eq!(cell["criterion"], result["criterion"]);
            assert_eq!(
                cell["status"], result["status"],
                "practice {id} criterion {}",
                cell["criterion"]
            );
            assert_eq!(cell["agreement"], result["agreement"]["status"], "{cell}");
            assert_eq!(cell["needs_reattestation"], result["needs_reattestation"], "{cell}");
        }
        let summary = &row["summary"];
        let total: u64 = ["met", "partially_met", "not_met", "not_applicable"]
            .iter()
            .map(|k| summary[k].as_u64().unwrap())
            .sum();
        assert_eq!(total as usize, cells.len());
        assert_eq!(summary["not_met"], own["summary"]["not_met"]);
        assert_eq!(
            summary, &own["summary"],
            "practice {id}: the same counts as its own view"
        );
    }
    let first = &rows[0]["criteria"];
    assert_eq!(
        find(first, "criterion", "4.3")["agreement"],
        "disagrees",
        "attested in place, partially met"
    );
    assert_eq!(find(first, "criterion", "4.10")["agreement"], "unattested");
    // Per criterion: how many of the three practices have each status.
    let tally = find(&view["criteria"], "criterion", "4.3");
    assert_eq!(tally["partially_met"], 2, "{tally}");
    assert_eq!(tally["not_met"], 1, "{tally}");
    let tally = find(&view["criteria"], "criterion", "4.10");
    assert_eq!(
        (tally["partially_met"].as_u64(), tally["not_met"].as_u64()),
        (Some(1), Some(2))
    );
    let po_level = find(&view["criteria"], "criterion", "4.27");
    assert_eq!(
        po_level["not_applicable"], 3,
        "PO-level criteria are not assessed per practice"
    );
}

fn po_level_criteria_are_evaluated_over_the_po(backend: Backend) {
    let server = Server::start(backend);
    let (po, _) = po_with(&server, "Birch", &[("Birch One", "1.0.0"), ("Birch Two", "1.0.0")]);
    let months = [
        "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
        "2026-09", "2026-10",
    ];
    let path = format!("/api/v1/organizations/{po}/compliance?as_of={AS_OF}");
    let before = ok(&server, &path);
    let ids: Vec<&str> = before["organization_criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["criterion"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["4.24", "4.25", "4.26", "4.27", "4.28"],
        "only the PO-level criteria"
    );
    assert_eq!(
        find(&before["organization_criteria"], "criterion", "4.27")["status"],
        "not_met"
    );
    for m in &months[..11] {
        member_list(&server, po, m);
    }
    let partial = ok(&server, &path);
    assert_eq!(
        find(&partial["organization_criteria"], "criterion", "4.27")["status"],
        "partially_met",
        "one month missing"
    );
    member_list(&server, po, months[11]);
    let met = ok(&server, &path);
    assert_eq!(
        find(&met["organization_criteria"], "criterion", "4.27")["status"],
        "met"
    );
    assert_eq!(met["organization_summary"]["met"], 1, "{}", met["organization_summary"]);
    // A PO attestation counts for the PO-level criterion.
    attest(&server, &format!("organizations/{po}"), "4.24", "2026-06-01");
    let attested = ok(&server, &path);
    assert_eq!(
        find(&attested["organization_criteria"], "criterion", "4.24")["status"],
        "partially_met"
    );
}

fn the_due_list_is_sorted_and_filtered(backend: Backend) {
    let server = Server::start(backend);
    let (po, practices) = po_with(&server, "Cedar", &[("Cedar One", "1.0.0"), ("Cedar Two", "1.0.0")]);
    // Attestations lapse 12 months after they take effect.
    attest(&server, &format!("practices/{}", practices[0]), "4.3", "2026-01-10"); // 2027-01-10
    attest(&server, &format!("practices/{}", practices[1]), "4.3", "2025-11-01"); // overdue
    attest(&server, &format!("practices/{}", practices[1]), "4.10", "2025-12-10"); // 2026-12-10
    attest(&server, &format!("organizations/{po}"), "4.24", "2025-12-20"); // 2026-12-20
    let base = format!("/api/v1/organizations/{po}/due?as_of={AS_OF}");
    let due = ok(&server, &base);
    assert_eq!(due["within"], 60);
    let items = due["items"].as_array().unwrap();
    let dates: Vec<&str> = items.iter().map(|i| i["due_on"].as_str().unwrap()).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "by date");
    let renewals: Vec<(String, Value, bool)> = items
        .iter()
        .filter(|i| i["what"].as_str().unwrap().contains("attestation"))
        .map(|i| {
            (
                i["criterion"].as_str().unwrap().to_owned(),
                i["practice_id"].clone(),
                i["overdue"] == true,
            )
        })
        .collect();
    assert!(
        renewals.contains(&("4.3".into(), json!(practices[1]), true)),
        "{renewals:?}"
    );
    assert!(
        renewals.contains(&("4.10".into(), json!(practices[1]), false)),
        "{renewals:?}"
    );
    assert!(renewals.contains(&("4.24".into(), Value::Null, false)), "{renewals:?}");
    assert!(
        renewals.contains(&("4.3".into(), json!(practices[0]), false)),
        "{renewals:?}"
    );
    // 2027-01-10 is 47 days on: out of a 30-day window.
    let short = ok(&server, &format!("{base}&within=30"));
    assert!(short["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["due_on"].as_str().unwrap() <= "2026-12-24"));
    let of_two = ok(&server, &format!("{base}&practice_id={}", practices[1]));
    assert!(!of_two["items"].as_array().unwrap().is_empty());
    assert!(of_two["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["practice_id"] == practices[1]));
    let of_43 = ok(&server, &format!("{base}&criterion=4.3"));
    assert!(of_43["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["criterion"] == "4.3"));
    assert!(of_43["items"].as_array().unwrap().len() >= 2);
    let po_only = ok(&server, &format!("{base}&criterion=4.24"));
    assert!(po_only["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["practice_id"].is_null()));
    assert!(!po_only["items"].as_array().unwrap().is_empty());
}

fn met_count(point: &Value, criterion: &str, status: &str) -> u64 {
    point["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == criterion)
        .map(|c| c[status].as_u64().unwrap())
        .unwrap_or(0)
}

fn the_trend_changes_month_by_month(backend: Backend) {
    let server = Server::start(backend);
    let (po, practices) = po_with(
        &server,
        "Dogwood",
        &[("Dogwood One", "1.0.0"), ("Dogwood Two", "1.0.0")],
    );
    let path = format!("/api/v1/organizations/{po}/compliance/trend?from=2026-01-01&to=2026-04-15");
    let before = ok(&server, &path);
    let months: Vec<&str> = before["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-01", "2026-02", "2026-03", "2026-04"]);
    assert_eq!(
        before["months"][3]["as_of"], "2026-04-15",
        "the last month is cut at `to`"
    );
    assert_eq!(before["practices"], 2);
    assert!(before["months"][0]["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["criterion"] != "4.27"));
    for point in before["months"].as_array().unwrap() {
        assert_eq!(met_count(point, "4.3", "not_met"), 2);
    }
    attest(&server, &format!("practices/{}", practices[0]), "4.3", "2026-02-10");
    attest(&server, &format!("practices/{}", practices[1]), "4.3", "2026-03-05");
    member_list(&server, po, "2026-02");
    let after = ok(&server, &path);
    let partial: Vec<u64> = after["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| met_count(p, "4.3", "partially_met"))
        .collect();
    assert_eq!(partial, [0, 1, 2, 2]);
    let po_427: Vec<&str> = after["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            find(&p["organization"], "criterion", "4.27")["status"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(po_427[0], "not_met");
    assert_ne!(po_427[3], "not_met", "{po_427:?}");
    assert!(after["months"].as_array().unwrap().iter().all(|m| m["practices"] == 2));

    // A practice that joined the PO in March counts from March on; its focus population stays.
    let patched = server.patch(
        &format!("/api/v1/practices/{}", practices[1]),
        &json!({"joined_on": "2026-03-01"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["joined_on"], "2026-03-01");
    assert_eq!(patched.json()["initial_focus_population"], "adults with diabetes");
    let joined = ok(&server, &path);
    let counted: Vec<u64> = joined["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["practices"].as_u64().unwrap())
        .collect();
    assert_eq!(counted, [1, 1, 2, 2]);
    let partial: Vec<u64> = joined["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| met_count(p, "4.3", "partially_met") + met_count(p, "4.3", "not_met"))
        .collect();
    assert_eq!(partial, counted, "each month tallies only the practices counted");
    for bad in [json!({"joined_on": "1850-01-01"}), json!({"joined_on": "soon"})] {
        let response = server.patch(&format!("/api/v1/practices/{}", practices[1]), &bad);
        assert_eq!(response.status, 422, "{bad}: {}", response.text());
        assert_eq!(response.error_fields()[0].0, "joined_on", "{bad}");
    }
}

fn another_po_is_out_of_scope_and_bad_queries_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let (a, _) = po_with(&server, "Elm", &[("Elm One", "1.0.0")]);
    let (b, b_practices) = po_with(&server, "Fir", &[("Fir One", "1.0.0")]);
    let token = server.token(&["--role", "po_manager", "--organization", &a.to_string()]);
    for tail in ["compliance", "due", "compliance/trend"] {
        let own = server.request_as(
            Some(&token),
            "GET",
            &format!("/api/v1/organizations/{a}/{tail}"),
            None,
            b"",
        );
        assert_eq!(own.status, 200, "{tail}: {}", own.text());
        let other = server.request_as(
            Some(&token),
            "GET",
            &format!("/api/v1/organizations/{b}/{tail}"),
            None,
            b"",
        );
        assert_eq!(other.status, 404, "{tail} of another PO");
        assert!(!other.text().contains("Fir"));
        assert_eq!(
            server.get(&format!("/api/v1/organizations/999999/{tail}")).status,
            404,
            "{tail}"
        );
    }
    let refused = |query: &str| {
        let response = server.get(&format!("/api/v1/organizations/{a}/{query}"));
        assert!(
            response.status == 400 || response.status == 422,
            "{query}: {} {}",
            response.status,
            response.text()
        );
        response
    };
    refused("compliance?as_of=yesterday");
    refused("compliance?as_of=2026-02-30");
    assert_eq!(refused("compliance?as_of=1850-01-01").status, 422);
    refused("compliance?unknown=1");
    assert_eq!(refused("due?within=0").status, 422);
    assert_eq!(refused("due?within=367").status, 422);
    refused("due?within=-1");
    refused("due?within=ten");
    assert_eq!(refused("due?criterion=four").error_fields()[0].0, "criterion");
    assert_eq!(refused("due?criterion=9.99").error_fields()[0].0, "criterion");
    assert_eq!(
        refused(&format!("due?practice_id={}", b_practices[0])).error_fields()[0],
        ("practice_id".to_owned(), "same_organization".to_owned())
    );
    assert_eq!(refused("compliance/trend?from=2026-05-01&to=2026-04-01").status, 422);
    assert_eq!(
        refused("compliance/trend?from=2023-01-01&to=2026-01-31").status,
        422,
        "37 months"
    );
    assert_eq!(
        server
            .get(&format!(
                "/api/v1/organizations/{a}/compliance/trend?from=2023-02-01&to=2026-01-31"
            ))
            .status,
        200,
        "36 months"
    );
    refused("compliance/trend?from=1850-01-01&to=2026-01-01");
    refused("compliance/trend?to=3000-01-01");
}

fn cell<'a>(view: &'a Value, practice: i64, criterion: &str) -> &'a Value {
    let row = find_row(view, practice);
    find(&row["criteria"], "criterion", criterion)
}

fn find_row(view: &Value, practice: i64) -> &Value {
    view["practices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["practice"]["id"] == practice)
        .expect("the practice's row")
}

fn a_po_moves_to_a_new_version_with_all_its_practices(backend: Backend) {
    let server = Server::start(backend);
    let (po, practices) = po_with(&server, "Birch", &[("Birch One", "1.0.0"), ("Birch Two", "1.0.0")]);
    let (other_po, other_practices) = po_with(&server, "Cedar", &[("Cedar One", "1.0.0")]);
    // 1.1.0 keeps 4.1 and 4.24 and changes the PO-level 4.28: the PO's attestation of 4.28 must
    // be made again, the others carry over.
    attest(&server, &format!("practices/{}", practices[0]), "4.1", "2026-06-01");
    attest(&server, &format!("organizations/{po}"), "4.28", "2026-06-01");
    attest(&server, &format!("organizations/{po}"), "4.24", "2026-06-01");
    let upgrade = |body: Value| server.post(&format!("/api/v1/organizations/{po}/catalog-upgrade"), &body);

    // Refused: nothing changes.
    for (body, rule) in [
        (json!({"to_version": "9.9.9"}), "catalog_upgrade"),
        (json!({"to_version": "1.0.0"}), "catalog_upgrade"),
        (json!({"to_version": ""}), "length"),
        (json!({"to_version": 11}), "type"),
        (json!({"to_version": "1.1.0", "force": true}), "unknown_field"),
    ] {
        let response = upgrade(body.clone());
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        let fields = response.error_fields();
        assert!(
            fields
                .iter()
                .any(|(f, r)| (f == "to_version" || f == "force") && r == rule),
            "{body}: {fields:?}"
        );
    }
    let before = ok(&server, &format!("/api/v1/organizations/{po}/compliance?as_of={AS_OF}"));
    assert_eq!(before["catalog_version"], "1.0.0");
    assert_eq!(
        find(&before["organization_criteria"], "criterion", "4.28")["needs_reattestation"],
        false
    );
    assert_eq!(before["organization_summary"]["needs_reattestation"], 0);

    let response = upgrade(json!({"to_version": "1.1.0"}));
    assert_eq!(response.status, 200, "{}", response.text());
    let moved = response.json();
    assert_eq!(moved["catalog_version"], "1.1.0");
    let ids: Vec<i64> = moved["upgraded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, practices);
    assert!(moved["upgraded"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["catalog_version"] == "1.1.0"));

    let after = ok(&server, &format!("/api/v1/organizations/{po}/compliance?as_of={AS_OF}"));
    assert_eq!(
        after["catalog_version"], "1.1.0",
        "the PO's own criteria move with its practices"
    );
    let changed = find(&after["organization_criteria"], "criterion", "4.28");
    assert_eq!(changed["needs_reattestation"], true, "{changed}");
    let reason = changed["reattestation_reason"].as_str().unwrap();
    assert!(reason.contains("changed in version 1.1.0"), "{reason}");
    assert_eq!(after["organization_summary"]["needs_reattestation"], 1);
    let kept = find(&after["organization_criteria"], "criterion", "4.24");
    assert_eq!(kept["needs_reattestation"], false, "4.24 is kept by 1.1.0");
    assert_eq!(kept["attestation"]["criterion"], "4.24");
    assert_eq!(
        cell(&after, practices[0], "4.1")["needs_reattestation"],
        false,
        "kept: carries over"
    );
    assert_eq!(
        cell(&after, practices[0], "4.1")["agreement"],
        cell(&before, practices[0], "4.1")["agreement"]
    );
    assert_eq!(find_row(&after, practices[0])["catalog_version"], "1.1.0");
    // The PO's attestation of its own criterion is compared once, in the PO's part, not in every
    // practice's row, where 4.28 is not assessed.
    assert_eq!(cell(&after, practices[0], "4.28")["agreement"], "not_assessed_here");
    assert_eq!(cell(&after, practices[0], "4.28")["needs_reattestation"], false);
    for id in &practices {
        assert_eq!(
            find_row(&after, *id)["summary"]["needs_reattestation"],
            0,
            "practice {id}"
        );
    }
    let own = ok(
        &server,
        &format!("/api/v1/practices/{}/compliance?as_of={AS_OF}", practices[0]),
    );
    assert_eq!(own["catalog_version"], "1.1.0");

    // A new attestation under 1.1.0 clears the flag.
    attest(&server, &format!("organizations/{po}"), "4.28", "2026-07-01");
    let cleared = ok(&server, &format!("/api/v1/organizations/{po}/compliance?as_of={AS_OF}"));
    assert_eq!(
        find(&cleared["organization_criteria"], "criterion", "4.28")["needs_reattestation"],
        false
    );
    // Once there, moving again is refused; the other PO did not move.
    let again = upgrade(json!({"to_version": "1.1.0"}));
    assert_eq!(again.status, 422, "{}", again.text());
    assert!(
        again.text().contains("already assessed against 1.1.0"),
        "{}",
        again.text()
    );
    let other = ok(&server, &format!("/api/v1/practices/{}", other_practices[0]));
    assert_eq!(other["catalog_version"], "1.0.0");
    let missing = server.post(
        "/api/v1/organizations/999999/catalog-upgrade",
        &json!({"to_version": "1.1.0"}),
    );
    assert_eq!(missing.status, 404);
    let _ = other_po;

    // The move is in the audit trail, with the practices before it.
    let events = ok(
        &server,
        &format!("/api/v1/audit-events?organization_id={po}&record_kind=organization"),
    );
    let items = events["items"].as_array().expect("events");
    let event = items
        .iter()
        .find(|e| e["action"] == "upgrade")
        .unwrap_or_else(|| panic!("an upgrade event in {events}"));
    assert_eq!(event["before"][0]["catalog_version"], "1.0.0", "{event}");
    assert_eq!(event["after"]["catalog_version"], "1.1.0", "{event}");
}

fn an_empty_po_has_nothing_to_move(backend: Backend) {
    let server = Server::start(backend);
    let (po, _) = po_with(&server, "Empty", &[]);
    let response = server.post(
        &format!("/api/v1/organizations/{po}/catalog-upgrade"),
        &json!({"to_version": "1.1.0"}),
    );
    assert_eq!(response.status, 422, "{}", response.text());
    assert!(response.text().contains("no practices"), "{}", response.text());
}
