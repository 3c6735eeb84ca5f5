//! Auditor packets end to end, on SQLite and PostgreSQL: export, `pcmh packet verify`, tampering,
//! determinism, who may export, the signing key, and bad periods.

mod common;

use std::io::{Cursor, Read, Write};
use std::path::Path;
use std::process::Command;

use common::{organization_with_practice, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    a_packet_verifies_and_tampering_is_named => a_packet_verifies_and_tampering_is_named;
    a_packet_exported_twice_is_identical => a_packet_exported_twice_is_identical;
    auditors_export_and_other_practices_do_not => auditors_export_and_other_practices_do_not;
    the_signing_key_is_the_packets => the_signing_key_is_the_packets;
    bad_periods_are_refused => bad_periods_are_refused;
    every_instant_in_a_packet_has_its_offset => every_instant_in_a_packet_has_its_offset;
    a_tampered_standard_export_is_named => a_tampered_standard_export_is_named;
}

const PDF: &[u8] = b"%PDF-1.7\r\nworkflow evidence\r\n%%EOF";

fn packets(practice: i64) -> String {
    format!("/api/v1/practices/{practice}/packets")
}

/// A practice with staff, a training, a meeting, a care plan shared with a partner, an attestation and a document.
fn practice_with_records(server: &Server) -> (i64, i64) {
    let (po, practice) = organization_with_practice(server, "North Clinic");
    let base = format!("/api/v1/practices/{practice}");
    let ana = server.create(
        &format!("{base}/staff"),
        &json!({"name": "Ana Lopez", "role": "physician", "started_on": "2019-03-04"}),
    )["id"]
        .clone();
    let ben = server.create(
        &format!("{base}/staff"),
        &json!({"name": "Ben Ortiz", "role": "care_manager", "started_on": "2020-01-06"}),
    )["id"]
        .clone();
    server.create(
        &format!("{base}/trainings"),
        &json!({"staff_id": ana, "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1.5, "trainer": "Dr. Lee, \"PCMH\" coach"}),
    );
    server.create(
        &format!("{base}/meetings"),
        &json!({
            "held_on": "2026-03-12",
            "kind": "case_conference",
            "attendees": [{"role": "physician", "staff_id": ana}, {"role": "care_manager", "staff_id": ben}],
            "patients_reviewed": 6,
            "documented_in_chart": true
        }),
    );
    let plan = server.create(
        &format!("{base}/care-plans"),
        &json!({
            "kind": "advance_care_plan",
            "patient_ref": "PT-00042",
            "initiating_provider": ana,
            "discussed_on": "2026-03-01",
            "established_on": "2026-03-01",
            "documented_in_record": true,
            "care_partners": ["Cardiology, St. Mary's"]
        }),
    );
    let share = server.post(
        &format!("{base}/care-plans/{}/shares", plan["id"]),
        &json!({"partner_id": plan["care_partners"][0]["id"], "shared_on": "2026-03-03", "method": "in_person"}),
    );
    assert_eq!(share.status, 201, "{}", share.text());
    server.create(
        &format!("{base}/attestations"),
        &json!({
            "criterion": "4.21",
            "status": "in_place",
            "effective_on": "2026-03-01",
            "signer": "Dana Reyes",
            "signer_role": "Office manager",
            "statement": "Reviewed with the care team."
        }),
    );
    let boundary = "pcmh-packet-test-boundary";
    let mut body = Vec::new();
    let metadata = json!({"title": "Care management workflow", "document_type": "care_management_workflow", "criteria": ["4.2"], "effective_on": "2026-03-05"});
    write!(
        body,
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n{metadata}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"workflow.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .unwrap();
    body.extend_from_slice(PDF);
    write!(body, "\r\n--{boundary}--\r\n").unwrap();
    let uploaded = server.request(
        "POST",
        &format!("{base}/documents"),
        Some(&format!("multipart/form-data; boundary={boundary}")),
        &body,
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    (po, practice)
}

fn export(server: &Server, practice: i64) -> Vec<u8> {
    let response = server.post(&packets(practice), &json!({"from": "2026-01-01", "to": "2026-06-30"}));
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/zip"));
    response.body
}

fn verify(packet: &Path, extra: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(["packet", "verify"])
        .arg(packet)
        .args(extra)
        .output()
        .expect("pcmh runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.code() == Some(0) || output.status.code() == Some(1),
        "{text}"
    );
    (output.status.success(), text)
}

fn entries(packet: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(packet)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().expect("a UTF-8 name").into_owned(), bytes)
        })
        .collect()
}

fn entry(packet: &[u8], name: &str) -> Vec<u8> {
    entries(packet)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} in the packet"))
        .1
}

