//! Evidence documents over real HTTP, on SQLite and PostgreSQL: multipart uploads built by
//! hand, byte-for-byte downloads, content-addressed files on disk, the 50 MiB limit, the bad
//! input each endpoint refuses (and that a refusal writes nothing), and compliance.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;

use common::{organization_with_practice, Backend, Response, Server};
use pcmh_core::hash::sha256_hex;
use serde_json::{json, Value};

both_backends! {
    an_upload_is_downloaded_byte_for_byte => an_upload_is_downloaded_byte_for_byte;
    the_same_file_is_stored_once => the_same_file_is_stored_once;
    the_size_limit_is_50_mib => the_size_limit_is_50_mib;
    bad_uploads_are_refused_and_write_nothing => bad_uploads_are_refused_and_write_nothing;
    bodies_that_are_not_multipart_are_bad_requests => bodies_that_are_not_multipart_are_bad_requests;
    lists_filter_by_date_type_and_criterion_and_page => lists_filter_by_date_type_and_criterion_and_page;
    bad_list_queries_are_refused => bad_list_queries_are_refused;
    unknown_and_foreign_ids_are_not_found => unknown_and_foreign_ids_are_not_found;
    po_level_documents_use_the_newest_catalog_of_the_po => po_level_documents_use_the_newest_catalog_of_the_po;
    compliance_counts_practice_and_po_documents => compliance_counts_practice_and_po_documents;
}

/// A `multipart/form-data` body, built by hand.
struct Form {
    boundary: String,
    body: Vec<u8>,
}

impl Form {
    fn new() -> Self {
        Form {
            boundary: "pcmh-test-boundary-9f3c2a7e51d04b8c".into(),
            body: Vec::new(),
        }
    }

    /// A part with `headers` (after Content-Disposition) and `bytes`.
    fn part(mut self, disposition: &str, headers: &str, bytes: &[u8]) -> Self {
        self.body.extend_from_slice(
            format!(
                "--{}\r\nContent-Disposition: form-data; {disposition}\r\n{headers}\r\n",
                self.boundary
            )
            .as_bytes(),
        );
        self.body.extend_from_slice(bytes);
        self.body.extend_from_slice(b"\r\n");
        self
    }

    /// The `file` part.
    fn file(self, file_name: &str, media_type: &str, bytes: &[u8]) -> Self {
        self.part(
            &format!("name=\"file\"; filename=\"{file_name}\""),
            &format!("Content-Type: {media_type}\r\n"),
            bytes,
        )
    }

    /// The `metadata` part, JSON.
    fn metadata(self, metadata: &Value) -> Self {
        self.raw_metadata(metadata.to_string().as_bytes())
    }

    /// A `metadata` part with any bytes.
    fn raw_metadata(self, bytes: &[u8]) -> Self {
        self.part("name=\"metadata\"", "Content-Type: application/json\r\n", bytes)
    }

    fn content_type(&self) -> String {
        format!("multipart/form-data; boundary={}", self.boundary)
    }

    fn finish(mut self) -> (String, Vec<u8>) {
        self.body
            .extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (self.content_type(), self.body)
    }

    fn send(self, server: &Server, path: &str) -> Response {
        let (content_type, body) = self.finish();
        server.request("POST", path, Some(&content_type), &body)
    }
}

fn practice_documents(practice: i64) -> String {
    format!("/api/v1/practices/{practice}/documents")
}

fn metadata(title: &str, document_type: &str, criteria: &[&str], effective_on: &str) -> Value {
    json!({"title": title, "document_type": document_type, "criteria": criteria, "effective_on": effective_on})
}

