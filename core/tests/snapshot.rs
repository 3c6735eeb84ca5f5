//! A PO's records read on one snapshot (`store::records::organization`): on PostgreSQL the
//! tables are read on two connections at once, and the read still succeeds when the pool has no
//! second connection to give. Needs `PCMH_TEST_POSTGRES_URL` for the PostgreSQL cases.

mod common;

use std::path::Path;

use chrono::NaiveDate;
use common::TestDatabase;
use pcmh_core::catalog::{Catalog, CatalogSet};
use pcmh_core::ids::OrganizationId;
use pcmh_core::records::Role;
use pcmh_core::store::organizations::{self, NewOrganization};
use pcmh_core::store::practices::{self, NewPractice};
use pcmh_core::store::staff::{self, NewStaff};
use pcmh_core::store::{records, Store};

fn catalog() -> Catalog {
    let set = CatalogSet::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-catalog"))
        .expect("the released catalogs load");
    let id = set.ids()[0].to_owned();
    set.latest(&id).expect("a version").clone()
}

/// A PO with three practices of two staff each.
fn organization(store: &Store, name: &str) -> OrganizationId {
    let catalog = catalog();
    store
        .write(|c| {
            let po = organizations::create(c, &NewOrganization { name: name.into() })?;
            for n in 0..3 {
                let practice = practices::create(
                    c,
                    po.id,
                    &catalog,
                    &NewPractice {
                        name: format!("Practice {n}"),
                        initial_focus_population: None,
                        catalog_version: None,
                        joined_on: None,
                        time_zone: None,
                    },
                )?;
                for name in ["Ana Lopez", "Ben Okafor"] {
                    staff::create(
                        c,
                        practice.id,
                        &NewStaff {
                            name: name.into(),
                            role: Role::Nurse,
                            started_on: NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
                            ended_on: None,
                            replaces: None,
                        },
                    )?;
                }
            }
            Ok(po.id)
        })
        .expect("the PO is written")
}

/// The PO read on one snapshot gives each practice the records it has on its own.
fn reads_agree(store: &Store) {
    let po = organization(store, "Snapshot PO");
    let loaded = records::organization(store, po).expect("read on one snapshot");
    assert_eq!(loaded.practices.len(), 3);
    for (practice, grouped) in &loaded.practices {
        let (alone, own) = store
            .read(|c| records::for_practice(c, practice.id))
            .expect("the practice read alone");
        assert_eq!(&alone, practice);
        assert_eq!(format!("{grouped:?}"), format!("{own:?}"), "practice {}", practice.id.0);
    }
    assert_eq!(loaded.combined.staff.len(), 6);
    // The pooled connections come back without an open transaction: a write still works.
    organization(store, "Second PO");
}

#[test]
fn sqlite_reads_a_po_in_one_read_transaction() {
    let dir = tempfile::tempdir().expect("a temp dir");
    reads_agree(&common::sqlite(dir.path()));
}

#[test]
fn postgres_reads_a_po_on_two_connections_sharing_a_snapshot() {
    let Some((database, store)) = TestDatabase::create("snapshot_shared", &[]) else {
        eprintln!("SKIPPED: set PCMH_TEST_POSTGRES_URL");
        return;
    };
    reads_agree(&store);
    drop(store);
    drop(database);
}

#[test]
fn postgres_reads_a_po_when_no_second_connection_is_free() {
    let Some((database, store)) = TestDatabase::create("snapshot_busy", &[]) else {
        eprintln!("SKIPPED: set PCMH_TEST_POSTGRES_URL");
        return;
    };
    let po = organization(&store, "Busy PO");
    // Take all but one of the pool's connections: the read gets its first connection and
    // must not wait for a second one that will not come.
    let held: Vec<_> = (1..store.pool_state().max)
        .map(|_| store.conn().expect("a pooled connection"))
        .collect();
    let loaded = records::organization(&store, po).expect("read without a second connection");
    assert_eq!(loaded.practices.len(), 3);
    drop(held);
    drop(store);
    drop(database);
}
