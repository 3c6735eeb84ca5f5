//! Training records over real HTTP, on SQLite and PostgreSQL: one at a time as JSON, many at
//! once as a CSV import (all or nothing), lists with filters and pages, the bad input each
//! endpoint refuses (and that a refusal writes nothing), and criterion 4.1 of the compliance.

mod common;

use common::{organization_with_practice, Backend, Server};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};

both_backends! {
    a_training_is_recorded_listed_and_read => a_training_is_recorded_listed_and_read;
    lists_filter_by_staff_topic_and_date_and_page => lists_filter_by_staff_topic_and_date_and_page;
    bad_trainings_are_refused_and_write_nothing => bad_trainings_are_refused_and_write_nothing;
    linked_documents_belong_to_the_practice_or_its_po => linked_documents_belong_to_the_practice_or_its_po;
    unknown_and_foreign_ids_are_not_found => unknown_and_foreign_ids_are_not_found;
    a_good_csv_import_writes_every_row => a_good_csv_import_writes_every_row;
    one_bad_row_refuses_the_whole_import => one_bad_row_refuses_the_whole_import;
    bad_csv_files_are_refused => bad_csv_files_are_refused;
    compliance_counts_the_trainings => compliance_counts_the_trainings;
}

const CSV: &str = "text/csv";

fn trainings(practice: i64) -> String {
    format!("/api/v1/practices/{practice}/trainings")
}

fn import(practice: i64) -> String {
    format!("/api/v1/practices/{practice}/trainings/import")
}

/// Adds a staff member; returns their id.
fn staff(server: &Server, practice: i64, name: &str, role: &str, started_on: &str) -> i64 {
    server.create(
        &format!("/api/v1/practices/{practice}/staff"),
        &json!({"name": name, "role": role, "started_on": started_on}),
    )["id"]
        .as_i64()
        .expect("an id")
}

fn total(server: &Server, practice: i64) -> i64 {
    let list = server.get(&trainings(practice));
    assert_eq!(list.status, 200, "{}", list.text());
    list.json()["total"].as_i64().expect("a total")
}