/// Uploads `bytes` with `metadata` to `path` and expects 201.
fn upload(server: &Server, path: &str, metadata: &Value, file_name: &str, bytes: &[u8]) -> Value {
    let response = Form::new()
        .metadata(metadata)
        .file(file_name, "application/pdf", bytes)
        .send(server, path);
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// Bytes that look like a PDF and carry every byte value, CR LF and dashes (what trips parsers).
fn pdf_bytes(seed: u8, len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\r\n--\r\n".to_vec();
    bytes.extend((0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    bytes.extend_from_slice(b"\r\n--\r\n%%EOF");
    bytes
}

fn evidence_dir(server: &Server) -> PathBuf {
    server.data_dir.path().join("evidence")
}

/// The content-addressed files under the server's evidence folder (not the uploads in progress).
fn stored_files(server: &Server) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(dirs) = std::fs::read_dir(evidence_dir(server)) else {
        return files;
    };
    for dir in dirs {
        let dir = dir.unwrap().path();
        if dir.file_name().is_some_and(|n| n == "tmp") {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    files
}

/// Uploads in progress left behind (there must be none once an answer is sent).
fn temp_files(server: &Server) -> usize {
    std::fs::read_dir(evidence_dir(server).join("tmp")).map_or(0, |d| d.count())
}

fn content_addressed_path(server: &Server, sha256: &str) -> PathBuf {
    evidence_dir(server).join(&sha256[..2]).join(sha256)
}

/// A GET with one extra header line; returns the status and the body (not chunked).
fn get_with_header(server: &Server, path: &str, header: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(&server.address).expect("the server accepts a connection");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nAuthorization: Bearer {}\r\n{header}\r\n\r\n",
        server.address, server.admin_token
    );
    stream.write_all(request.as_bytes()).expect("the request is sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("an answer");
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let status = String::from_utf8_lossy(&raw[..split])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, raw[split + 4..].to_vec())
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(f, r)| (f.to_string(), r.to_string())).collect()
}

fn an_upload_is_downloaded_byte_for_byte(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let bytes = pdf_bytes(7, 300_000);
    let sha256 = sha256_hex(&bytes);
    let created = upload(
        &server,
        &practice_documents(practice),
        &metadata(
            "PCMH-N training deck 2026",
            "training_material",
            &["4.1", "4.25"],
            "2026-03-02",
        ),
        "PCMH-N training.pdf",
        &bytes,
    );
    let id = created["id"].as_i64().expect("an id");
    assert_eq!(created["owner"], json!({"practice": practice}));
    assert_eq!(created["title"], "PCMH-N training deck 2026");
    assert_eq!(created["document_type"], "training_material");
    assert_eq!(created["criteria"], json!(["4.1", "4.25"]));
    assert_eq!(created["effective_on"], "2026-03-02");
    assert_eq!(created["file_name"], "PCMH-N training.pdf");
    assert_eq!(created["media_type"], "application/pdf");
    assert_eq!(created["size_bytes"], bytes.len());
    assert_eq!(created["sha256"], sha256.as_str());
    assert_eq!(created["catalog_id"], "pcmh-n-domain-4");
    assert_eq!(created["catalog_version"], "1.0.0");
    assert!(created["recorded_at"].is_string());

    // The file really is at its content-addressed path under the data folder.
    let on_disk = content_addressed_path(&server, &sha256);
    assert_eq!(std::fs::read(&on_disk).expect("the stored file"), bytes);
    assert_eq!(stored_files(&server), [on_disk]);
    assert_eq!(temp_files(&server), 0);

    let base = practice_documents(practice);
    let got = server.get(&format!("{base}/{id}"));
    assert_eq!(got.status, 200, "{}", got.text());
    assert_eq!(got.json(), created);

    let download = server.get(&format!("{base}/{id}/content"));
    assert_eq!(download.status, 200);
    assert_eq!(download.body, bytes, "the download has the uploaded bytes");
    assert_eq!(sha256_hex(&download.body), sha256);
    assert_eq!(download.header("content-type"), Some("application/pdf"));
    assert_eq!(
        download.header("content-disposition"),
        Some("attachment; filename=\"PCMH-N training.pdf\"")
    );
    assert_eq!(download.header("etag"), Some(format!("\"{sha256}\"").as_str()));
    assert_eq!(download.header("x-content-type-options"), Some("nosniff"));
    let length = bytes.len().to_string();
    assert_eq!(download.header("content-length"), Some(length.as_str()));

    // A client that has these bytes already is told so.
    let (status, body) = get_with_header(
        &server,
        &format!("{base}/{id}/content"),
        &format!("If-None-Match: W/\"0000\", \"{sha256}\""),
    );
    assert_eq!(status, 304);
    assert!(body.is_empty());
    let (status, body) = get_with_header(&server, &format!("{base}/{id}/content"), "If-None-Match: \"0000\"");
    assert_eq!((status, body.len()), (200, bytes.len()));

    let listed = server.get(&base).json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0], created);

    // A file with a name that could break the header, a non-ASCII name, no media type, empty.
    let odd = Form::new()
        .metadata(&metadata("Plan", "care_management_workflow", &[], "2026-01-05"))
        .part(
            "name=\"file\"; filename=\"C:\\\\binder\\\\Ablauf \\\"final\\\" Übersicht.txt\"",
            "",
            b"",
        )
        .send(&server, &base);
    assert_eq!(odd.status, 201, "{}", odd.text());
    let odd = odd.json();
    assert_eq!(odd["media_type"], "application/octet-stream");
    assert_eq!(odd["size_bytes"], 0);
    assert_eq!(odd["sha256"], sha256_hex(b"").as_str());
    let name = odd["file_name"].as_str().unwrap().to_owned();
    assert!(!name.contains('\\') && name.ends_with("Übersicht.txt"), "{name}");
    let download = server.get(&format!("{base}/{}/content", odd["id"]));
    assert_eq!(download.status, 200);
    assert!(download.body.is_empty());
    let disposition = download.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment; filename=\""), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
}

