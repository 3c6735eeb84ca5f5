//! PO-wide views computed from every record (the matrix as known on a past day, the PO's OSCAL)
//! load every record of every practice of the PO, so a server computes only so many at once
//! (`--heavy-views`); a request that finds no turn within `--heavy-view-wait` is answered 503
//! `busy` with `Retry-After`, and the turns come back. Views read from kept evaluations (the
//! matrix, the due list, the trend) take no turn: they are answered while the turns are taken.

mod common;

use common::{try_http, Backend, Server};

both_backends! {
    po_wide_views_take_turns_and_the_rest_are_told_to_retry => take_turns;
    a_view_whose_client_left_is_not_computed => client_left;
}

fn take_turns(backend: Backend) {
    // One view at a time, and no waiting for a turn.
    let server = Server::start_with(backend, &["--heavy-views", "1", "--heavy-view-wait", "0"]);
    let po = common::generate(&server, 60, 2);
    let today = chrono::Utc::now().date_naive();
    let paths = [
        format!("/api/v1/organizations/{po}/compliance?as_known_on={today}"),
        format!("/api/v1/organizations/{po}/compliance/oscal"),
    ];
    let kept = [
        format!("/api/v1/organizations/{po}/compliance"),
        format!("/api/v1/organizations/{po}/due"),
        format!("/api/v1/organizations/{po}/compliance/trend"),
    ];
    // Eight clients at once on the heavy views, four on the kept ones: while one heavy view
    // computes, the other heavy ones find no turn; the kept ones need none.
    let answers: Vec<(String, common::Response)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let path = if i < 8 {
                    paths[i % paths.len()].clone()
                } else {
                    kept[i % kept.len()].clone()
                };
                let (address, token) = (&server.address, &server.admin_token);
                scope.spawn(move || {
                    let answer = try_http(address, Some(token), "GET", &path, None, b"").expect("an answer");
                    (path, answer)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a client")).collect()
    });
    let mut busy = 0;
    for (path, answer) in &answers {
        match answer.status {
            200 => {}
            503 if !kept.contains(path) => {
                busy += 1;
                assert_eq!(answer.json()["error"]["code"], "busy", "{path}: {}", answer.text());
                assert_eq!(answer.header("retry-after"), Some("5"), "{path}");
            }
            other => panic!("{path}: {other} {}", answer.text()),
        }
    }
    assert!(busy >= 1, "eight PO-wide views at once on one turn: none was refused");
    assert!(busy < 8, "every heavy request was refused");

    // One after the other, every view is answered: the turns came back.
    for path in paths.iter().chain(&kept) {
        let answer = server.get(path);
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    }
}

/// A client that asks for a view computed from every record and goes away while it waits for
/// its turn: the view is not computed for nobody once the turn comes.
fn client_left(backend: Backend) {
    use std::io::Write;
    let server = Server::start_with(backend, &["--heavy-views", "1", "--heavy-view-wait", "60"]);
    let po = common::generate(&server, 60, 2);
    let today = chrono::Utc::now().date_naive();
    std::thread::scope(|scope| {
        // One client takes the only turn with the PO's OSCAL export (a second or so).
        let first = scope.spawn(|| server.get(&format!("/api/v1/organizations/{po}/compliance/oscal")));
        std::thread::sleep(std::time::Duration::from_millis(150));
        // Another asks for the matrix as known today, then hangs up while it waits.
        let address = server.address.trim_start_matches("http://").to_owned();
        let mut leaving = std::net::TcpStream::connect(&address).expect("a connection");
        write!(
            leaving,
            "GET /api/v1/organizations/{po}/compliance?as_known_on={today} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\r\n",
            server.admin_token
        )
        .expect("the request is sent");
        std::thread::sleep(std::time::Duration::from_millis(100));
        drop(leaving);
        assert_eq!(first.join().expect("the first client").status, 200);
    });
    // Once the turn is free, the next view gets it at once; the abandoned one was never answered
    // with a computed matrix.
    let answer = server.get(&format!("/api/v1/organizations/{po}/compliance?as_known_on={today}"));
    assert_eq!(answer.status, 200, "{}", answer.text());
    std::thread::sleep(std::time::Duration::from_millis(500));
    let log = server.log_text();
    let computed = log
        .lines()
        .filter(|l| {
            l.contains("route=\"/api/v1/organizations/{organization_id}/compliance\"") && l.contains("status=200")
        })
        .count();
    assert_eq!(
        computed, 1,
        "only the matrix asked for by a client still there was computed:\n{log}"
    );
}
