//! The actions people take, each written once: the JSON API and the web pages call the same
//! function, which loads what the action needs (the practice's catalog), writes in one
//! transaction and appends the audit event naming the actor (a token or a signed-in person).
//!
//! The caller has already decided access with [`crate::access::decide`]; an action checks the
//! record rules (through the store) and nothing about HTTP.

pub mod admin;
pub mod attestations;
pub mod care_plans;
pub mod compliance;
pub mod documents;
pub mod kept;
pub mod meetings;
pub mod organizations;
pub mod oscal;
pub mod people;
pub mod po_admin;
pub mod practices;
pub mod staff;
pub mod surveys;
pub mod trainings;

use serde::Serialize;
use serde_json::Value;

use crate::access::Actor;
use crate::catalog::{Catalog, CatalogSet};
use crate::ids::PracticeId;
use crate::records::Practice;
use crate::store::voids::{Replaces, Void, VoidMark};
use crate::store::{audit, Connection, Store, StoreError, StoreResult};

/// Set when whoever asked for a long computation stopped waiting for it (a client that went
/// away): the computation checks it between its steps and stops with [`StoreError::Abandoned`].
#[derive(Clone, Default)]
pub struct Abandoned {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Asks whether whoever is waiting has gone (a closed connection), at each check.
    gone: Option<std::sync::Arc<dyn Fn() -> bool + Send + Sync>>,
}

impl std::fmt::Debug for Abandoned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Abandoned")
            .field("flag", &self.flag)
            .field("asks", &self.gone.is_some())
            .finish()
    }
}

impl Abandoned {
    /// A flag not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A flag also set when `gone` answers true at a check (the client's connection closed).
    pub fn when(gone: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        Abandoned {
            gone: Some(std::sync::Arc::new(gone)),
            ..Self::default()
        }
    }

    /// Sets the flag: the computation stops at its next check.
    pub fn abandon(&self) {
        self.flag.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// `Err(StoreError::Abandoned)` once the flag is set or whoever waits has gone.
    pub fn check(&self) -> StoreResult<()> {
        if self.gone.as_ref().is_some_and(|gone| gone()) {
            self.abandon();
        }
        if self.flag.load(std::sync::atomic::Ordering::Relaxed) {
            Err(StoreError::Abandoned)
        } else {
            Ok(())
        }
    }
}

/// A record as JSON, for the `before` of an audit event.
pub fn snapshot<T: Serialize>(record: &T) -> StoreResult<Value> {
    serde_json::to_value(record).map_err(|e| StoreError::Internal(e.to_string()))
}

/// The practice `id` and the catalog version it is assessed against.
pub fn practice_catalog<'a>(
    conn: &mut Connection,
    catalogs: &'a CatalogSet,
    id: PracticeId,
) -> StoreResult<(Practice, &'a Catalog)> {
    let practice = crate::store::practices::get(conn, id)?;
    let catalog = catalogs
        .named(&practice.catalog_id, &practice.catalog_version)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok((practice, catalog))
}

/// Voids a record of kind `record_kind` in one transaction with its audit event (action `void`,
/// `before` the record as it was): `void` sets its void columns from the mark it is given and
/// returns the record before and after. Returns the voided record.
pub(crate) fn void_record<T: Serialize>(
    store: &Store,
    actor: &Actor,
    record_kind: &'static str,
    why: &Void,
    void: impl FnOnce(&mut Connection, &VoidMark) -> StoreResult<(T, T)>,
) -> StoreResult<T> {
    store.write_audited(actor.audit("void", record_kind), |c, event| {
        audit::hold(c, event.organization)?;
        let mark = VoidMark::by(c, &actor.principal, &why.reason)?;
        let (before, after) = void(c, &mark)?;
        event.before = Some(snapshot(&before)?);
        Ok(after)
    })
}

/// The record a correction voided, inside the correction's transaction: its id and how it was.
pub(crate) struct Replaced {
    id: i64,
    before: Value,
}

/// The first half of a correction, inside its transaction: voids the record `replaces` names
/// (of the same kind and owner, not voided) before the new record is written. A record of
/// another practice or PO, or none, is refused as a field error of `replaces.id`.
pub(crate) fn void_replaced<T: Serialize>(
    c: &mut Connection,
    actor: &Actor,
    replaces: Option<&Replaces>,
    void: impl FnOnce(&mut Connection, i64, &VoidMark) -> StoreResult<(T, T)>,
) -> StoreResult<Option<Replaced>> {
    let Some(replaces) = replaces else {
        return Ok(None);
    };
    audit::hold(c, actor.organization)?;
    let mark = VoidMark::by(c, &actor.principal, &replaces.reason)?;
    let (before, _) = void(c, replaces.id, &mark).map_err(|e| match e {
        StoreError::NotFound { what, id } => StoreError::invalid(
            "replaces.id",
            "same_owner",
            format!("{what} {id} was not found here: a correction replaces a record of the same kind, practice and PO"),
        ),
        other => other,
    })?;
    Ok(Some(Replaced {
        id: replaces.id,
        before: snapshot(&before)?,
    }))
}

/// The second half of a correction: names the new record `new` on the voided one (`link`
/// returns it) and appends the void's audit event, in the same transaction as the new record's.
pub(crate) fn link_replaced<T: Serialize>(
    c: &mut Connection,
    actor: &Actor,
    record_kind: &'static str,
    replaced: Option<Replaced>,
    new: i64,
    link: impl FnOnce(&mut Connection, i64, i64) -> StoreResult<T>,
) -> StoreResult<()> {
    let Some(Replaced { id, before }) = replaced else {
        return Ok(());
    };
    let after = link(c, id, new)?;
    let mut event = actor.audit("void", record_kind);
    event.record_id = Some(id);
    event.before = Some(before);
    audit::append(c, &event, snapshot(&after)?)?;
    Ok(())
}