fn the_same_file_is_stored_once(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = practice_documents(practice);
    let bytes = pdf_bytes(3, 50_000);
    let first = upload(
        &server,
        &base,
        &metadata("Workflow", "care_management_workflow", &["4.2"], "2026-01-10"),
        "workflow.pdf",
        &bytes,
    );
    let path = content_addressed_path(&server, first["sha256"].as_str().unwrap());
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let second = upload(
        &server,
        &base,
        &metadata("Workflow (copy)", "care_management_workflow", &[], "2026-02-10"),
        "workflow copy.pdf",
        &bytes,
    );
    assert_ne!(first["id"], second["id"], "two documents");
    assert_eq!(first["sha256"], second["sha256"]);
    assert_eq!(stored_files(&server), std::slice::from_ref(&path), "one file");
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified,
        "the stored file is kept, not rewritten"
    );
    assert_eq!(temp_files(&server), 0);
    for doc in [&first, &second] {
        let download = server.get(&format!("{base}/{}/content", doc["id"]));
        assert_eq!(download.body, bytes);
    }
    assert_eq!(server.get(&base).json()["total"], 2);
}

fn the_size_limit_is_50_mib(backend: Backend) {
    const LIMIT: usize = 50 * 1024 * 1024;
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = practice_documents(practice);
    let meta = metadata("Recorded training", "training_material", &["4.1"], "2026-03-02");

    let mut bytes = pdf_bytes(11, LIMIT);
    bytes.truncate(LIMIT + 1);
    assert_eq!(bytes.len(), LIMIT + 1);
    let too_big = Form::new()
        .metadata(&meta)
        .file("big.pdf", "application/pdf", &bytes)
        .send(&server, &base);
    assert_eq!(too_big.status, 413, "{}", too_big.text());
    assert_eq!(too_big.json()["error"]["code"], "payload_too_large");
    // A body declared far larger than the limit is refused before it is read.
    let declared = Form::new()
        .metadata(&meta)
        .file("bigger.pdf", "application/pdf", &vec![b'x'; LIMIT + 2 * 1024 * 1024])
        .send(&server, &base);
    assert_eq!(declared.status, 413, "{}", declared.text());
    assert_eq!(server.get(&base).json()["total"], 0);
    assert!(stored_files(&server).is_empty());
    assert_eq!(temp_files(&server), 0);

    bytes.pop();
    let at_limit = upload(&server, &base, &meta, "at-limit.pdf", &bytes);
    assert_eq!(at_limit["size_bytes"], LIMIT);
    assert_eq!(at_limit["sha256"], sha256_hex(&bytes).as_str());
    let download = server.get(&format!("{base}/{}/content", at_limit["id"]));
    assert_eq!(download.status, 200);
    assert!(download.body == bytes, "50 MiB come back unchanged");
}

/// What is sent as the upload, and the (field, rule) pairs refused.
type BadUpload<'a> = (&'a str, Form, Vec<(String, String)>);

