//! Periodic reports over real HTTP, on SQLite and PostgreSQL: filed by a PO, PO-wide or about
//! one of its practices, listed for the PO and for each practice they concern, and the bad
//! input each endpoint must refuse without writing anything.

mod common;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    reports_are_filed_listed_and_read => reports_are_filed_listed_and_read;
    a_practice_sees_its_own_and_the_po_wide_reports => a_practice_sees_its_own_and_the_po_wide_reports;
    the_report_document_is_the_po_s_or_the_practice_s => the_report_document_is_the_po_s_or_the_practice_s;
    bad_input_is_refused_and_writes_nothing => bad_input_is_refused_and_writes_nothing;
    ids_of_others_and_unknown_ids => ids_of_others_and_unknown_ids;
}

/// A member list for one month, e.g. `month("2026-03")`.
fn month(yyyy_mm: &str) -> Value {
    let (year, month): (i32, u32) = (yyyy_mm[..4].parse().unwrap(), yyyy_mm[5..].parse().unwrap());
    let start = chrono::NaiveDate::from_ymd_opt(year, month, 1).unwrap();
    let end = start
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    json!({"report_type": "member_list", "period_start": start.to_string(), "period_end": end.to_string()})
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

/// The twelve months before November 2026.
const MONTHS: [&str; 12] = [
    "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
    "2026-09", "2026-10",
];

fn starts(listing: &Value) -> Vec<String> {
    listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["period_start"].as_str().unwrap()[..7].to_owned())
        .collect()
}

/// Uploads a small document for `owner_path` (`practices/1` or `organizations/1`); returns its id.
fn upload_document(server: &Server, owner_path: &str) -> i64 {
    let boundary = "pcmh-test-boundary";
    let metadata = json!({
        "title": "Member list, October 2026",
        "document_type": "member_list_report",
        "criteria": [],
        "effective_on": "2026-11-02",
    });
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n\
         {metadata}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"members.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nmember,engaged\r\nM-0001,yes\r\n--{boundary}--\r\n"
    );
    let response = server.request(
        "POST",
        &format!("/api/v1/{owner_path}/documents"),
        Some(&format!("multipart/form-data; boundary={boundary}")),
        body.as_bytes(),
    );
    assert_eq!(response.status, 201, "upload to {owner_path}: {}", response.text());
    response.json()["id"].as_i64().expect("a document id")
}

