//! The migrations run up, down and up again on both backends, and give both the same tables
//! with the same columns.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use pcmh_core::store::{Connection as Db, Store};

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Table name to its column names, sorted.
fn columns(store: &Store) -> BTreeMap<String, Vec<String>> {
    let mut conn = store.conn().expect("a connection");
    let rows: Vec<Column> = match &mut *conn {
        Db::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
        )
        .load(c),
        Db::Postgres(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c),
    }
    .expect("the columns can be listed");
    let mut tables: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        tables.entry(row.table_name).or_default().push(row.column_name);
    }
    tables.values_mut().for_each(|c| c.sort());
    tables
}

fn up_down_up(store: &Store) -> BTreeMap<String, Vec<String>> {
    assert!(store.migrate().expect("the migrations apply") >= 1);
    assert_eq!(store.migrate().expect("a second run is a no-op"), 0);
    let first = columns(store);
    store.remigrate().expect("every migration reverts and applies again");
    assert_eq!(columns(store), first, "down then up gives the same schema");
    first
}

fn sqlite_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&format!("sqlite://{}", dir.path().join("db.sqlite3").display())).expect("SQLite opens")
}

#[test]
fn sqlite_migrations_run_up_down_up() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let tables = up_down_up(&sqlite_store(&dir));
    assert!(
        tables.contains_key("attestations") && tables.contains_key("training_records"),
        "{tables:?}"
    );
}

fn postgres_store() -> Option<Store> {
    let Some(admin) = std::env::var("PCMH_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        eprintln!("SKIPPED: set PCMH_TEST_POSTGRES_URL to run the PostgreSQL migration tests");
        return None;
    };
    let name = format!("pcmh_migrations_{}", std::process::id());
    let mut conn = diesel::PgConnection::establish(&admin).expect("the test server answers");
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .expect("an old test database is dropped");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a test database");
    let base = admin.split('?').next().unwrap_or(&admin);
    let cut = base.rfind('/').unwrap_or(base.len());
    Some(Store::open(&format!("{}/{name}", &base[..cut])).expect("PostgreSQL opens"))
}

#[test]
fn postgres_migrations_run_up_down_up_and_match_sqlite() {
    let Some(postgres) = postgres_store() else { return };
    let on_postgres = up_down_up(&postgres);
    let dir = tempfile::tempdir().expect("a temp dir");
    let sqlite = sqlite_store(&dir);
    sqlite.migrate().expect("SQLite migrates");
    assert_eq!(
        on_postgres,
        columns(&sqlite),
        "both backends have the same tables and columns"
    );
    drop(postgres);
    if let Ok(admin) = std::env::var("PCMH_TEST_POSTGRES_URL") {
        let mut conn = diesel::PgConnection::establish(&admin).expect("the test server answers");
        let name = format!("pcmh_migrations_{}", std::process::id());
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("the test database is dropped");
    }
}

#[test]
fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = sqlite_store(&dir);
    store.migrate().expect("migrates");
    let mut conn = store.conn().expect("a connection");
    let Db::Sqlite(c) = &mut *conn else { unreachable!() };
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    let mode: Mode = diesel::sql_query("PRAGMA journal_mode").get_result(c).expect("a mode");
    assert_eq!(mode.journal_mode, "wal");
    let orphan = c.batch_execute(
        "INSERT INTO staff (practice_id, name, role, started_on, recorded_at) \
         VALUES (999, 'x', 'nurse', '2020-01-01', '2020-01-01 00:00:00')",
    );
    assert!(orphan.is_err(), "foreign keys are enforced");
}

#[test]
fn ci_runs_the_postgres_tests() {
    // On CI a missing server must fail loudly, not skip every PostgreSQL test in silence.
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(
            std::env::var("PCMH_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()),
            "CI must start PostgreSQL and set PCMH_TEST_POSTGRES_URL (see .ci/run)"
        );
    }
}