fn bad_uploads_are_refused_and_write_nothing(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = practice_documents(practice);
    let bytes = pdf_bytes(5, 10_000);
    let good = metadata("Deck", "training_material", &["4.1"], "2026-03-02");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut m = good.clone();
        change(&mut m);
        Form::new().metadata(&m).file("deck.pdf", "application/pdf", &bytes)
    };
    let many: Vec<String> = (1..=29).map(|i| format!("4.{i}")).collect();
    let cases: Vec<BadUpload> = vec![
        (
            "no metadata part",
            Form::new().file("deck.pdf", "application/pdf", &bytes),
            fields(&[("metadata", "required")]),
        ),
        (
            "no file part",
            Form::new().metadata(&good),
            fields(&[("file", "required")]),
        ),
        (
            "no part at all",
            Form::new(),
            fields(&[("file", "required"), ("metadata", "required")]),
        ),
        (
            "an unknown part",
            Form::new().metadata(&good).part("name=\"comment\"", "", b"hello"),
            fields(&[("comment", "unknown_field")]),
        ),
        (
            "two files",
            Form::new()
                .file("a.pdf", "application/pdf", &bytes)
                .file("b.pdf", "application/pdf", &bytes)
                .metadata(&good),
            fields(&[("file", "single")]),
        ),
        (
            "metadata that is not JSON",
            Form::new()
                .raw_metadata(b"title=Deck")
                .file("deck.pdf", "application/pdf", &bytes),
            fields(&[("metadata", "json")]),
        ),
        (
            "metadata that is not an object",
            Form::new()
                .raw_metadata(b"\"Deck\"")
                .file("deck.pdf", "application/pdf", &bytes),
            fields(&[("metadata", "type")]),
        ),
        (
            "blank title",
            with(&|m| m["title"] = json!("  ")),
            fields(&[("title", "not_blank")]),
        ),
        (
            "long title",
            with(&|m| m["title"] = json!("x".repeat(301))),
            fields(&[("title", "length")]),
        ),
        (
            "wrong type",
            with(&|m| m["title"] = json!(5)),
            fields(&[("title", "type")]),
        ),
        (
            "missing field",
            with(&|m| {
                m.as_object_mut().unwrap().remove("effective_on");
            }),
            fields(&[("effective_on", "required")]),
        ),
        (
            "unknown field",
            with(&|m| m["author"] = json!("Ana")),
            fields(&[("author", "unknown_field")]),
        ),
        (
            "unknown document type",
            with(&|m| m["document_type"] = json!("meeting_minutes")),
            fields(&[("document_type", "vocabulary")]),
        ),
        (
            "malformed document type",
            with(&|m| m["document_type"] = json!("Training Material")),
            fields(&[("document_type", "format")]),
        ),
        (
            "unknown criterion",
            with(&|m| m["criteria"] = json!(["4.1", "4.29"])),
            fields(&[("criteria[1]", "known_criterion")]),
        ),
        (
            "criterion as a number",
            with(&|m| m["criteria"] = json!([4.1])),
            fields(&[("criteria[0]", "format")]),
        ),
        (
            "criterion twice",
            with(&|m| m["criteria"] = json!(["4.2", "4.2"])),
            fields(&[("criteria[1]", "unique")]),
        ),
        (
            "29 criteria",
            with(&|m| m["criteria"] = json!(many)),
            fields(&[("criteria", "length")]),
        ),
        (
            "out-of-range date",
            with(&|m| m["effective_on"] = json!("1850-01-01")),
            fields(&[("effective_on", "date_range")]),
        ),
        (
            "impossible date",
            with(&|m| m["effective_on"] = json!("2026-02-30")),
            fields(&[("effective_on", "format")]),
        ),
    ];
    for (what, form, expected) in cases {
        let response = form.send(&server, &base);
        assert_eq!(response.status, 422, "{what}: {}", response.text());
        assert_eq!(response.error_fields(), expected, "{what}: {}", response.text());
    }
    // The metadata part may come after the file: still nothing is kept.
    let late = Form::new()
        .file("deck.pdf", "application/pdf", &bytes)
        .metadata(&metadata("Deck", "meeting_minutes", &[], "2026-03-02"))
        .send(&server, &base);
    assert_eq!(late.status, 422);
    assert_eq!(late.error_fields(), fields(&[("document_type", "vocabulary")]));

    let big_metadata = Form::new()
        .raw_metadata(&vec![b' '; 300 * 1024])
        .file("deck.pdf", "application/pdf", &bytes)
        .send(&server, &base);
    assert_eq!(big_metadata.status, 413, "{}", big_metadata.text());

    // Refused uploads wrote nothing: no row, no file, no upload left half-way.
    assert_eq!(server.get(&base).json()["total"], 0);
    assert!(stored_files(&server).is_empty(), "{:?}", stored_files(&server));
    assert_eq!(temp_files(&server), 0);
    assert!(!server.log_text().contains("Deck"), "request bodies are never logged");
}

