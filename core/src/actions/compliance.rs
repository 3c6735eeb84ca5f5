//! Reading a practice's compliance: its records on one snapshot, evaluated by the pure view.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::CatalogSet;
use crate::ids::PracticeId;
use crate::records::Basis;
use crate::rules::view::{self, PracticeCompliance};
use crate::store::voids::Known;
use crate::store::{kept, practices, records, Store, StoreError, StoreResult};

/// The practice's compliance as of `as_of`, or as of its own today (in its time zone) at `now`.
pub fn practice_compliance(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> StoreResult<PracticeCompliance> {
    practice_compliance_on(store, catalogs, practice, as_of, now, Basis::corrected())
}

/// [`practice_compliance`] from the records `basis` names: today's corrected ones, or those
/// known at the end of a past day (recorded by then; voided only later counts as not voided).
pub fn practice_compliance_on(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
    basis: Basis,
) -> StoreResult<PracticeCompliance> {
    let known = Known::of(basis);
    let (practice, records) = store.read(|c| c.snapshot(|c| records::for_practice_known(c, practice, known)))?;
    let as_of = as_of.unwrap_or_else(|| practice.today(now));
    let mut compliance = view::practice_compliance(catalogs, practice, &records, as_of)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    compliance.basis = basis;
    Ok(compliance)
}

/// Serialized practice views kept in this process, by store, practice and day, with the revision of the
/// records they were computed from: a view is served again only while the practice's records are
/// at that revision (any write to them increments it), so it is never older than the records.
struct ViewCache {
    views: HashMap<(u64, PracticeId, NaiveDate), CachedView>,
    order: VecDeque<(u64, PracticeId, NaiveDate)>,
    bytes: usize,
}

struct CachedView {
    revision: i64,
    fingerprint: String,
    json: Arc<[u8]>,
}

/// The most bytes of serialized views kept in memory (the oldest go first).
const VIEW_CACHE_BYTES: usize = 32 * 1024 * 1024;

fn view_cache() -> &'static Mutex<ViewCache> {
    static CACHE: OnceLock<Mutex<ViewCache>> = OnceLock::new();
    CACHE.get_or_init(|| {
        Mutex::new(ViewCache {
            views: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
        })
    })
}

impl ViewCache {
    fn get(&self, key: (u64, PracticeId, NaiveDate), revision: i64, fingerprint: &str) -> Option<Arc<[u8]>> {
        self.views
            .get(&key)
            .filter(|v| v.revision == revision && v.fingerprint == fingerprint)
            .map(|v| v.json.clone())
    }

    fn put(&mut self, key: (u64, PracticeId, NaiveDate), view: CachedView) {
        if let Some(old) = self.views.remove(&key) {
            self.bytes -= old.json.len();
            self.order.retain(|k| *k != key);
        }
        self.bytes += view.json.len();
        self.views.insert(key, view);
        self.order.push_back(key);
        while self.bytes > VIEW_CACHE_BYTES {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(gone) = self.views.remove(&oldest) {
                self.bytes -= gone.json.len();
            }
        }
    }
}

/// [`practice_compliance_on`] as JSON bytes (the API's answer). Today's corrected view is kept in
/// memory and served again while the practice's records are unchanged: one short read of the
/// practice decides, so a busy practice's view costs a query, not an evaluation.
pub fn practice_compliance_json(
    store: &Store,
    catalogs: &CatalogSet,
    practice: PracticeId,
    as_of: Option<NaiveDate>,
    now: DateTime<Utc>,
    basis: Basis,
) -> StoreResult<Arc<[u8]>> {
    let serialize = |view: &PracticeCompliance| -> StoreResult<Arc<[u8]>> {
        serde_json::to_vec(view)
            .map(Arc::from)
            .map_err(|e| StoreError::Internal(e.to_string()))
    };
    if basis != Basis::corrected() {
        return serialize(&practice_compliance_on(store, catalogs, practice, as_of, now, basis)?);
    }
    let fingerprint = catalogs.fingerprint();
    let (row, revision) = store.read(|c| Ok((practices::get(c, practice)?, kept::practice_revision(c, practice)?)))?;
    let day = as_of.unwrap_or_else(|| row.today(now));
    let cache = || view_cache().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(json) = cache().get((store.instance(), practice, day), revision, fingerprint) {
        return Ok(json);
    }
    // The revision is read on the snapshot the records are read on, so the view is kept under
    // the revision of the records it was computed from.
    let (revision, practice_row, records) = store.read(|c| {
        c.snapshot(|c| {
            let revision = kept::practice_revision(c, practice)?;
            let (practice_row, records) = records::for_practice(c, practice)?;
            Ok((revision, practice_row, records))
        })
    })?;
    let view = view::practice_compliance(catalogs, practice_row, &records, day)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    let json = serialize(&view)?;
    cache().put(
        (store.instance(), practice, day),
        CachedView {
            revision,
            fingerprint: fingerprint.to_owned(),
            json: json.clone(),
        },
    );
    Ok(json)
}
