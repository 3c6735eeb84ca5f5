//! `pcmh demo generate` makes a PO whose practices answer their compliance views, and whose
//! PO matrix (loaded in one batch per table) agrees with each practice's own view.

mod common;

use std::process::Command;

use common::{Backend, Server};
use serde_json::Value;

both_backends! {
    generated_practices_answer_their_compliance_views => generated_practices_answer_their_compliance_views;
}

fn ok(server: &Server, path: &str) -> Value {
    let response = server.get(path);
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

fn generated_practices_answer_their_compliance_views(backend: Backend) {
    let server = Server::start(backend);
    let output = Command::new(env!("CARGO_BIN_EXE_pcmh"))
        .args(["demo", "generate", "--practices", "3", "--years", "1"])
        .args(["--database-url", &server.database_url])
        .arg("--data-dir")
        .arg(server.data_dir.path())
        .env("PCMH_CATALOG_DIR", common::repo_root().join("policy-catalog"))
        .output()
        .expect("pcmh runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pcmh demo generate failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let po: i64 = stdout
        .strip_prefix("generated organization ")
        .and_then(|rest| rest.split(':').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no organization id in {stdout:?}"));

    let matrix = ok(&server, &format!("/api/v1/organizations/{po}/compliance"));
    let rows = matrix["practices"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "three practices");
    let mut statuses = std::collections::BTreeSet::new();
    for row in rows {
        let id = row["practice"]["id"].as_i64().expect("practice id");
        let own = ok(&server, &format!("/api/v1/practices/{id}/compliance"));
        let cells = row["criteria"].as_array().expect("cells");
        let own_criteria = own["criteria"].as_array().expect("criteria");
        assert!(!own_criteria.is_empty());
        assert_eq!(cells.len(), own_criteria.len());
        for (cell, result) in cells.iter().zip(own_criteria) {
            assert_eq!(cell["criterion"], result["criterion"]);
            assert_eq!(
                cell["status"], result["status"],
                "practice {id} criterion {}",
                cell["criterion"]
            );
            statuses.insert(result["status"].as_str().unwrap_or_default().to_owned());
        }
        // The records are really there.
        let staff = ok(&server, &format!("/api/v1/practices/{id}/staff"));
        assert!(staff["total"].as_u64().unwrap_or(0) >= 3, "{staff}");
    }
    assert!(statuses.len() >= 2, "realistic variety of statuses: {statuses:?}");
}