fn bodies_that_are_not_multipart_are_bad_requests(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let good = metadata("Deck", "training_material", &["4.1"], "2026-03-02");
    for path in [
        practice_documents(practice),
        format!("/api/v1/organizations/{po}/documents"),
    ] {
        let json_body = server.post(&path, &good);
        assert_eq!(json_body.status, 400, "{}", json_body.text());
        assert_eq!(json_body.json()["error"]["code"], "unsupported_content_type");
        let none = server.request("POST", &path, None, b"%PDF-1.7");
        assert_eq!(none.status, 400);
        let no_boundary = server.request("POST", &path, Some("multipart/form-data"), b"--x\r\n");
        assert_eq!(no_boundary.status, 400, "{}", no_boundary.text());
        let mixed = server.request("POST", &path, Some("multipart/mixed; boundary=x"), b"--x--\r\n");
        assert_eq!(mixed.status, 400);
        let garbage = server.request(
            "POST",
            &path,
            Some("multipart/form-data; boundary=pcmh"),
            b"this is not a multipart body at all",
        );
        assert_eq!(garbage.status, 400, "{}", garbage.text());
        assert_eq!(garbage.json()["error"]["code"], "malformed_multipart");
        let (content_type, mut body) = Form::new()
            .metadata(&good)
            .file("deck.pdf", "application/pdf", b"%PDF-1.7 cut short")
            .finish();
        body.truncate(body.len() - 30);
        let truncated = server.request("POST", &path, Some(&content_type), &body);
        assert_eq!(truncated.status, 400, "{}", truncated.text());
        assert_eq!(server.get(&path).json()["total"], 0);
    }
    assert!(stored_files(&server).is_empty());
    assert_eq!(temp_files(&server), 0);
}

fn lists_filter_by_date_type_and_criterion_and_page(backend: Backend) {
    let server = Server::start(backend);
    let (_, practice) = organization_with_practice(&server, "Maple Street");
    let base = practice_documents(practice);
    let a = upload(
        &server,
        &base,
        &metadata("Training 2025", "training_material", &["4.1"], "2025-06-01"),
        "a.pdf",
        b"a",
    );
    let b = upload(
        &server,
        &base,
        &metadata(
            "Medication review",
            "medication_review_process",
            &["4.10"],
            "2026-02-01",
        ),
        "b.pdf",
        b"b",
    );
    let c = upload(
        &server,
        &base,
        &metadata("Training 2026", "training_material", &["4.1", "4.25"], "2026-03-01"),
        "c.pdf",
        b"c",
    );
    let ids = |body: &Value| -> Vec<Value> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].clone())
            .collect()
    };
    let all = server.get(&base).json();
    assert_eq!(all["total"], 3);
    assert_eq!(
        ids(&all),
        [a["id"].clone(), b["id"].clone(), c["id"].clone()],
        "by effective date"
    );

    let in_2026 = server.get(&format!("{base}?from=2026-01-01&to=2026-02-28")).json();
    assert_eq!(ids(&in_2026), [b["id"].clone()]);
    let training = server.get(&format!("{base}?document_type=training_material")).json();
    assert_eq!(ids(&training), [a["id"].clone(), c["id"].clone()]);
    let for_4_1 = server.get(&format!("{base}?criterion=4.1")).json();
    assert_eq!(ids(&for_4_1), [a["id"].clone(), c["id"].clone()], "4.1 is not 4.10");
    let for_4_10 = server.get(&format!("{base}?criterion=4.10")).json();
    assert_eq!(ids(&for_4_10), [b["id"].clone()]);
    let both = server
        .get(&format!(
            "{base}?criterion=4.25&document_type=training_material&from=2026-01-01"
        ))
        .json();
    assert_eq!(ids(&both), [c["id"].clone()]);
    let none = server.get(&format!("{base}?document_type=reminder_process")).json();
    assert_eq!(none["total"], 0);

    let page = server.get(&format!("{base}?limit=1&offset=1")).json();
    assert_eq!(page["total"], 3);
    assert_eq!((page["limit"].clone(), page["offset"].clone()), (json!(1), json!(1)));
    assert_eq!(ids(&page), [b["id"].clone()]);
    let past_end = server.get(&format!("{base}?limit=2&offset=5")).json();
    assert_eq!((past_end["total"].clone(), ids(&past_end).len()), (json!(3), 0));
}

