//! `pcmh serve --demo` loads a PO whose practices show a true mix of statuses, once.

mod common;

use common::{Backend, Server};

both_backends! {
    the_demo_is_loaded_once_with_a_mix_of_statuses => the_demo_is_loaded_once_with_a_mix_of_statuses;
}

fn summary(server: &Server, practice: i64) -> serde_json::Value {
    let response = server.get(&format!("/api/v1/practices/{practice}/compliance"));
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()["summary"].clone()
}

fn the_demo_is_loaded_once_with_a_mix_of_statuses(backend: Backend) {
    let mut server = Server::start_with(backend, &["--demo"]);
    let organizations = server.get("/api/v1/organizations").json();
    assert_eq!(organizations["total"], 1);
    let po = organizations["items"][0]["id"].as_i64().expect("an id");
    let practices = server.get(&format!("/api/v1/organizations/{po}/practices")).json();
    assert_eq!(practices["total"], 3);
    let ids: Vec<i64> = practices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();

    let thorough = summary(&server, ids[0]);
    let patchy = summary(&server, ids[1]);
    let starting = summary(&server, ids[2]);
    assert!(thorough["met"].as_u64().unwrap() >= 20, "{thorough}");
    assert!(
        patchy["met"].as_u64().unwrap() > 0 && patchy["partially_met"].as_u64().unwrap() > 0,
        "{patchy}"
    );
    assert!(starting["not_met"].as_u64().unwrap() >= 15, "{starting}");

    // The demo's evidence files are real files that can be downloaded.
    let documents = server
        .get(&format!("/api/v1/practices/{}/documents?limit=1", ids[0]))
        .json();
    let document = &documents["items"][0];
    let content = server.get(&format!(
        "/api/v1/practices/{}/documents/{}/content",
        ids[0], document["id"]
    ));
    assert_eq!(content.status, 200);
    assert!(content.text().contains("Demo evidence"));

    // A second start with --demo does not load it again.
    server.kill();
    server.launch(&["--demo"]);
    assert_eq!(server.get("/api/v1/organizations").json()["total"], 1);
    assert_eq!(
        server.get(&format!("/api/v1/organizations/{po}/practices")).json()["total"],
        3
    );
}