fn topics_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| t["topic"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn pair(field: &str, rule: &str) -> (String, String) {
    (field.to_owned(), rule.to_owned())
}

fn a_training_is_recorded_listed_and_read(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let created = server.create(
        &trainings(practice),
        &json!({
            "staff_id": ana,
            "topic": "chronic_care_model",
            "completed_on": "2026-03-02",
            "hours": 1.5,
            "trainer": "  Dr. Lee, PCMH coach  "
        }),
    );
    assert_eq!(created["staff_id"], ana);
    assert_eq!(created["topic"], "chronic_care_model");
    assert_eq!(created["completed_on"], "2026-03-02");
    assert_eq!(created["hours"], 1.5);
    assert_eq!(created["trainer"], "Dr. Lee, PCMH coach", "the trainer is trimmed");
    assert_eq!(created["document_id"], Value::Null);

    let id = created["id"].as_i64().expect("an id");
    let got = server.get(&format!("{}/{id}", trainings(practice)));
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json(), created);

    let list = server.get(&trainings(practice)).json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0], created);

    // A training on the staff member's first day is fine; the minimum hours too.
    let first_day = server.post(
        &trainings(practice),
        &json!({"staff_id": ana, "topic": "pcmh_n_model", "completed_on": "2019-03-04", "hours": 0.25}),
    );
    assert_eq!(first_day.status, 201, "{}", first_day.text());
    assert_eq!(first_day.json()["trainer"], Value::Null);
    let forty = server.post(
        &trainings(practice),
        &json!({"staff_id": ana, "topic": "practice_transformation", "completed_on": "2026-04-01", "hours": 40}),
    );
    assert_eq!(forty.status, 201, "{}", forty.text());
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn lists_filter_by_staff_topic_and_date_and_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let ben = staff(&server, practice, "Ben Okafor", "nurse", "2020-01-01");
    // Recorded out of order: the list is by completion date.
    for (who, topic, day) in [
        (ana, "pcmh_n_model", "2026-05-01"),
        (ana, "chronic_care_model", "2025-01-15"),
        (ben, "chronic_care_model", "2026-02-10"),
        (ben, "practice_transformation", "2025-12-31"),
        (ana, "practice_transformation", "2026-01-01"),
    ] {
        server.create(
            &trainings(practice),
            &json!({"staff_id": who, "topic": topic, "completed_on": day, "hours": 2}),
        );
    }
    let all = server.get(&trainings(practice)).json();
    let days: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["completed_on"].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        ["2025-01-15", "2025-12-31", "2026-01-01", "2026-02-10", "2026-05-01"]
    );

    let in_2026 = server
        .get(&format!("{}?from=2026-01-01&to=2026-12-31", trainings(practice)))
        .json();
    assert_eq!(in_2026["total"], 3);
    let edges = server
        .get(&format!("{}?from=2025-12-31&to=2026-01-01", trainings(practice)))
        .json();
    assert_eq!(edges["total"], 2, "both ends of the range are included");

    let bens = server.get(&format!("{}?staff_id={ben}", trainings(practice))).json();
    assert_eq!(bens["total"], 2);
    assert!(bens["items"].as_array().unwrap().iter().all(|t| t["staff_id"] == ben));

    let ccm = server
        .get(&format!("{}?topic=chronic_care_model", trainings(practice)))
        .json();
    assert_eq!(ccm["total"], 2);
    let anas_ccm_2026 = server
        .get(&format!(
            "{}?topic=chronic_care_model&staff_id={ana}&from=2026-01-01",
            trainings(practice)
        ))
        .json();
    assert_eq!(anas_ccm_2026["total"], 0);
    let nobody = server.get(&format!("{}?staff_id=999", trainings(practice))).json();
    assert_eq!(nobody["total"], 0);

    let page = server.get(&format!("{}?limit=2&offset=1", trainings(practice))).json();
    assert_eq!(page["total"], 5);
    assert_eq!((page["limit"].as_i64(), page["offset"].as_i64()), (Some(2), Some(1)));
    assert_eq!(topics_of(&page), ["practice_transformation", "practice_transformation"]);
    let past_the_end = server.get(&format!("{}?offset=10", trainings(practice))).json();
    assert_eq!(past_the_end["total"], 5);
    assert_eq!(past_the_end["items"].as_array().unwrap().len(), 0);

    for query in [
        "limit=0",
        "limit=501",
        "offset=-1",
        "limit=abc",
        "from=2026-05-01&to=2026-04-01",
        "from=1850-01-01",
        "to=2026-02-30",
        "staff_id=abc",
        "topic=Chronic%20Care",
        "color=red",
    ] {
        let response = server.get(&format!("{}?{query}", trainings(practice)));
        assert!(matches!(response.status, 400 | 422), "{query}: {}", response.status);
        assert!(!response.error_fields().is_empty(), "{query} names the parameter");
    }
}

/// What is sent, the status expected, and the (field, rule) named.
type Case<'a> = (&'a str, String, u16, Option<(&'a str, &'a str)>);

