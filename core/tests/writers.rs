//! Many writers at once: every write succeeds on both backends, and on SQLite the process's
//! writers take turns instead of failing with "database is locked". Needs
//! `PCMH_TEST_POSTGRES_URL` for the PostgreSQL case.

mod common;

use common::TestDatabase;
use pcmh_core::store::organizations::{self, NewOrganization};
use pcmh_core::store::{Page, Store, StoreError};

const WRITERS: usize = 16;
const WRITES_EACH: usize = 25;

/// 16 threads each write 25 organizations, one transaction each, all at once.
fn sixteen_writers_all_succeed(store: &Store) {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..WRITERS)
            .map(|writer| {
                scope.spawn(move || {
                    (0..WRITES_EACH)
                        .filter_map(|n| {
                            store
                                .write(|c| {
                                    organizations::create(
                                        c,
                                        &NewOrganization {
                                            name: format!("Writer {writer} PO {n}"),
                                        },
                                    )
                                })
                                .err()
                                .map(|e| e.to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("a writer thread finished"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} writes failed: {:?}",
        failures.len(),
        &failures[..1]
    );
    let stored = store
        .read(|c| organizations::list(c, None, Page { limit: 1, offset: 0 }))
        .expect("the POs are listed");
    assert_eq!(stored.total, (WRITERS * WRITES_EACH) as i64);
}

fn sqlite_store(dir: &tempfile::TempDir) -> Store {
    common::sqlite(dir.path())
}

#[test]
fn sqlite_writers_take_turns_and_all_succeed() {
    let dir = tempfile::tempdir().expect("a temp dir");
    sixteen_writers_all_succeed(&sqlite_store(&dir));
}

#[test]
fn sqlite_refuses_a_write_inside_a_write_and_keeps_writing() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = sqlite_store(&dir);
    let inner = store.write(|_| Ok(store.write(|_| Ok(()))));
    assert!(
        matches!(inner, Ok(Err(StoreError::Internal(_)))),
        "a nested write is refused at once, not left waiting for itself: {inner:?}"
    );
    // A write that panicked gives its turn back.
    let clone = store.clone();
    let panicked =
        std::thread::spawn(move || clone.write(|_| -> Result<(), StoreError> { panic!("a failing write") })).join();
    assert!(panicked.is_err());
    store
        .write(|c| organizations::create(c, &NewOrganization { name: "After".into() }))
        .expect("later writes still run");
}

#[test]
fn postgres_writers_all_succeed() {
    let Some((database, store)) = TestDatabase::create("writers", &[]) else {
        eprintln!("SKIPPED: set PCMH_TEST_POSTGRES_URL");
        return;
    };
    sixteen_writers_all_succeed(&store);
    drop(store);
    drop(database);
}