/// The same entries, stored, with `name`'s content replaced.
fn rewrite(packet: &[u8], name: &str, content: &[u8]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (n, bytes) in entries(packet) {
        out.start_file(n.as_str(), options).unwrap();
        out.write_all(if n == name { content } else { &bytes }).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn a_packet_verifies_and_tampering_is_named(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice_with_records(&server);
    let packet = export(&server, practice);
    let names: Vec<String> = entries(&packet).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "report.html",
            "status.json",
            "attestations.json",
            "logs/trainings.csv",
            "logs/meetings.csv",
            "logs/care-plan-shares.csv",
            "logs/documents.csv",
            "audit-events.json",
            "fhir/care-plans.json",
            "oscal/assessment-results.json",
            "evidence/1-workflow.pdf",
            "manifest.json",
            "manifest.sig",
            "public-key.txt"
        ]
    );
    assert_eq!(entry(&packet, "evidence/1-workflow.pdf"), PDF);
    let manifest: Value = serde_json::from_slice(&entry(&packet, "manifest.json")).unwrap();
    assert_eq!(manifest["period"], json!({"from": "2026-01-01", "to": "2026-06-30"}));
    assert_eq!(manifest["practice"]["id"], practice);
    assert_eq!(manifest["files"].as_array().unwrap().len(), 11);
    let status: Value = serde_json::from_slice(&entry(&packet, "status.json")).unwrap();
    assert_eq!(status["as_of"], "2026-06-30");
    let compliance = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-06-30"))
        .json();
    // The packet carries the practice's own view as of the period's end: the same document the
    // compliance endpoint answers, attestations and flags included.
    assert_eq!(
        status, compliance,
        "status.json is the practice's compliance view as of `to`"
    );
    assert!(status["summary"]["disagreements"].is_u64());
    assert!(status["criteria"][0]["agreement"]["status"].is_string());
    let shares = String::from_utf8(entry(&packet, "logs/care-plan-shares.csv")).unwrap();
    assert!(shares.contains("\"Cardiology, St. Mary's\""), "{shares}");
    for log in [
        "logs/trainings.csv",
        "logs/meetings.csv",
        "logs/care-plan-shares.csv",
        "logs/documents.csv",
    ] {
        assert!(
            !String::from_utf8(entry(&packet, log)).unwrap().contains("PT-00042"),
            "{log}"
        );
    }
    let report = String::from_utf8(entry(&packet, "report.html")).unwrap();
    assert!(report.contains("North Clinic") && report.contains("4.21") && !report.contains("<script"));
    let audit: Value = serde_json::from_slice(&entry(&packet, "audit-events.json")).unwrap();
    assert!(audit.as_array().unwrap().iter().all(|e| e["practice_id"] == practice));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packet.zip");
    std::fs::write(&path, &packet).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(ok, "{text}");
    assert!(text.starts_with("packet verified: 11 files, signed by "), "{text}");
    assert!(text.contains("own key"), "{text}");

    // One byte of a log changed: named.
    let mut trainings = entry(&packet, "logs/trainings.csv");
    trainings[0] ^= 1;
    std::fs::write(&path, rewrite(&packet, "logs/trainings.csv", &trainings)).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(!ok);
    assert!(text.contains("logs/trainings.csv"), "{text}");
    // A byte flipped inside the stored evidence: named.
    let mut flipped = packet.clone();
    let at = flipped.windows(PDF.len()).position(|w| w == PDF).unwrap() + 12;
    flipped[at] ^= 0x20;
    std::fs::write(&path, &flipped).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(!ok);
    assert!(text.contains("evidence/1-workflow.pdf"), "{text}");
    // The manifest altered: the signature no longer matches.
    let manifest_bytes = entry(&packet, "manifest.json");
    let altered = String::from_utf8(manifest_bytes)
        .unwrap()
        .replace("North Clinic", "South Clinic");
    std::fs::write(&path, rewrite(&packet, "manifest.json", altered.as_bytes())).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(!ok);
    assert!(text.contains("manifest.sig"), "{text}");
    // A file added that the manifest does not list.
    let mut extra = zip::ZipWriter::new_append(Cursor::new(packet.clone())).unwrap();
    extra
        .start_file("extra.txt", zip::write::SimpleFileOptions::default())
        .unwrap();
    extra.write_all(b"smuggled").unwrap();
    std::fs::write(&path, extra.finish().unwrap().into_inner()).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(!ok);
    assert!(text.contains("extra.txt"), "{text}");
}

fn a_packet_exported_twice_is_identical(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice_with_records(&server);
    let first = export(&server, practice);
    let second = export(&server, practice);
    assert!(first == second, "the same records and period give the same bytes");
    let events = server.get(&format!("/api/v1/audit-events?practice_id={practice}&limit=500"));
    if events.status == 200 {
        let body = events.json();
        let exports: Vec<&Value> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "export" && e["record_kind"] == "packet")
            .collect();
        assert_eq!(exports.len(), 2);
        // The trail keeps which packet it was (the hash the signature covers), not its file list.
        let manifest = entry(&first, "manifest.json");
        let after = &exports[0]["after"];
        assert_eq!(
            after["manifest_sha256"],
            pcmh_core::hash::sha256_hex(&manifest),
            "{after}"
        );
        assert_eq!(after["practice_id"], practice);
        assert!(after.get("files").is_some_and(Value::is_u64), "{after}");
    }
}