fn bad_trainings_are_refused_and_write_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let other_practice = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .unwrap();
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2024-03-04");
    let elsewhere = staff(&server, other_practice, "Cy Park", "nurse", "2020-01-01");
    let body = |fields: Value| {
        let mut body =
            json!({"staff_id": ana, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1});
        for (k, v) in fields.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body.to_string()
    };
    let cases: Vec<Case> = vec![
        (
            "wrong type of staff_id",
            body(json!({"staff_id": "ana"})),
            422,
            Some(("staff_id", "type")),
        ),
        (
            "wrong type of hours",
            body(json!({"hours": "two"})),
            422,
            Some(("hours", "type")),
        ),
        (
            "wrong type of topic",
            body(json!({"topic": 7})),
            422,
            Some(("topic", "type")),
        ),
        (
            "missing staff_id",
            body(json!({"staff_id": null})),
            422,
            Some(("staff_id", "required")),
        ),
        (
            "missing topic",
            body(json!({"topic": null})),
            422,
            Some(("topic", "required")),
        ),
        (
            "missing completed_on",
            body(json!({"completed_on": null})),
            422,
            Some(("completed_on", "required")),
        ),
        (
            "missing hours",
            body(json!({"hours": null})),
            422,
            Some(("hours", "required")),
        ),
        (
            "unknown field",
            body(json!({"minutes": 90})),
            422,
            Some(("minutes", "unknown_field")),
        ),
        (
            "impossible date",
            body(json!({"completed_on": "2026-02-30"})),
            422,
            Some(("completed_on", "format")),
        ),
        (
            "out-of-range date",
            body(json!({"completed_on": "1850-01-01"})),
            422,
            Some(("completed_on", "date_range")),
        ),
        (
            "far future date",
            body(json!({"completed_on": "2150-01-01"})),
            422,
            Some(("completed_on", "date_range")),
        ),
        (
            "before the first day",
            body(json!({"completed_on": "2024-03-03"})),
            422,
            Some(("completed_on", "after_start")),
        ),
        ("zero hours", body(json!({"hours": 0})), 422, Some(("hours", "range"))),
        (
            "negative hours",
            body(json!({"hours": -2})),
            422,
            Some(("hours", "range")),
        ),
        (
            "too many hours",
            body(json!({"hours": 40.5})),
            422,
            Some(("hours", "range")),
        ),
        (
            "huge hours",
            body(json!({"hours": 1e308})),
            422,
            Some(("hours", "range")),
        ),
        (
            "malformed topic",
            body(json!({"topic": "Chronic Care Model"})),
            422,
            Some(("topic", "format")),
        ),
        (
            "unknown topic",
            body(json!({"topic": "basket_weaving"})),
            422,
            Some(("topic", "vocabulary")),
        ),
        (
            "staff of another practice",
            body(json!({"staff_id": elsewhere})),
            422,
            Some(("staff_id", "same_practice")),
        ),
        (
            "unknown staff",
            body(json!({"staff_id": 999_999})),
            422,
            Some(("staff_id", "same_practice")),
        ),
        (
            "blank trainer",
            body(json!({"trainer": "   "})),
            422,
            Some(("trainer", "not_blank")),
        ),
        (
            "long trainer",
            body(json!({"trainer": "x".repeat(201)})),
            422,
            Some(("trainer", "length")),
        ),
        (
            "unknown document",
            body(json!({"document_id": 999_999})),
            422,
            Some(("document_id", "same_organization")),
        ),
        (
            "document id of the wrong type",
            body(json!({"document_id": "slides.pdf"})),
            422,
            Some(("document_id", "type")),
        ),
        ("malformed JSON", r#"{"staff_id": 1, "topic""#.to_owned(), 400, None),
        ("not an object", "[1, 2]".to_owned(), 422, None),
        ("empty body", String::new(), 400, None),
    ];
    for (what, body, status, field) in cases {
        let response = server.request("POST", &trainings(practice), Some("application/json"), body.as_bytes());
        assert_eq!(response.status, status, "{what}: {}", response.text());
        let error = response.json();
        assert!(
            error["error"]["code"].is_string() && error["error"]["message"].is_string(),
            "{what}: {error}"
        );
        if let Some((name, rule)) = field {
            assert_eq!(response.error_fields(), [pair(name, rule)], "{what}");
        }
    }
    let unknown_topic = server.post(
        &trainings(practice),
        &json!({"staff_id": ana, "topic": "basket_weaving", "completed_on": "2026-03-02", "hours": 1}),
    );
    let message = unknown_topic.json()["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with("`basket_weaving` is not a training topic of pcmh-n-domain-4 1.0.0 (known: "),
        "{message}"
    );
    assert!(message.contains("chronic_care_model"), "{message}");

    let good = body(json!({}));
    let wrong_type = server.request("POST", &trainings(practice), Some("text/plain"), good.as_bytes());
    assert_eq!(wrong_type.status, 400);
    assert_eq!(wrong_type.json()["error"]["code"], "unsupported_content_type");
    let mut bad_utf8_body = format!(
        r#"{{"staff_id": {ana}, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1, "trainer": ""#
    )
    .into_bytes();
    bad_utf8_body.extend_from_slice(b"\xff\xfe\"}");
    let bad_utf8 = server.request("POST", &trainings(practice), Some("application/json"), &bad_utf8_body);
    assert_eq!(bad_utf8.status, 400, "{}", bad_utf8.text());
    let huge = body(json!({"trainer": "x".repeat(400_000)}));
    let oversized = server.request("POST", &trainings(practice), Some("application/json"), huge.as_bytes());
    assert_eq!(oversized.status, 413);

    // None of the refused requests wrote anything, in either practice.
    assert_eq!(total(&server, practice), 0);
    assert_eq!(total(&server, other_practice), 0);
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

/// Connects to the test server's database, to store what another module's API would.
fn database(server: &Server) -> DirectDb {
    match server.backend {
        Backend::Sqlite => DirectDb::Sqlite(
            diesel::SqliteConnection::establish(server.database_url.trim_start_matches("sqlite://"))
                .expect("the SQLite file opens"),
        ),
        Backend::Postgres => DirectDb::Postgres(
            diesel::PgConnection::establish(&server.database_url).expect("the PostgreSQL database answers"),
        ),
    }
}

enum DirectDb {
    Sqlite(diesel::SqliteConnection),
    Postgres(diesel::PgConnection),
}

#[derive(diesel::QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

impl DirectDb {
    /// Stores a document row of `organization` (and `practice`, if given); returns its id.
    fn document(&mut self, organization: i64, practice: Option<i64>, title: &str) -> i64 {
        let practice = practice.map_or("NULL".to_owned(), |p| p.to_string());
        let insert = format!(
            "INSERT INTO documents (organization_id, practice_id, title, document_type, criteria, effective_on, \
             file_name, media_type, size_bytes, sha256, catalog_id, catalog_version, recorded_at) VALUES \
             ({organization}, {practice}, '{title}', 'training_material', '[\"4.1\"]', '2026-01-05', 'slides.pdf', \
             'application/pdf', 10, '{}', 'pcmh-n-domain-4', '1.0.0', '2026-01-05 10:00:00')",
            "ab".repeat(32)
        );
        let select = format!("SELECT id FROM documents WHERE title = '{title}'");
        let rows: Vec<IdRow> = match self {
            DirectDb::Sqlite(c) => {
                c.batch_execute(&insert).expect("a document row");
                diesel::sql_query(select).load(c).expect("its id")
            }
            DirectDb::Postgres(c) => {
                c.batch_execute(&insert).expect("a document row");
                diesel::sql_query(select).load(c).expect("its id")
            }
        };
        rows[0].id
    }
}

fn linked_documents_belong_to_the_practice_or_its_po(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let sibling = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .unwrap();
    let (other_po, other_po_practice) = organization_with_practice(&server, "Hillside");
    let mut db = database(&server);
    let po_level = db.document(po, None, "PO training slides");
    let own = db.document(po, Some(practice), "Maple training log");
    let siblings = db.document(po, Some(sibling), "Riverside training log");
    let other_pos = db.document(other_po, None, "Hillside slides");
    let other_pos_practice = db.document(other_po, Some(other_po_practice), "Hillside log");
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let with = |document: i64| {
        server.post(
            &trainings(practice),
            &json!({"staff_id": ana, "topic": "pcmh_n_model", "completed_on": "2026-03-02", "hours": 1, "document_id": document}),
        )
    };
    for document in [po_level, own] {
        let linked = with(document);
        assert_eq!(linked.status, 201, "{}", linked.text());
        assert_eq!(linked.json()["document_id"], document);
    }
    for document in [siblings, other_pos, other_pos_practice] {
        let refused = with(document);
        assert_eq!(refused.status, 422, "document {document}: {}", refused.text());
        assert_eq!(refused.error_fields(), [pair("document_id", "same_organization")]);
    }
    assert_eq!(total(&server, practice), 2);
}

fn unknown_and_foreign_ids_are_not_found(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let (_, other) = organization_with_practice(&server, "Hillside");
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let training = server.create(
        &trainings(practice),
        &json!({"staff_id": ana, "topic": "pcmh_n_model", "completed_on": "2026-03-02", "hours": 1}),
    )["id"]
        .as_i64()
        .unwrap();
    for path in [
        format!("{}/{training}", trainings(other)),
        format!("{}/999", trainings(practice)),
        format!("{}/abc", trainings(practice)),
        "/api/v1/practices/999/trainings".to_owned(),
        format!("/api/v1/practices/999/trainings/{training}"),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "{path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found", "{path}");
    }
    let posted = server.post(
        &trainings(999),
        &json!({"staff_id": ana, "topic": "pcmh_n_model", "completed_on": "2026-03-02", "hours": 1}),
    );
    assert_eq!(posted.status, 404, "{}", posted.text());
    let imported = server.request(
        "POST",
        &import(999),
        Some(CSV),
        format!("staff_id,topic,completed_on,hours\n{ana},pcmh_n_model,2026-03-02,1\n").as_bytes(),
    );
    assert_eq!(imported.status, 404, "{}", imported.text());
    // Ana is not the other practice's staff: recording her there is refused.
    let foreign = server.post(
        &trainings(other),
        &json!({"staff_id": ana, "topic": "pcmh_n_model", "completed_on": "2026-03-02", "hours": 1}),
    );
    assert_eq!(foreign.status, 422);
    assert_eq!(foreign.error_fields(), [pair("staff_id", "same_practice")]);
    assert_eq!(total(&server, other), 0);
}

fn a_good_csv_import_writes_every_row(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let ben = staff(&server, practice, "Ben Okafor", "nurse", "2020-01-01");
    // A spreadsheet's export: byte-order mark, CRLF, columns in another order, quoted fields
    // with commas and quotes, the optional trainer left empty, a blank line, no final line break.
    let file = format!(
        "\u{feff}topic,staff_id,hours,completed_on,trainer\r\n\
         chronic_care_model,{ana},1.5,2026-03-02,\"Lee, RN\"\r\n\
         pcmh_n_model, {ben} ,2,2026-03-03,\"Dr. \"\"Sam\"\" Ortiz\"\r\n\
         \r\n\
         practice_transformation,{ben},0.5,2026-03-04,"
    );
    let response = server.request(
        "POST",
        &import(practice),
        Some("text/csv; charset=utf-8"),
        file.as_bytes(),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let body = response.json();
    assert_eq!(body["imported"], 3);
    let records = body["records"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["trainer"], "Lee, RN");
    assert_eq!(records[0]["staff_id"], ana);
    assert_eq!(records[1]["trainer"], "Dr. \"Sam\" Ortiz");
    assert_eq!(records[1]["staff_id"], ben);
    assert_eq!(records[2]["trainer"], Value::Null);
    assert_eq!(records[2]["hours"], 0.5);

    let list = server.get(&trainings(practice)).json();
    assert_eq!(list["total"], 3);
    assert_eq!(
        topics_of(&list),
        ["chronic_care_model", "pcmh_n_model", "practice_transformation"]
    );
    for record in records {
        let got = server.get(&format!("{}/{}", trainings(practice), record["id"]));
        assert_eq!(&got.json(), record);
    }

    // Without the trainer column, and many rows (more than one INSERT's worth).
    let mut file = String::from("staff_id,topic,completed_on,hours\n");
    for n in 0..1_201 {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(n % 700);
        file.push_str(&format!("{ana},practice_transformation,{day},1\n"));
    }
    let response = server.request("POST", &import(practice), Some(CSV), file.as_bytes());
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["imported"], 1_201);
    let ids: Vec<i64> = response.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "the records come back in the file's order"
    );
    assert_eq!(total(&server, practice), 1_204);
    let topic = server
        .get(&format!(
            "{}?topic=practice_transformation&limit=1",
            trainings(practice)
        ))
        .json();
    assert_eq!(topic["total"], 1_202);
}