fn bad_list_queries_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    for base in [
        practice_documents(practice),
        format!("/api/v1/organizations/{po}/documents"),
    ] {
        for (query, status, field, rule) in [
            ("limit=0", 422, "limit", "range"),
            ("limit=501", 422, "limit", "range"),
            ("offset=-1", 422, "offset", "range"),
            ("limit=ten", 400, "limit", "format"),
            ("from=1850-01-01", 422, "from", "date_range"),
            ("from=2026-02-30", 400, "from", "format"),
            ("from=2026-03-01&to=2026-02-01", 422, "to", "not_before_from"),
            ("document_type=Training%20Material", 400, "document_type", "format"),
            ("criterion=four", 400, "criterion", "format"),
            ("owner=3", 400, "owner", "unknown_field"),
        ] {
            let response = server.get(&format!("{base}?{query}"));
            assert_eq!(response.status, status, "{query}: {}", response.text());
            assert_eq!(
                response.error_fields(),
                fields(&[(field, rule)]),
                "{query}: {}",
                response.text()
            );
        }
    }
}

fn unknown_and_foreign_ids_are_not_found(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let other_practice = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .unwrap();
    let (other_po, far_practice) = organization_with_practice(&server, "Lakeside");
    let base = practice_documents(practice);
    let mine = upload(
        &server,
        &base,
        &metadata("Deck", "training_material", &["4.1"], "2026-03-02"),
        "deck.pdf",
        b"deck",
    );
    let id = mine["id"].as_i64().unwrap();
    let po_doc = upload(
        &server,
        &format!("/api/v1/organizations/{po}/documents"),
        &metadata("PO onboarding", "training_material", &["4.25"], "2026-01-15"),
        "onboarding.pdf",
        b"onboarding",
    );
    let po_id = po_doc["id"].as_i64().unwrap();
    let meta = metadata("Deck", "training_material", &[], "2026-03-02");

    for path in [
        format!("{base}/999999"),
        format!("{base}/999999/content"),
        format!("{base}/abc"),
        // Another practice's document, on this practice's path (same PO or not).
        format!("{}/{id}", practice_documents(other_practice)),
        format!("{}/{id}/content", practice_documents(other_practice)),
        format!("{}/{id}", practice_documents(far_practice)),
        format!("{}/{id}/content", practice_documents(far_practice)),
        // A practice's document on its PO's path, and a PO's document on another PO's path.
        format!("/api/v1/organizations/{po}/documents/{id}"),
        format!("/api/v1/organizations/{po}/documents/{id}/content"),
        format!("/api/v1/organizations/{other_po}/documents/{po_id}"),
        format!("/api/v1/organizations/{other_po}/documents/{po_id}/content"),
        format!("{}/{po_id}", practice_documents(far_practice)),
        // Unknown practices and POs.
        "/api/v1/practices/999999/documents".to_owned(),
        format!("/api/v1/practices/999999/documents/{id}"),
        "/api/v1/organizations/999999/documents".to_owned(),
        format!("/api/v1/organizations/999999/documents/{po_id}/content"),
    ] {
        let response = server.get(&path);
        assert_eq!(response.status, 404, "GET {path}: {}", response.text());
        assert_eq!(response.json()["error"]["code"], "not_found");
    }
    for path in [
        "/api/v1/practices/999999/documents".to_owned(),
        "/api/v1/organizations/999999/documents".to_owned(),
    ] {
        let response = Form::new()
            .metadata(&meta)
            .file("deck.pdf", "application/pdf", b"x")
            .send(&server, &path);
        assert_eq!(response.status, 404, "POST {path}: {}", response.text());
    }

    // A PO's own documents are the practices' too; another practice's are not.
    assert_eq!(server.get(&format!("{base}/{po_id}")).status, 200);
    let from_sibling = server.get(&format!("{}/{po_id}/content", practice_documents(other_practice)));
    assert_eq!(from_sibling.body, b"onboarding");
    let sibling_list = server.get(&practice_documents(other_practice)).json();
    assert_eq!(sibling_list["total"], 1);
    assert_eq!(sibling_list["items"][0]["id"], po_id);
    assert_eq!(server.get(&practice_documents(far_practice)).json()["total"], 0);
    let po_list = server.get(&format!("/api/v1/organizations/{po}/documents")).json();
    assert_eq!(po_list["total"], 1, "a PO lists its PO-level documents");
    assert_eq!(po_list["items"][0]["owner"], json!({"organization": po}));
}

