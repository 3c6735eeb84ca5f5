//! What the store tests share: a migrated SQLite file, and a fresh PostgreSQL database made on
//! the server `PCMH_TEST_POSTGRES_URL` names (dropped when the test is done).

#![allow(dead_code, reason = "each test file uses what it needs")]

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::Connection as _;
use pcmh_core::store::Store;

/// A migrated SQLite database in `dir`.
pub fn sqlite(dir: &Path) -> Store {
    let store = Store::open(&format!("sqlite://{}", dir.join("pcmh.sqlite3").display())).expect("SQLite opens");
    store.migrate().expect("migrations run");
    store
}

/// A PostgreSQL database made for one test, dropped with this value.
pub struct TestDatabase {
    admin: String,
    name: String,
}

impl TestDatabase {
    /// A new, migrated database named after `test`; none when `PCMH_TEST_POSTGRES_URL` is not set
    /// (the caller then says the test was skipped). `settings` are SQL run on the new database's
    /// defaults (`ALTER DATABASE {name} SET ...`), e.g. `synchronous_commit TO off`.
    pub fn create(test: &str, settings: &[&str]) -> Option<(Self, Store)> {
        let admin = std::env::var("PCMH_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
        let name = format!("pcmh_{test}_{}", std::process::id());
        let mut conn = diesel::PgConnection::establish(&admin).expect("the test server answers");
        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .expect("an old test database is dropped");
        conn.batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("a test database");
        for setting in settings {
            conn.batch_execute(&format!("ALTER DATABASE {name} SET {setting}"))
                .expect("a setting of the test database");
        }
        let base = admin.split('?').next().unwrap_or(&admin);
        let cut = base.rfind('/').unwrap_or(base.len());
        let store = Store::open(&format!("{}/{name}", &base[..cut])).expect("PostgreSQL opens");
        store.migrate().expect("migrations run");
        Some((TestDatabase { admin, name }, store))
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
