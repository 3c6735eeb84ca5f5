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