fn reports_are_filed_listed_and_read(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let base = format!("/api/v1/organizations/{po}/reports");

    let first = server.create(&base, &month("2025-11"));
    assert_eq!(first["owner"], json!({"organization": po}));
    assert_eq!(first["report_type"], "member_list");
    assert_eq!(first["period_start"], "2025-11-01");
    assert_eq!(first["period_end"], "2025-11-30");
    assert_eq!(first["document_id"], Value::Null);
    assert_eq!(server.get(&format!("{base}/{}", first["id"])).json(), first);
    for m in &MONTHS[1..] {
        server.create(&base, &month(m));
    }
    let about_practice = server.create(&base, &with(month("2026-10"), "practice_id", json!(practice)));
    assert_eq!(about_practice["owner"], json!({"practice": practice}));
    // A full leap year is the longest period a report covers.
    server.create(
        &base,
        &json!({"report_type": "member_list", "period_start": "2024-01-01", "period_end": "2024-12-31"}),
    );

    let all = server.get(&base).json();
    assert_eq!(all["total"], 14);
    assert_eq!(starts(&all)[0], "2024-01", "by the start of the period");
    let for_practice = server.get(&format!("{base}?practice_id={practice}")).json();
    assert_eq!(for_practice["total"], 1);
    assert_eq!(for_practice["items"][0]["id"], about_practice["id"]);
    assert_eq!(
        server.get(&format!("{base}?report_type=member_list")).json()["total"],
        14
    );
    let first_quarter = server.get(&format!("{base}?from=2026-01-01&to=2026-03-31")).json();
    assert_eq!(starts(&first_quarter), ["2026-01", "2026-02", "2026-03"]);
    let page = server.get(&format!("{base}?limit=3&offset=3")).json();
    assert_eq!((page["total"].as_i64(), page["limit"].as_i64()), (Some(14), Some(3)));
    assert_eq!(starts(&page), ["2026-01", "2026-02", "2026-03"]);

    // PO criterion 4.27 is assessed for the PO, not per practice.
    let compliance = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"))
        .json();
    let member_lists = compliance["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "4.27")
        .unwrap()
        .clone();
    assert_eq!(member_lists["status"], "not_applicable");
    // The member lists for the twelve months before the as-of month are on file for the practice.
    let on_file = server
        .get(&format!(
            "/api/v1/practices/{practice}/reports?report_type=member_list&from=2025-11-01&to=2026-10-31"
        ))
        .json();
    let mut months = starts(&on_file);
    months.dedup();
    assert_eq!(months, MONTHS);
}

fn a_practice_sees_its_own_and_the_po_wide_reports(backend: Backend) {
    let server = Server::start(backend);
    let (po, maple) = organization_with_practice(&server, "Maple Street");
    let birch = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Birch Lane"}),
    )["id"]
        .as_i64()
        .unwrap();
    let (other_po, elm) = organization_with_practice(&server, "Elm Road");
    let base = format!("/api/v1/organizations/{po}/reports");
    let po_wide = server.create(&base, &month("2026-09"));
    let maple_own = server.create(&base, &with(month("2026-10"), "practice_id", json!(maple)));
    let birch_own = server.create(&base, &with(month("2026-10"), "practice_id", json!(birch)));
    let other_wide = server.create(&format!("/api/v1/organizations/{other_po}/reports"), &month("2026-09"));
    server.create(
        &format!("/api/v1/organizations/{other_po}/reports"),
        &with(month("2026-10"), "practice_id", json!(elm)),
    );

    let ids = |practice: i64, query: &str| -> Vec<Value> {
        let listing = server
            .get(&format!("/api/v1/practices/{practice}/reports{query}"))
            .json();
        listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].clone())
            .collect()
    };
    assert_eq!(ids(maple, ""), [po_wide["id"].clone(), maple_own["id"].clone()]);
    assert_eq!(ids(birch, ""), [po_wide["id"].clone(), birch_own["id"].clone()]);
    assert_eq!(ids(elm, "").len(), 2);
    assert!(!ids(elm, "").contains(&po_wide["id"]));
    assert!(ids(elm, "").contains(&other_wide["id"]));
    assert_eq!(ids(maple, "?from=2026-10-01"), [maple_own["id"].clone()]);
    assert_eq!(ids(maple, "?limit=1&offset=1"), [maple_own["id"].clone()]);
    assert!(ids(maple, "?report_type=utilization").is_empty());
    assert_eq!(server.get(&base).json()["total"], 3);
}

fn the_report_document_is_the_po_s_or_the_practice_s(backend: Backend) {
    let server = Server::start(backend);
    let (po, maple) = organization_with_practice(&server, "Maple Street");
    let birch = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Birch Lane"}),
    )["id"]
        .as_i64()
        .unwrap();
    let (other_po, _) = organization_with_practice(&server, "Elm Road");
    let po_document = upload_document(&server, &format!("organizations/{po}"));
    let maple_document = upload_document(&server, &format!("practices/{maple}"));
    let birch_document = upload_document(&server, &format!("practices/{birch}"));
    let foreign_document = upload_document(&server, &format!("organizations/{other_po}"));
    let base = format!("/api/v1/organizations/{po}/reports");

    let po_wide = server.create(&base, &with(month("2026-10"), "document_id", json!(po_document)));
    assert_eq!(po_wide["document_id"], po_document);
    let about_maple = server.create(
        &base,
        &with(
            with(month("2026-10"), "practice_id", json!(maple)),
            "document_id",
            json!(maple_document),
        ),
    );
    assert_eq!(about_maple["document_id"], maple_document);
    server.create(
        &base,
        &with(
            with(month("2026-09"), "practice_id", json!(maple)),
            "document_id",
            json!(po_document),
        ),
    );

    for (what, body) in [
        (
            "another PO's document",
            with(month("2026-10"), "document_id", json!(foreign_document)),
        ),
        (
            "a practice's document for a PO-wide report",
            with(month("2026-10"), "document_id", json!(maple_document)),
        ),
        (
            "a sibling practice's document",
            with(
                with(month("2026-10"), "practice_id", json!(maple)),
                "document_id",
                json!(birch_document),
            ),
        ),
        (
            "no such document",
            with(month("2026-10"), "document_id", json!(987_654)),
        ),
    ] {
        let refused = server.post(&base, &body);
        assert_eq!(refused.status, 422, "{what}: {}", refused.text());
        assert_eq!(
            refused.error_fields(),
            [("document_id".to_owned(), "same_organization".to_owned())],
            "{what}"
        );
    }
    assert_eq!(server.get(&base).json()["total"], 3);
}