fn po_level_documents_use_the_newest_catalog_of_the_po(backend: Backend) {
    let server = Server::start(backend);
    let lone = server.create("/api/v1/organizations", &json!({"name": "Lone PO"}))["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/organizations/{lone}/documents");
    let meta = metadata("Member list, March", "member_list_report", &["4.27"], "2026-03-31");
    let in_force = upload(&server, &path, &meta, "members.csv", b"id\n1\n");
    assert_eq!(
        in_force["catalog_version"], "1.0.0",
        "no practice yet: the version in force"
    );
    assert_eq!(in_force["owner"], json!({"organization": lone}));

    let (po, _) = organization_with_practice(&server, "Maple Street");
    server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside", "catalog_version": "1.1.0"}),
    );
    let path = format!("/api/v1/organizations/{po}/documents");
    let newest = upload(&server, &path, &meta, "members.csv", b"id\n2\n");
    assert_eq!(newest["catalog_version"], "1.1.0");
    let got = server.get(&format!("{path}/{}", newest["id"]));
    assert_eq!(got.json(), newest);
    let download = server.get(&format!("{path}/{}/content", newest["id"]));
    assert_eq!(download.body, b"id\n2\n");
    assert_eq!(download.header("content-type"), Some("application/pdf"));

    let bad = Form::new()
        .metadata(&metadata("Member list", "member_list_report", &["4.30"], "2026-03-31"))
        .file("members.csv", "text/csv", b"id")
        .send(&server, &path);
    assert_eq!(bad.status, 422);
    assert_eq!(bad.error_fields(), fields(&[("criteria[0]", "known_criterion")]));
    assert_eq!(server.get(&path).json()["total"], 1);
}

/// The status of the document requirement of `criterion` in a practice's compliance.
fn document_status(server: &Server, practice: i64, criterion: &str) -> Value {
    let body = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"))
        .json();
    let result = body["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["criterion"] == criterion)
        .cloned()
        .expect("the criterion is evaluated");
    let requirement = result["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "document")
        .cloned()
        .unwrap_or_else(|| panic!("{criterion} has a document requirement: {result}"));
    requirement["status"].clone()
}

fn compliance_counts_practice_and_po_documents(backend: Backend) {
    let server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Maple Street");
    let sibling = server.create(
        &format!("/api/v1/organizations/{po}/practices"),
        &json!({"name": "Riverside"}),
    )["id"]
        .as_i64()
        .unwrap();
    let (_, stranger) = organization_with_practice(&server, "Lakeside");
    assert_eq!(document_status(&server, practice, "4.1"), "not_met");

    let deck = upload(
        &server,
        &practice_documents(practice),
        &metadata("PCMH-N training deck", "training_material", &["4.1"], "2026-06-01"),
        "deck.pdf",
        b"deck",
    );
    assert_eq!(document_status(&server, practice, "4.1"), "met");
    let body = server
        .get(&format!("/api/v1/practices/{practice}/compliance?as_of=2026-11-24"))
        .json();
    let first = &body["criteria"][0];
    assert_eq!(first["criterion"], "4.1");
    assert_eq!(first["requirements"][1]["kind"], "document");
    assert_eq!(first["requirements"][1]["status"], "met", "{first}");
    assert!(
        first["records"]
            .as_array()
            .unwrap()
            .contains(&json!({"kind": "document", "id": deck["id"]})),
        "{first}"
    );
    // An old document does not count for a yearly review.
    let (_, late) = organization_with_practice(&server, "Old Mill");
    upload(
        &server,
        &practice_documents(late),
        &metadata("Old deck", "training_material", &[], "2025-01-10"),
        "old.pdf",
        b"old",
    );
    assert_eq!(document_status(&server, late, "4.1"), "not_met");

    // A practice's document does not count for its sibling; a PO-level one counts for every
    // practice of the PO, and for none of another PO's.
    assert_eq!(document_status(&server, sibling, "4.2"), "not_met");
    upload(
        &server,
        &format!("/api/v1/organizations/{po}/documents"),
        &metadata(
            "Care management workflow",
            "care_management_workflow",
            &["4.2"],
            "2026-05-01",
        ),
        "workflow.pdf",
        b"workflow",
    );
    assert_eq!(document_status(&server, sibling, "4.1"), "not_met");
    assert_eq!(document_status(&server, sibling, "4.2"), "met");
    assert_eq!(document_status(&server, practice, "4.2"), "met");
    assert_eq!(document_status(&server, stranger, "4.2"), "not_met");
}
