//! Recording trainings, one at a time or many at once from an import file (all or nothing).

use serde_json::json;

use crate::access::Actor;
use crate::catalog::CatalogSet;
use crate::ids::{PracticeId, TrainingId};
use crate::records::TrainingRecord;
use crate::store::trainings::{self, ImportRow, Imported, NewTraining, RowError};
use crate::store::voids::Void;
use crate::store::{audit, Store, StoreResult};

use super::{link_replaced, practice_catalog, snapshot, void_record, void_replaced};

/// Records a completed training of one of `practice`'s staff, on a topic of its catalog version;
/// a correction (`replaces`) voids the record it replaces in the same transaction.
pub fn record_training(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    practice: PracticeId,
    form: &NewTraining,
) -> StoreResult<TrainingRecord> {
    store.write_audited(actor.audit("create", "training"), |c, _| {
        let (_, catalog) = practice_catalog(c, catalogs, practice)?;
        let replaced = void_replaced(c, actor, form.replaces.as_ref(), |c, id, mark| {
            trainings::void(c, practice, TrainingId(id), mark)
        })?;
        let created = trainings::create(c, practice, catalog, form)?;
        link_replaced(c, actor, "training", replaced, created.id.0, |c, old, new| {
            trainings::link(c, practice, TrainingId(old), TrainingId(new))
        })?;
        trainings::get(c, practice, created.id)
    })
}

/// Voids the training record `id` of `practice`, entered by mistake: it stays stored and
/// listed, and no evaluation counts it any more.
pub fn void_training(
    store: &Store,
    actor: &Actor,
    practice: PracticeId,
    id: TrainingId,
    why: &Void,
) -> StoreResult<TrainingRecord> {
    void_record(store, actor, "training", why, |c, mark| {
        trainings::void(c, practice, id, mark)
    })
}

/// Every rule the rows of an import file break against the stored records (staff named by
/// name or id, topics of the catalog, first days), in line order; nothing is written.
pub fn check_import(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    rows: &[ImportRow],
) -> StoreResult<Vec<RowError>> {
    store.read(|c| {
        c.snapshot(|c| {
            let (_, catalog) = practice_catalog(c, catalogs, practice)?;
            let (resolved, mut problems) = trainings::resolve_names(c, practice, rows)?;
            problems.extend(trainings::check_rows(c, practice, catalog, &resolved)?);
            problems.sort_by_key(|p| p.line);
            Ok(problems)
        })
    })
}

/// Writes every row of an import file if every one is good, or none: one audit event for the
/// whole import (its `after` is `{"imported": n, "records": [...]}`), only when rows were written.
pub fn import_trainings(
    store: &Store,
    catalogs: &CatalogSet,
    actor: &Actor,
    practice: PracticeId,
    rows: &[ImportRow],
) -> StoreResult<Imported> {
    store.write(|c| {
        let (_, catalog) = practice_catalog(c, catalogs, practice)?;
        let (resolved, mut problems) = trainings::resolve_names(c, practice, rows)?;
        if !problems.is_empty() {
            problems.extend(trainings::check_rows(c, practice, catalog, &resolved)?);
            problems.sort_by_key(|p| p.line);
            return Ok(Imported::Refused(problems));
        }
        let imported = trainings::import(c, practice, catalog, &resolved)?;
        if let Imported::Written(records) = &imported {
            let after = json!({"imported": records.len(), "records": snapshot(records)?});
            audit::append(c, &actor.audit("import", "training"), after)?;
        }
        Ok(imported)
    })
}