fn auditors_export_and_other_practices_do_not(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = practice_with_records(&server);
    let other = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "South Clinic"}),
    )["id"]
        .as_i64()
        .unwrap();
    let body = serde_json::to_vec(&json!({"from": "2026-01-01", "to": "2026-06-30"})).unwrap();
    let auditor = server.token(&["--role", "auditor", "--practice", &practice.to_string()]);
    let response = server.request_as(
        Some(&auditor),
        "POST",
        &packets(practice),
        Some("application/json"),
        &body,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    let po_auditor = server.token(&["--role", "auditor", "--organization", &po.to_string()]);
    let response = server.request_as(
        Some(&po_auditor),
        "POST",
        &packets(practice),
        Some("application/json"),
        &body,
    );
    assert_eq!(response.status, 200, "{}", response.text());
    // The auditor still may not write.
    let write = server.request_as(
        Some(&auditor),
        "POST",
        &format!("/api/v1/practices/{practice}/staff"),
        Some("application/json"),
        &serde_json::to_vec(&json!({"name": "X", "role": "physician", "started_on": "2020-01-01"})).unwrap(),
    );
    assert_eq!(write.status, 403, "{}", write.text());
    let manager = server.token(&["--role", "practice_manager", "--practice", &other.to_string()]);
    let response = server.request_as(
        Some(&manager),
        "POST",
        &packets(practice),
        Some("application/json"),
        &body,
    );
    assert_eq!(response.status, 404, "{}", response.text());
    let response = server.request_as(None, "POST", &packets(practice), Some("application/json"), &body);
    assert_eq!(response.status, 401);
    assert_eq!(
        server
            .post(&packets(999_999), &json!({"from": "2026-01-01", "to": "2026-06-30"}))
            .status,
        404
    );
}