/// What is sent, where, the body, the status expected, and the (field, rule) named.
type Case<'a> = (&'a str, String, String, u16, Option<(&'a str, &'a str)>);

fn bad_input_is_refused_and_writes_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let (_, elsewhere) = organization_with_practice(&server, "Elm Road");
    let base = format!("/api/v1/organizations/{po}/reports");
    let good = month("2026-10");
    let without = |key: &str| {
        let mut body = good.clone();
        body.as_object_mut().unwrap().remove(key);
        body.to_string()
    };
    let set = |key: &str, value: Value| with(good.clone(), key, value).to_string();
    let cases: Vec<Case> = vec![
        (
            "wrong type",
            base.clone(),
            set("report_type", json!(5)),
            422,
            Some(("report_type", "type")),
        ),
        (
            "practice id not a number",
            base.clone(),
            set("practice_id", json!("1")),
            422,
            Some(("practice_id", "type")),
        ),
        (
            "document id not a number",
            base.clone(),
            set("document_id", json!(1.5)),
            422,
            Some(("document_id", "type")),
        ),
        (
            "missing report type",
            base.clone(),
            without("report_type"),
            422,
            Some(("report_type", "required")),
        ),
        (
            "missing period end",
            base.clone(),
            without("period_end"),
            422,
            Some(("period_end", "required")),
        ),
        (
            "unknown field",
            base.clone(),
            set("members", json!(120)),
            422,
            Some(("members", "unknown_field")),
        ),
        (
            "not a term",
            base.clone(),
            set("report_type", json!("Member List")),
            422,
            Some(("report_type", "format")),
        ),
        (
            "unknown report type",
            base.clone(),
            set("report_type", json!("utilization")),
            422,
            Some(("report_type", "vocabulary")),
        ),
        (
            "impossible date",
            base.clone(),
            set("period_start", json!("2026-02-30")),
            422,
            Some(("period_start", "format")),
        ),
        (
            "date long ago",
            base.clone(),
            set("period_start", json!("1850-01-01")),
            422,
            Some(("period_start", "date_range")),
        ),
        (
            "date far ahead",
            base.clone(),
            set("period_end", json!("2207-01-31")),
            422,
            Some(("period_end", "date_range")),
        ),
        (
            "ends before it starts",
            base.clone(),
            set("period_end", json!("2026-09-30")),
            422,
            Some(("period_end", "not_before_start")),
        ),
        (
            "longer than a leap year",
            base.clone(),
            json!({"report_type": "member_list", "period_start": "2025-10-01", "period_end": "2026-10-02"}).to_string(),
            422,
            Some(("period_end", "period_length")),
        ),
        (
            "a practice of another PO",
            base.clone(),
            set("practice_id", json!(elsewhere)),
            422,
            Some(("practice_id", "same_organization")),
        ),
        (
            "no such practice",
            base.clone(),
            set("practice_id", json!(999_999)),
            422,
            Some(("practice_id", "same_organization")),
        ),
        (
            "no such document",
            base.clone(),
            set("document_id", json!(999_999)),
            422,
            Some(("document_id", "same_organization")),
        ),
        (
            "malformed JSON",
            base.clone(),
            r#"{"report_type": "member_list""#.into(),
            400,
            None,
        ),
        ("not an object", base.clone(), "[1, 2]".into(), 422, None),
    ];
    for (what, path, body, status, field) in cases {
        let response = server.request("POST", &path, Some("application/json"), body.as_bytes());
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let error = response.json();
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{what}: {error}"
        );
        if let Some((name, rule)) = field {
            assert_eq!(response.error_fields(), [(name.to_owned(), rule.to_owned())], "{what}");
        }
    }
    let vocabulary = server.post(&base, &with(good.clone(), "report_type", json!("utilization")));
    let message = vocabulary.json()["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        message,
        "`utilization` is not a report type of pcmh-n-domain-4 1.0.0 (known: member_list)"
    );
    let wrong_type = server.request("POST", &base, Some("text/plain"), good.to_string().as_bytes());
    assert_eq!(wrong_type.status, 400);
    let bad_utf8 = server.request(
        "POST",
        &base,
        Some("application/json"),
        b"{\"report_type\": \"\xff\", \"period_start\": \"2026-10-01\"}",
    );
    assert_eq!(bad_utf8.status, 400);

    // None of the refused requests wrote anything.
    assert_eq!(server.get(&base).json()["total"], 0);
    assert_eq!(
        server.get(&format!("/api/v1/practices/{practice}/reports")).json()["total"],
        0
    );

    for (list, query) in [
        (&base, "limit=0"),
        (&base, "limit=501"),
        (&base, "offset=-1"),
        (&base, "from=2026-05-01&to=2026-04-01"),
        (&base, "to=2207-01-01"),
        (&base, "report_type=Member%20List"),
        (&base, "practice_id=abc"),
        (&base, "color=red"),
    ] {
        for path in [
            format!("{list}?{query}"),
            format!("/api/v1/practices/{practice}/reports?{query}"),
        ] {
            if path.contains("/practices/") && query.starts_with("practice_id") {
                continue;
            }
            let response = server.get(&path);
            assert!(matches!(response.status, 400 | 422), "{path}: {}", response.status);
            assert!(!response.error_fields().is_empty(), "{path} names the parameter");
        }
    }
    // A practice's list has no practice_id filter: it is the practice in the path.
    let response = server.get(&format!("/api/v1/practices/{practice}/reports?practice_id={practice}"));
    assert_eq!(response.status, 400);
    assert_eq!(response.error_fields()[0].0, "practice_id");
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn ids_of_others_and_unknown_ids(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let (other_po, _) = organization_with_practice(&server, "Elm Road");
    let ours = server.create(&format!("/api/v1/organizations/{po}/reports"), &month("2026-10"));
    let theirs = server.create(&format!("/api/v1/organizations/{other_po}/reports"), &month("2026-10"));
    for path in [
        format!("/api/v1/organizations/{po}/reports/{}", theirs["id"]),
        format!("/api/v1/organizations/{other_po}/reports/{}", ours["id"]),
        format!("/api/v1/organizations/{po}/reports/999999"),
        format!("/api/v1/organizations/{po}/reports/not-a-number"),
        "/api/v1/organizations/999999/reports".to_owned(),
        format!("/api/v1/organizations/999999/reports/{}", ours["id"]),
        "/api/v1/practices/999999/reports".to_owned(),
        format!("/api/v1/practices/{practice}/reports/{}", ours["id"]),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    let to_unknown_po = server.post("/api/v1/organizations/999999/reports", &month("2026-10"));
    assert_eq!(to_unknown_po.status, 404);
    assert_eq!(to_unknown_po.json()["error"]["code"], "not_found");
    assert_eq!(
        server.get(&format!("/api/v1/organizations/{po}/reports")).json()["total"],
        1
    );
}
