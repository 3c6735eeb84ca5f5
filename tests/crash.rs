//! A record acknowledged with 2xx survives a crash: the server is killed with SIGKILL while
//! clients write, restarted on the same database, and every acknowledged record is there,
//! once, and nothing half-written is. The kept evaluations the PO's matrix was read from while
//! the writers wrote are never wrong after the crash: the kept matrix equals the one computed
//! from the records.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{organization_with_practice, try_http, Backend, Server};
use serde_json::{json, Value};

both_backends! {
    acknowledged_writes_survive_a_kill => acknowledged_writes_survive_a_kill;
}

const WRITERS: usize = 4;

fn acknowledged_writes_survive_a_kill(backend: Backend) {
    let mut server = Server::start(backend);
    let (po, practice) = organization_with_practice(&server, "Crash Test Family Practice");
    let path = format!("/api/v1/practices/{practice}/staff");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (address, path, acknowledged, stop) =
                (server.address.clone(), path.clone(), acknowledged.clone(), stop.clone());
            let token = server.admin_token.clone();
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) || Instant::now() > deadline {
                        break;
                    }
                    let name = format!("writer {w} record {n}");
                    let body = json!({"name": name, "role": "nurse", "started_on": "2024-01-01"}).to_string();
                    match try_http(
                        &address,
                        Some(&token),
                        "POST",
                        &path,
                        Some("application/json"),
                        body.as_bytes(),
                    ) {
                        Ok(response) if response.status == 201 => acknowledged.lock().unwrap().push(name),
                        Ok(response) => panic!("a write was refused before the crash: {}", response.status),
                        Err(_) => break, // The server is gone.
                    }
                }
            })
        })
        .collect();
    // A reader keeps the PO's matrix (and so its kept evaluations) being read and written.
    let reader = {
        let (address, token, stop) = (server.address.clone(), server.admin_token.clone(), stop.clone());
        let matrix = format!("/api/v1/organizations/{po}/compliance");
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if try_http(&address, Some(&token), "GET", &matrix, None, b"").is_err() {
                    break;
                }
            }
        })
    };

    // Let the writers get going, then pull the plug while they are mid-flight.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 40 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("a writer thread");
    }
    reader.join().expect("the reader thread");
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 40,
        "the writers wrote before the crash: {}",
        acknowledged.len()
    );

    server.launch(&[]);
    let mut stored: Vec<Value> = Vec::new();
    loop {
        let page = server.get(&format!("{path}?limit=500&offset={}", stored.len())).json();
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        stored.extend(items);
    }
    let names: Vec<&str> = stored.iter().map(|s| s["name"].as_str().unwrap_or_default()).collect();
    for name in &acknowledged {
        assert_eq!(
            names.iter().filter(|n| *n == name).count(),
            1,
            "{name} was acknowledged: it is stored once"
        );
    }
    // Writes in flight at the kill may or may not have landed, but never half: every stored
    // record is whole.
    for record in &stored {
        assert_eq!(record["role"], "nurse");
        assert_eq!(record["started_on"], "2024-01-01");
        assert!(record["name"].as_str().is_some_and(|n| n.starts_with("writer ")));
    }
    assert!(stored.len() >= acknowledged.len());
    assert!(
        stored.len() <= acknowledged.len() + WRITERS,
        "at most one write per writer was in flight"
    );

    // The matrix read from kept evaluations is the one computed from every record (records known
    // by the end of today are all of them); only the `basis` says which it is.
    let today = chrono::Utc::now().date_naive();
    let without_basis = |mut view: Value| {
        view.as_object_mut().expect("a matrix").remove("basis");
        view
    };
    let kept = server.get(&format!("/api/v1/organizations/{po}/compliance?as_of={today}"));
    assert_eq!(kept.status, 200, "{}", kept.text());
    let computed = server.get(&format!(
        "/api/v1/organizations/{po}/compliance?as_of={today}&as_known_on={today}"
    ));
    assert_eq!(computed.status, 200, "{}", computed.text());
    assert_eq!(without_basis(kept.json()), without_basis(computed.json()));
}