fn the_signing_key_is_the_packets(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Key Clinic");
    let packet = export(&server, practice);
    let auditor = server.token(&["--role", "auditor", "--practice", &practice.to_string()]);
    let response = server.request_as(Some(&auditor), "GET", "/api/v1/signing-key", None, b"");
    assert_eq!(response.status, 200, "{}", response.text());
    let key = response.json()["public_key"].as_str().unwrap().to_owned();
    assert_eq!(String::from_utf8(entry(&packet, "public-key.txt")).unwrap().trim(), key);
    assert_eq!(
        server.request_as(None, "GET", "/api/v1/signing-key", None, b"").status,
        401
    );
    let stored = std::fs::read_to_string(server.data_dir.path().join("signing-key")).unwrap();
    assert_eq!(stored.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(server.data_dir.path().join("signing-key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packet.zip");
    std::fs::write(&path, &packet).unwrap();
    let key_file = dir.path().join("key.txt");
    std::fs::write(&key_file, &key).unwrap();
    let (ok, text) = verify(&path, &["--public-key", key_file.to_str().unwrap()]);
    assert!(ok, "{text}");
    assert!(text.contains(&key[..16]) && text.contains("public key given"), "{text}");
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "11".repeat(32)).unwrap();
    let (ok, text) = verify(&path, &["--public-key", other.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains("manifest.sig") || text.contains("public key"), "{text}");
}

fn bad_periods_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Period Clinic");
    for (body, field) in [
        (json!({"from": "2026-06-30", "to": "2026-01-01"}), "to"),
        (json!({"from": "1850-01-01", "to": "2026-01-01"}), "from"),
        (json!({"from": "2026-01-01", "to": "2999-01-01"}), "to"),
    ] {
        let response = server.post(&packets(practice), &body);
        assert_eq!(response.status, 422, "{body}: {}", response.text());
        assert!(
            response.error_fields().iter().any(|(f, _)| f == field),
            "{body}: {}",
            response.text()
        );
    }
    for body in [
        json!({"from": "2026-01-01"}),
        json!({"from": "2026-01-01", "to": "2026-02-30"}),
        json!({"from": 20260101, "to": "2026-06-30"}),
        json!({"from": "2026-01-01", "to": "2026-06-30", "format": "pdf"}),
    ] {
        let response = server.post(&packets(practice), &body);
        assert!(
            response.status == 422 || response.status == 400,
            "{body}: {}",
            response.text()
        );
    }
    let response = server.request("POST", &packets(practice), Some("application/json"), b"not json");
    assert_eq!(response.status, 400);
}

/// Whether `text` reads as a date with a time of day (an instant), with or without an offset.
fn looks_like_an_instant(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
}

/// Every string in `value` that is an instant, with where it is.
fn instants_in(value: &Value, at: String, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) if looks_like_an_instant(text) => found.push((at, text.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                instants_in(item, format!("{at}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                instants_in(item, format!("{at}.{key}"), found);
            }
        }
        _ => {}
    }
}

/// A packet whose period reaches today holds the audit events of its records: every instant its
/// JSON and CSV files write is RFC 3339 in UTC with `Z`, and the manifest says `pcmh-packet/2`.
fn every_instant_in_a_packet_has_its_offset(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice_with_records(&server);
    let to = chrono::Utc::now().date_naive() + chrono::Days::new(1);
    let response = server.post(&packets(practice), &json!({"from": "2026-01-01", "to": to}));
    assert_eq!(response.status, 200, "{}", response.text());
    let packet = response.body;
    let manifest: Value = serde_json::from_slice(&entry(&packet, "manifest.json")).unwrap();
    assert_eq!(manifest["format"], "pcmh-packet/2");

    let events: Value = serde_json::from_slice(&entry(&packet, "audit-events.json")).unwrap();
    let events = events.as_array().expect("a list of events");
    assert!(events.len() >= 6, "the records' events are in the period: {events:#?}");
    let attestations: Value = serde_json::from_slice(&entry(&packet, "attestations.json")).unwrap();
    assert_eq!(attestations.as_array().map(Vec::len), Some(1));

    let mut found = Vec::new();
    for (name, bytes) in entries(&packet) {
        if name.ends_with(".json") && name != "manifest.json" {
            let value: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            instants_in(&value, name.clone(), &mut found);
        } else if name.ends_with(".csv") {
            let text = String::from_utf8(bytes).expect("CSV is UTF-8");
            for (line, row) in text.lines().enumerate() {
                for field in row.split(',') {
                    let field = field.trim_matches('"');
                    if looks_like_an_instant(field) {
                        found.push((format!("{name}:{}", line + 1), field.to_owned()));
                    }
                }
            }
        }
    }
    for (at, text) in &found {
        // The standards' exports write the practice's own time of day with its offset.
        let local = at.starts_with("fhir/") || at.starts_with("oscal/");
        assert!(
            (local || text.ends_with('Z')) && chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "{at}: {text} is not RFC 3339 in UTC with Z"
        );
    }
    let places: Vec<&str> = found.iter().map(|(at, _)| at.as_str()).collect();
    for expected in ["audit-events.json[0].occurred_at", "attestations.json[0].recorded_at"] {
        assert!(places.contains(&expected), "{expected} in {places:?}");
    }
    assert_eq!(
        found.iter().filter(|(at, _)| at.ends_with("].occurred_at")).count(),
        events.len(),
        "every event's occurred_at"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packet.zip");
    std::fs::write(&path, &packet).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(ok, "{text}");
}

/// The OSCAL assessment results and the FHIR bundle inside a packet are hashed and signed like
/// every other file: one of them rewritten (still a well-formed document of its standard, the
/// finding's verdict or the share's day changed) fails `pcmh packet verify`, which names it.
fn a_tampered_standard_export_is_named(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = practice_with_records(&server);
    let packet = export(&server, practice);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("packet.zip");
    std::fs::write(&path, &packet).unwrap();
    let (ok, text) = verify(&path, &[]);
    assert!(ok, "{text}");

    let mut results: Value = serde_json::from_slice(&entry(&packet, "oscal/assessment-results.json")).unwrap();
    let state = &mut results["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"];
    assert!(state.is_string(), "a finding's state: {state}");
    *state = json!(if state == "satisfied" {
        "not-satisfied"
    } else {
        "satisfied"
    });
    let mut bundle: Value = serde_json::from_slice(&entry(&packet, "fhir/care-plans.json")).unwrap();
    let communication = bundle["entry"]
        .as_array_mut()
        .expect("the bundle's entries")
        .iter_mut()
        .find(|e| e["resource"]["resourceType"] == "Communication")
        .expect("the share is a Communication");
    assert!(communication["resource"]["sent"].is_string(), "{communication}");
    communication["resource"]["sent"] = json!("2026-03-04T09:00:00-05:00");

    for (name, tampered) in [
        ("oscal/assessment-results.json", results),
        ("fhir/care-plans.json", bundle),
    ] {
        let bytes = serde_json::to_vec(&tampered).unwrap();
        assert_ne!(bytes, entry(&packet, name), "{name} is changed");
        std::fs::write(&path, rewrite(&packet, name, &bytes)).unwrap();
        let (ok, text) = verify(&path, &[]);
        assert!(!ok, "{name} tampered, yet: {text}");
        assert!(text.contains(name), "{name}: {text}");
    }
}
