//! The committed OpenAPI document is the one the code generates, and the server serves it.

mod common;

use std::process::Command;

fn generated() -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .arg("openapi")
        .output()
        .expect("pcmh runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn the_committed_document_matches_the_code() {
    let path = common::repo_root().join("openapi/openapi.json");
    let fresh = generated();
    if std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &fresh).expect("openapi.json is written");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "openapi/openapi.json differs from the code's document; regenerate it with\n  \
         UPDATE_SNAPSHOTS=1 cargo test -p pcmh-api --test openapi\nand review the difference"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_and_documented_errors() {
    let spec: serde_json::Value = serde_json::from_str(&generated()).expect("JSON");
    let mut ids = std::collections::HashSet::new();
    for (path, operations) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{id} has no tag"
            );
            let responses = operation["responses"].as_object().expect("responses");
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{id} takes an id but documents no 404");
            }
            if method == "post" || method == "patch" {
                for status in ["400", "422"] {
                    assert!(
                        responses.contains_key(status),
                        "{id} takes a body but documents no {status}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_server_serves_the_same_document() {
    let server = common::Server::start(common::Backend::Sqlite);
    let served = server.get("/openapi.json");
    assert_eq!(served.status, 200);
    let fresh: serde_json::Value = serde_json::from_str(&generated()).expect("JSON");
    assert_eq!(served.json(), fresh);
    let docs = server.get("/docs/");
    assert_eq!(docs.status, 200, "the interactive docs are served");
    assert!(docs.text().contains("swagger"), "the docs page is Swagger UI");
}

/// The Rust files of `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every rule the server enforces on a request field is stated in the document: a struct that is
/// validated and documented (a body or query parameters) declares its fields' rules with
/// `#[check(...)]` under `#[checked]`, which states each in the schema and refuses a bare
/// `#[validate(...)]` on a field; this finds a struct that would bypass it.
#[test]
fn every_validated_request_field_states_its_rules_in_the_document() {
    let root = common::repo_root();
    let mut files = Vec::new();
    rust_files(&root.join("core/src"), &mut files);
    rust_files(&root.join("api/src"), &mut files);
    let mut bypassing = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a source file");
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            let line = line.trim();
            if !(line.starts_with("#[derive(") && line.contains("Validate")) {
                continue;
            }
            let documented = line.contains("ToSchema") || line.contains("IntoParams");
            let checked = lines[..at]
                .iter()
                .rev()
                .take_while(|l| l.trim().starts_with("#[") || l.trim().starts_with("///"))
                .any(|l| l.trim().ends_with("checks::checked]"));
            if documented && !checked {
                bypassing.push(format!(
                    "{}:{}",
                    file.strip_prefix(&root).unwrap_or(&file).display(),
                    at + 1
                ));
            }
        }
    }
    assert!(
        bypassing.is_empty(),
        "validated request structs without #[checked] (their rules would not be in the document): {bypassing:?}"
    );
}

/// A path the API has, asked with a method it does not have, answers 405 with `Allow`.
#[test]
fn a_method_a_path_does_not_have_is_405_with_allow() {
    let server = common::Server::start(common::Backend::Sqlite);
    for (method, path, allow) in [
        ("PUT", "/api/v1/practices/1/staff", "GET, POST"),
        ("DELETE", "/api/v1/organizations", "GET, POST"),
        ("TRACE", "/api/v1/practices/1", "GET, PATCH"),
        ("POST", "/healthz", "GET"),
    ] {
        let response = server.request(method, path, None, b"");
        assert_eq!(response.status, 405, "{method} {path}: {}", response.text());
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(response.json()["error"]["code"], "method_not_allowed");
    }
    let response = server.request("PUT", "/api/v1/no-such-thing", None, b"");
    assert_eq!(response.status, 404, "{}", response.text());
}