fn one_bad_row_refuses_the_whole_import(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let sibling = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .unwrap();
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let ben = staff(&server, practice, "Ben Okafor", "nurse", "2025-06-01");
    let cy = staff(&server, sibling, "Cy Park", "nurse", "2020-01-01");

    // One bad row among good ones: line 4 names a topic outside the catalog.
    let file = format!(
        "staff_id,topic,completed_on,hours,trainer\n\
         {ana},chronic_care_model,2026-03-02,1.5,Lee\n\
         {ben},pcmh_n_model,2026-03-03,2,Lee\n\
         {ana},basket_weaving,2026-03-04,1,Lee\n\
         {ben},practice_transformation,2026-03-05,1,Lee\n"
    );
    let response = server.request("POST", &import(practice), Some(CSV), file.as_bytes());
    assert_eq!(response.status, 422, "{}", response.text());
    let report = response.json();
    assert_eq!(report["error"]["code"], "rows_refused");
    assert_eq!(
        report["error"]["message"],
        "the row on line 4 is refused; nothing was imported"
    );
    assert_eq!(report["rows"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["rows"][0]["line"], 4);
    assert_eq!(report["rows"][0]["field"], "topic");
    assert_eq!(report["rows"][0]["rule"], "vocabulary");
    assert!(report["rows"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("`basket_weaving` is not a training topic of pcmh-n-domain-4 1.0.0"));
    assert_eq!(total(&server, practice), 0, "nothing was written");

    // Every kind of refusal is reported, each with its line; a quoted line break moves the lines on.
    let file = format!(
        "staff_id,topic,completed_on,hours,trainer\n\
         {ana},chronic_care_model,2026-03-02,1.5,\"Lee\nand Ortiz\"\n\
         {cy},pcmh_n_model,2026-03-03,2,\n\
         {ben},pcmh_n_model,2025-05-31,2,\n\
         {ana},pcmh_n_model,1850-01-01,0,\n\
         abc,Bad Topic,2026-02-30,two,\n\
         ,,,,\n\
         {ana},pcmh_n_model,2026-03-03\n\
         {ana},pcmh_n_model,2026-03-03,41,\"   \"\n\
         {ana},pcmh_n_model,2026-03-03,NaN,{}\n\
         {ben},practice_transformation,2026-03-05,1,Lee\n",
        "x".repeat(201)
    );
    let response = server.request("POST", &import(practice), Some(CSV), file.as_bytes());
    assert_eq!(response.status, 422, "{}", response.text());
    let report = response.json();
    let rows: Vec<(i64, String, String)> = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{r}");
            (
                r["line"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
                r["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let row = |line: i64, field: &str, rule: &str| (line, field.to_owned(), rule.to_owned());
    assert_eq!(
        rows,
        [
            row(4, "staff_id", "same_practice"),
            row(5, "completed_on", "after_start"),
            row(6, "completed_on", "date_range"),
            row(6, "hours", "range"),
            row(7, "staff_id", "type"),
            row(7, "topic", "format"),
            row(7, "completed_on", "format"),
            row(7, "hours", "type"),
            row(8, "staff_id", "required"),
            row(8, "topic", "required"),
            row(8, "completed_on", "required"),
            row(8, "hours", "required"),
            row(9, "row", "field_count"),
            row(10, "hours", "range"),
            row(11, "hours", "range"),
            row(11, "trainer", "length"),
        ],
        "{report}"
    );
    assert_eq!(report["error"]["message"], "8 rows are refused; nothing was imported");
    assert_eq!(total(&server, practice), 0, "nothing was written");
    assert_eq!(total(&server, sibling), 0);
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

/// What a file is, its text, and the (field, rule) pairs the 422 names.
type HeaderCase<'a> = (&'a str, String, Vec<(String, String)>);

fn bad_csv_files_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let ana = staff(&server, practice, "Ana Lopez", "physician", "2019-03-04");
    let good = format!("staff_id,topic,completed_on,hours\n{ana},pcmh_n_model,2026-03-02,1\n");
    let send = |content_type: Option<&str>, body: &[u8]| server.request("POST", &import(practice), content_type, body);

    // Not sent as CSV.
    for content_type in [
        None,
        Some("application/json"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("text/csv; charset=latin1"),
    ] {
        let response = send(content_type, good.as_bytes());
        assert_eq!(response.status, 400, "{content_type:?}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "unsupported_content_type");
    }
    let json_body = send(Some("application/json"), br#"{"staff_id": 1}"#);
    assert_eq!(json_body.status, 400);

    // Not UTF-8, or not well-formed CSV.
    let mut latin1 = good.clone().into_bytes();
    latin1.extend_from_slice(b"1,pcmh_n_model,2026-03-02,1\n1,caf\xe9,2026-03-02,1\n");
    for (what, body) in [
        ("latin-1", latin1),
        (
            "unclosed quote",
            format!("{good}{ana},\"pcmh_n_model,2026-03-02,1\n").into_bytes(),
        ),
        (
            "text after a closing quote",
            format!("{good}{ana},\"pcmh_n_model\"x,2026-03-02,1\n").into_bytes(),
        ),
        (
            "stray quote",
            format!("{good}{ana},pcmh\"n,2026-03-02,1\n").into_bytes(),
        ),
    ] {
        let response = send(Some(CSV), &body);
        assert_eq!(response.status, 400, "{what}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "malformed_csv", "{what}");
    }
    let unclosed = send(
        Some(CSV),
        format!("{good}{ana},\"pcmh_n_model,2026-03-02,1\n").as_bytes(),
    );
    assert!(
        unclosed.json()["error"]["message"].as_str().unwrap().contains("line 3"),
        "{}",
        unclosed.text()
    );

    // The header is required and names only known columns.
    let header_cases: Vec<HeaderCase> = vec![
        ("empty file", String::new(), vec![pair("header", "required")]),
        ("only a BOM", "\u{feff}".into(), vec![pair("header", "required")]),
        (
            "no header",
            format!("{ana},pcmh_n_model,2026-03-02,1\n"),
            vec![
                pair(&ana.to_string(), "unknown_column"),
                pair("pcmh_n_model", "unknown_column"),
                pair("2026-03-02", "unknown_column"),
                pair("1", "unknown_column"),
                pair("staff_id", "required"),
                pair("topic", "required"),
                pair("completed_on", "required"),
                pair("hours", "required"),
            ],
        ),
        (
            "unknown column",
            format!("staff_id,topic,completed_on,hours,trainer,room\n{ana},pcmh_n_model,2026-03-02,1,Lee,B\n"),
            vec![pair("room", "unknown_column")],
        ),
        (
            "document_id is not a column of the import",
            format!("staff_id,topic,completed_on,hours,document_id\n{ana},pcmh_n_model,2026-03-02,1,3\n"),
            vec![pair("document_id", "unknown_column")],
        ),
        (
            "missing column",
            format!("staff_id,topic,hours\n{ana},pcmh_n_model,1\n"),
            vec![pair("completed_on", "required")],
        ),
        (
            "duplicate column",
            format!("staff_id,topic,completed_on,hours,hours\n{ana},pcmh_n_model,2026-03-02,1,1\n"),
            vec![pair("hours", "duplicate_column")],
        ),
        (
            "header only",
            "staff_id,topic,completed_on,hours,trainer\r\n".into(),
            vec![pair("body", "not_empty")],
        ),
    ];
    for (what, body, fields) in header_cases {
        let response = send(Some(CSV), body.as_bytes());
        assert_eq!(response.status, 422, "{what}: {}", response.text());
        assert_eq!(response.error_fields(), fields, "{what}");
        assert_eq!(response.json()["rows"], json!([]), "{what}");
    }

    // Larger than 2 MiB.
    let mut big = good.clone();
    while big.len() <= 2 * 1024 * 1024 {
        big.push_str(&format!("{ana},pcmh_n_model,2026-03-02,1,\n"));
    }
    let response = send(Some(CSV), big.as_bytes());
    assert_eq!(response.status, 413, "{}", response.text());

    assert_eq!(total(&server, practice), 0, "none of the refused files wrote anything");
    // The same good file is accepted.
    assert_eq!(send(Some("TEXT/CSV"), good.as_bytes()).status, 201);
    assert_eq!(total(&server, practice), 1);
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

fn training_requirement(server: &Server, practice: i64) -> Value {
    let compliance = server.get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"));
    assert_eq!(compliance.status, 200, "{}", compliance.text());
    let body = compliance.json();
    let criterion = body["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == "4.1")
        .expect("criterion 4.1")
        .clone();
    assert_eq!(criterion["requirements"][0]["kind"], "training");
    criterion["requirements"][0].clone()
}

fn compliance_counts_the_trainings(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let ana = staff(&server, practice, "Ana Lopez", "office_leader", "2019-03-04");
    let ben = staff(&server, practice, "Ben Okafor", "nurse", "2020-01-01");
    let gone = staff(&server, practice, "Dee Quinn", "front_office", "2018-01-01");
    server.patch(
        &format!("/api/v1/practices/{practice}/staff/{gone}"),
        &json!({"ended_on": "2025-12-31"}),
    );
    let before = training_requirement(&server, practice);
    assert_eq!(before["status"], "not_met", "{before}");

    // Ana's three trainings as JSON; Ben's first two by CSV.
    for topic in ["pcmh_n_model", "chronic_care_model", "practice_transformation"] {
        server.create(
            &trainings(practice),
            &json!({"staff_id": ana, "topic": topic, "completed_on": "2026-02-10", "hours": 2}),
        );
    }
    let file = format!(
        "staff_id,topic,completed_on,hours\n{ben},pcmh_n_model,2026-03-02,1\n{ben},chronic_care_model,2026-03-02,1\n"
    );
    assert_eq!(
        server
            .request("POST", &import(practice), Some(CSV), file.as_bytes())
            .status,
        201
    );
    let partly = training_requirement(&server, practice);
    assert_eq!(partly["status"], "partially_met", "{partly}");
    assert!(
        partly["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("1 of 2 active staff have all 3 required trainings"),
        "{partly}"
    );

    // A training older than 12 months does not count; a current one does.
    server.create(
        &trainings(practice),
        &json!({"staff_id": ben, "topic": "practice_transformation", "completed_on": "2025-06-01", "hours": 1}),
    );
    assert_eq!(training_requirement(&server, practice)["status"], "partially_met");
    server.create(
        &trainings(practice),
        &json!({"staff_id": ben, "topic": "practice_transformation", "completed_on": "2026-03-02", "hours": 1}),
    );
    let met = training_requirement(&server, practice);
    assert_eq!(met["status"], "met", "{met}");
    assert!(
        met["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("2 of 2 active staff have all 3 required trainings"),
        "{met}"
    );
    let supporting = met["records"].as_array().unwrap();
    assert_eq!(supporting.len(), 6, "{met}");
    assert!(supporting.iter().all(|r| r["kind"] == "training"));
}
