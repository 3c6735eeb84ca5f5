//! The audit trail: one event per write, appended in the write's own transaction, chained by
//! SHA-256 so that editing, deleting, reordering or moving events is detectable.
//!
//! The trail is made of chains: each PO's events form a chain of their own (its `chain` is the
//! PO's id), and events that concern no PO (admin tokens, accounts without a PO, failed sign-ins
//! of no account) form the server-wide chain 0. Event `n` of a chain stores `prev_hash` (the
//! hash of event `n-1` of that chain, zeros for the first), its `content` (canonical JSON of
//! everything it says, its chain included) and `hash = SHA-256(prev_hash || content)`.
//!
//! Each chain's end is kept in its row of `audit_chain_head`; a writer locks only that row
//! (`FOR UPDATE` on PostgreSQL, creating it first for a PO's first event; SQLite already holds
//! the write lock), so the events of a chain are numbered 1, 2, 3... without gaps even when
//! several servers write to one database, and writes to different POs never wait on each other.
//!
//! The trail was one chain before POs had their own. Those events keep their bytes, numbers and
//! hashes: they are the start of chain 0, and their content names no chain (an event whose
//! content names none belongs to chain 0). A PO's chain starts at event 1 from the zero hash
//! with its first event written since. An event lists with its `chain` when its content has one.
//!
//! The hashed content writes `occurred_at` in UTC without an offset (`2026-11-28T16:55:01.507162`),
//! as every event has since the first: writing it otherwise would change the hash of the same
//! event. Everywhere else (the API, packets, pages) the instant carries its offset (`...Z`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::{audit_chain_head, audit_events};
use super::{now, on_backend, Connection, Listing, Page, StoreResult};
use crate::hash::sha256_hex;
use crate::ids::{OrganizationId, PracticeId};

/// The hash before the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The server-wide chain: events that concern no PO, and every event written before POs had
/// chains of their own.
pub const SERVER_CHAIN: i64 = 0;

/// The chain of an event concerning `organization`: the PO's own, or the server-wide one.
pub fn chain_of(organization: Option<OrganizationId>) -> i64 {
    organization.map_or(SERVER_CHAIN, |o| o.0)
}

/// A chain in words: "chain 7 (PO 7)" or "chain 0 (server-wide)".
pub fn chain_name(chain: i64) -> String {
    if chain == SERVER_CHAIN {
        format!("chain {chain} (server-wide)")
    } else {
        format!("chain {chain} (PO {chain})")
    }
}

/// What a write did, to be appended to the trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// The token that wrote (never its secret); none for the command line.
    pub token_id: Option<i64>,
    /// The signed-in person who wrote, for writes made in the browser.
    pub user_id: Option<i64>,
    /// What was done: create, update, supersede, upload, import, revoke, ...
    pub action: &'static str,
    /// What kind of record: staff, training, attestation, token, ...
    pub record_kind: &'static str,
    /// The record's id, when it is not the `id` of what the write returns.
    pub record_id: Option<i64>,
    /// The PO concerned (its chain is the event's).
    pub organization: Option<OrganizationId>,
    /// The practice concerned.
    pub practice: Option<PracticeId>,
    /// The record before the write (updates and supersedes).
    pub before: Option<Value>,
}

impl Audit {
    /// An event of `action` on a record of `record_kind`.
    pub fn new(token_id: Option<i64>, action: &'static str, record_kind: &'static str) -> Self {
        Audit {
            token_id,
            user_id: None,
            action,
            record_kind,
            record_id: None,
            organization: None,
            practice: None,
            before: None,
        }
    }

    /// An event of `action` by `principal` (the token or the person it stands for).
    pub fn by(principal: &crate::access::Principal, action: &'static str, record_kind: &'static str) -> Self {
        let mut audit = Audit::new(principal.token_id, action, record_kind);
        audit.user_id = principal.user_id;
        audit
    }

    /// The same event, concerning `organization` and `practice`.
    pub fn within(mut self, organization: Option<OrganizationId>, practice: Option<PracticeId>) -> Self {
        self.organization = organization;
        self.practice = practice;
        self
    }
}

/// What one event says; its canonical JSON is what the hash covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventContent {
    /// The chain it belongs to: its PO's id, or 0 for the server-wide chain. Absent on events
    /// written before POs had chains of their own, which are the start of chain 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<i64>,
    /// Its place in its chain, from 1.
    pub seq: i64,
    /// When the write happened, in UTC (`2026-11-28T16:55:01.507162Z`); the hash covers it without the `Z`.
    #[serde(deserialize_with = "crate::instant::utc_or_naive")]
    pub occurred_at: DateTime<Utc>,
    /// The token that wrote.
    pub token_id: Option<i64>,
    /// The signed-in person who wrote (absent for tokens and the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// What was done.
    pub action: String,
    /// What kind of record.
    pub record_kind: String,
    /// The record's id.
    pub record_id: Option<i64>,
    /// The PO concerned.
    pub organization_id: Option<i64>,
    /// The practice concerned.
    pub practice_id: Option<i64>,
    /// The record before.
    pub before: Option<Value>,
    /// The record after.
    pub after: Value,
}

impl EventContent {
    /// The chain the content puts the event in (chain 0 for events that name none).
    pub fn chain(&self) -> i64 {
        self.chain.unwrap_or(SERVER_CHAIN)
    }
}

/// An event as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// What it says.
    #[serde(flatten)]
    pub content: EventContent,
    /// The hash of the event before it in its chain.
    pub prev_hash: String,
    /// SHA-256(prev_hash || canonical content).
    pub hash: String,
}

/// The canonical form of an event's content, which its hash covers: JSON with keys in sorted
/// order, and `occurred_at` in UTC without an offset (`2026-11-28T16:55:01.507162`), the form
/// events were hashed in before instants carried their offset on the wire. Keeping it keeps
/// the hashed bytes of an event the same whichever version wrote it; an event that names no
/// chain (one written before chains) has no `chain` key.
pub fn canonical(content: &EventContent) -> String {
    // serde_json's maps are sorted (BTreeMap), so going through Value sorts every level.
    serde_json::to_value(content)
        .and_then(|mut v| {
            v["occurred_at"] = serde_json::to_value(content.occurred_at.naive_utc())?;
            serde_json::to_string(&v)
        })
        .unwrap_or_default()
}

/// The hash that follows `prev_hash` for `content`.
pub fn chain_hash(prev_hash: &str, content: &str) -> String {
    let mut bytes = Vec::with_capacity(prev_hash.len() + content.len());
    bytes.extend_from_slice(prev_hash.as_bytes());
    bytes.extend_from_slice(content.as_bytes());
    sha256_hex(&bytes)
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct Row {
    seq: i64,
    occurred_at: NaiveDateTime,
    token_id: Option<i64>,
    action: String,
    record_kind: String,
    record_id: Option<i64>,
    organization_id: Option<i64>,
    practice_id: Option<i64>,
    content: String,
    prev_hash: String,
    hash: String,
    user_id: Option<i64>,
}

/// Locks the head of `chain` until the transaction ends (PostgreSQL; SQLite's writer already
/// holds the database) and returns its last event's number and hash. A chain's first writer
/// makes its head: when two servers race to, one inserts it and the other waits and finds it.
fn lock_head(conn: &mut Connection, chain: i64) -> StoreResult<(i64, String)> {
    let head = (audit_chain_head::seq, audit_chain_head::hash);
    let genesis = (
        audit_chain_head::chain.eq(chain),
        audit_chain_head::seq.eq(0_i64),
        audit_chain_head::hash.eq(GENESIS),
    );
    Ok(match conn {
        Connection::Postgres(c) => {
            let found = audit_chain_head::table
                .find(chain)
                .select(head)
                .for_update()
                .first(c)
                .optional()?;
            match found {
                Some(found) => found,
                None => {
                    diesel::insert_into(audit_chain_head::table)
                        .values(genesis)
                        .on_conflict_do_nothing()
                        .execute(c)?;
                    audit_chain_head::table.find(chain).select(head).for_update().first(c)?
                }
            }
        }
        Connection::Sqlite(c) => {
            let found = audit_chain_head::table.find(chain).select(head).first(c).optional()?;
            match found {
                Some(found) => found,
                None => {
                    diesel::insert_into(audit_chain_head::table)
                        .values(genesis)
                        .execute(c)?;
                    (0, GENESIS.to_owned())
                }
            }
        }
    })
}

/// Holds the end of the chain of `organization` (the PO's, or the server-wide one for none)
/// until the transaction ends: call it first in a write that reads a record's `before`, with
/// the PO its event will concern. On PostgreSQL (READ COMMITTED) another transaction could
/// otherwise change the record between that read and the write, and the event would tell a
/// `before` that was no longer true; holding the end makes audited writes of one record follow
/// each other. SQLite's writers already queue for the whole transaction.
///
/// A transaction may hold the server-wide chain and then append to one PO's (a change to an
/// account found to be of that PO), never the other way round, nor two POs' chains: locks are
/// then always taken in one order.
pub fn hold(conn: &mut Connection, organization: Option<OrganizationId>) -> StoreResult<()> {
    if let Connection::Postgres(_) = conn {
        lock_head(conn, chain_of(organization))?;
    }
    Ok(())
}

/// Appends the event for a write whose result is `after` to the chain of its PO (or the
/// server-wide chain); call it inside the write's transaction.
pub fn append(conn: &mut Connection, audit: &Audit, after: Value) -> StoreResult<AuditEvent> {
    let chain = chain_of(audit.organization);
    let (head_seq, head_hash) = lock_head(conn, chain)?;
    // After the chain's head is locked: every audited write takes its locks in the same order
    // (head, then practice and PO rows), so two writers of one PO never wait on each other in a circle.
    super::kept::mark_stale(conn, audit)?;
    let record_id = audit.record_id.or_else(|| after.get("id").and_then(Value::as_i64));
    let content = EventContent {
        chain: Some(chain),
        seq: head_seq + 1,
        occurred_at: now().and_utc(),
        token_id: audit.token_id,
        user_id: audit.user_id,
        action: audit.action.to_owned(),
        record_kind: audit.record_kind.to_owned(),
        record_id,
        organization_id: audit.organization.map(|o| o.0),
        practice_id: audit.practice.map(|p| p.0),
        before: audit.before.clone(),
        after,
    };
    let text = canonical(&content);
    let hash = chain_hash(&head_hash, &text);
    on_backend!(conn, |c| {
        diesel::insert_into(audit_events::table)
            .values((
                audit_events::chain.eq(chain),
                audit_events::seq.eq(content.seq),
                audit_events::occurred_at.eq(content.occurred_at.naive_utc()),
                audit_events::token_id.eq(content.token_id),
                audit_events::user_id.eq(content.user_id),
                audit_events::action.eq(&content.action),
                audit_events::record_kind.eq(&content.record_kind),
                audit_events::record_id.eq(content.record_id),
                audit_events::organization_id.eq(content.organization_id),
                audit_events::practice_id.eq(content.practice_id),
                audit_events::content.eq(&text),
                audit_events::prev_hash.eq(&head_hash),
                audit_events::hash.eq(&hash),
            ))
            .execute(c)?;
        diesel::update(audit_chain_head::table.find(chain))
            .set((audit_chain_head::seq.eq(content.seq), audit_chain_head::hash.eq(&hash)))
            .execute(c)
    })?;
    Ok(AuditEvent {
        content,
        prev_hash: head_hash,
        hash,
    })
}

/// How many events the trail holds, every chain together: the sum of the chains' last
/// sequence numbers (one row read per chain, never the events).
pub fn chain_length(conn: &mut Connection) -> StoreResult<i64> {
    let heads: Vec<i64> = on_backend!(conn, |c| audit_chain_head::table
        .select(audit_chain_head::seq)
        .load::<i64>(c))?;
    Ok(heads.into_iter().sum())
}

/// What walking one chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainVerification {
    /// The chain: a PO's id, or 0 for the server-wide chain.
    pub chain: i64,
    /// How many of its events were checked and fit, from event 1.
    pub events: i64,
    /// The hash of its last event, as its head keeps it (none when it has no head).
    pub head_hash: Option<String>,
    /// The first event that does not fit, and why; none when the chain is intact.
    pub first_break: Option<(i64, String)>,
}

impl ChainVerification {
    /// Whether the chain is intact.
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }

    /// What was found, in one line: "chain 7 (PO 7): intact, 12 events" or
    /// "chain 7 (PO 7): broken at event 4: event 4 was altered: ...".
    pub fn summary(&self) -> String {
        match &self.first_break {
            None => format!("{}: intact, {} events", chain_name(self.chain), self.events),
            Some((seq, why)) => format!("{}: broken at event {seq}: {why}", chain_name(self.chain)),
        }
    }
}

/// The outcome of walking every chain: one by one, then together (every chain with events has
/// a head and every head its events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Each chain found (a head, events, or both), by chain number.
    pub chains: Vec<ChainVerification>,
}

impl Verification {
    /// Whether every chain is intact.
    pub fn intact(&self) -> bool {
        self.chains.iter().all(ChainVerification::intact)
    }

    /// How many events were checked and fit, every chain together.
    pub fn events(&self) -> i64 {
        self.chains.iter().map(|c| c.events).sum()
    }

    /// The chains that do not verify.
    pub fn broken(&self) -> impl Iterator<Item = &ChainVerification> {
        self.chains.iter().filter(|c| !c.intact())
    }
}

/// Events read at once while walking a chain.
const WALK_PAGE: i64 = 1000;

/// Walks every chain in order and names, for each, the first event that does not fit. The
/// heads and every event are read in one snapshot, so writes going on meanwhile (events
/// committed after a head was read) are not mistaken for tampering.
pub fn verify(conn: &mut Connection) -> StoreResult<Verification> {
    conn.snapshot(verify_all)
}

fn verify_all(conn: &mut Connection) -> StoreResult<Verification> {
    let heads: Vec<(i64, i64, String)> = on_backend!(conn, |c| audit_chain_head::table
        .select((audit_chain_head::chain, audit_chain_head::seq, audit_chain_head::hash))
        .order(audit_chain_head::chain)
        .load(c))?;
    let with_events: Vec<i64> = on_backend!(conn, |c| audit_events::table
        .select(audit_events::chain)
        .distinct()
        .load(c))?;
    let mut chains: Vec<i64> = heads.iter().map(|h| h.0).chain(with_events).collect();
    chains.sort_unstable();
    chains.dedup();
    let mut verified = Vec::with_capacity(chains.len());
    for chain in chains {
        let head = heads
            .iter()
            .find(|h| h.0 == chain)
            .map(|(_, seq, hash)| (*seq, hash.clone()));
        verified.push(verify_chain(conn, chain, head)?);
    }
    Ok(Verification { chains: verified })
}

/// Walks one chain from event 1: numbers without gaps, each event linked to the one before,
/// hashed as written, in the chain its content names, its columns as its content; then its
/// head (`head`: the last number and hash) must be its last event.
fn verify_chain(conn: &mut Connection, chain: i64, head: Option<(i64, String)>) -> StoreResult<ChainVerification> {
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_owned();
    let mut last_seq = 0;
    let head_hash = head.as_ref().map(|(_, hash)| hash.clone());
    let broken = |events: i64, seq: i64, why: String| ChainVerification {
        chain,
        events,
        head_hash: head_hash.clone(),
        first_break: Some((seq, why)),
    };
    loop {
        let rows: Vec<Row> = on_backend!(conn, |c| audit_events::table
            .filter(audit_events::chain.eq(chain))
            .filter(audit_events::seq.ge(expected_seq))
            .order(audit_events::seq)
            .limit(WALK_PAGE)
            .select(Row::as_select())
            .load(c))?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let checked = expected_seq - 1;
            if row.seq != expected_seq {
                return Ok(broken(
                    checked,
                    expected_seq,
                    format!("event {expected_seq} is missing (the next one is {})", row.seq),
                ));
            }
            if chain_hash(&row.prev_hash, &row.content) != row.hash {
                return Ok(broken(
                    checked,
                    row.seq,
                    format!("event {} was altered: its content no longer gives its hash", row.seq),
                ));
            }
            let content: EventContent = match serde_json::from_str(&row.content) {
                Ok(content) => content,
                Err(e) => {
                    return Ok(broken(
                        checked,
                        row.seq,
                        format!("event {} has unreadable content: {e}", row.seq),
                    ))
                }
            };
            if content.chain() != chain {
                return Ok(broken(
                    checked,
                    row.seq,
                    format!(
                        "event {} was moved: its hashed content puts it in chain {} as event {}",
                        row.seq,
                        content.chain(),
                        content.seq
                    ),
                ));
            }
            if row.prev_hash != prev_hash {
                return Ok(broken(
                    checked,
                    row.seq,
                    format!(
                        "event {} does not follow event {}: its prev_hash differs",
                        row.seq,
                        row.seq - 1
                    ),
                ));
            }
            let columns_agree = content.seq == row.seq
                && content.occurred_at == row.occurred_at.and_utc()
                && content.token_id == row.token_id
                && content.user_id == row.user_id
                && content.action == row.action
                && content.record_kind == row.record_kind
                && content.record_id == row.record_id
                && content.organization_id == row.organization_id
                && content.practice_id == row.practice_id;
            if !columns_agree {
                return Ok(broken(
                    checked,
                    row.seq,
                    format!(
                        "event {} was altered: its columns differ from its hashed content",
                        row.seq
                    ),
                ));
            }
            if content
                .chain
                .is_some_and(|named| named != chain_of(content.organization_id.map(OrganizationId)))
            {
                return Ok(broken(
                    checked,
                    row.seq,
                    format!(
                        "event {} concerns {} but is in chain {chain}",
                        row.seq,
                        content
                            .organization_id
                            .map_or_else(|| "no PO".to_owned(), |o| format!("PO {o}"))
                    ),
                ));
            }
            prev_hash = row.hash.clone();
            last_seq = row.seq;
            expected_seq += 1;
        }
    }
    match head {
        None => Ok(broken(
            last_seq,
            last_seq,
            format!("the chain has {last_seq} events but no head: its head was deleted"),
        )),
        Some((head_seq, _)) if head_seq > last_seq => Ok(broken(
            last_seq,
            last_seq + 1,
            format!(
                "the chain ends at event {last_seq} but {head_seq} events were written: the last ones were deleted"
            ),
        )),
        Some((head_seq, _)) if head_seq < last_seq => Ok(broken(
            head_seq,
            head_seq + 1,
            format!(
                "the chain's head is event {head_seq} but it goes on to event {last_seq}: its head was moved back or events were added behind it"
            ),
        )),
        Some((_, hash)) if hash != prev_hash => Ok(broken(
            (last_seq - 1).max(0),
            last_seq,
            format!("the chain's head does not hold the hash of event {last_seq}, its last"),
        )),
        Some(_) => Ok(ChainVerification {
            chain,
            events: last_seq,
            head_hash,
            first_break: None,
        }),
    }
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    /// Only events of this chain (a PO's id, or 0 for the server-wide chain).
    pub chain: Option<i64>,
    /// Only events on records of this kind.
    pub record_kind: Option<String>,
    /// Only events on the record with this id.
    pub record_id: Option<i64>,
    /// Only events concerning this practice.
    pub practice: Option<PracticeId>,
    /// Only events concerning this PO (its own and its practices').
    pub organization: Option<OrganizationId>,
    /// Only events at or after this moment.
    pub since: Option<DateTime<Utc>>,
    /// Only events before this moment.
    pub until: Option<DateTime<Utc>>,
    /// Leave out events of this action (e.g. "export").
    pub except_action: Option<String>,
    /// Only events by this signed-in person (user id).
    pub user_id: Option<i64>,
    /// Only events by this API token (token id).
    pub token_id: Option<i64>,
}

/// A page of events in the order they were written: by `occurred_at`, then chain and number
/// (within one chain, the chain's order; with a `chain` filter, by number alone).
pub fn list(conn: &mut Connection, filter: &EventFilter, page: Page) -> StoreResult<Listing<AuditEvent>> {
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let build = || {
            let mut query = audit_events::table.into_boxed();
            if let Some(chain) = filter.chain {
                query = query.filter(audit_events::chain.eq(chain));
            }
            if let Some(kind) = &filter.record_kind {
                query = query.filter(audit_events::record_kind.eq(kind.clone()));
            }
            if let Some(action) = &filter.except_action {
                query = query.filter(audit_events::action.ne(action.clone()));
            }
            if let Some(user) = filter.user_id {
                query = query.filter(audit_events::user_id.eq(user));
            }
            if let Some(token) = filter.token_id {
                query = query.filter(audit_events::token_id.eq(token));
            }
            if let Some(id) = filter.record_id {
                query = query.filter(audit_events::record_id.eq(id));
            }
            if let Some(p) = filter.practice {
                query = query.filter(audit_events::practice_id.eq(p.0));
            }
            if let Some(o) = filter.organization {
                query = query.filter(audit_events::organization_id.eq(o.0));
            }
            if let Some(since) = filter.since {
                query = query.filter(audit_events::occurred_at.ge(since.naive_utc()));
            }
            if let Some(until) = filter.until {
                query = query.filter(audit_events::occurred_at.lt(until.naive_utc()));
            }
            query
        };
        let ordered = if filter.chain.is_some() {
            build().order(audit_events::seq)
        } else {
            build().order((audit_events::occurred_at, audit_events::chain, audit_events::seq))
        };
        let rows = ordered
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = build().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    let items = rows
        .into_iter()
        .filter_map(|row| {
            let content = serde_json::from_str(&row.content).ok()?;
            Some(AuditEvent {
                content,
                prev_hash: row.prev_hash,
                hash: row.hash,
            })
        })
        .collect();
    Ok(Listing {
        items,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Connection as _;

    #[test]
    fn the_canonical_form_sorts_keys_and_is_stable() {
        let content = EventContent {
            chain: Some(1),
            seq: 1,
            occurred_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap()
                .and_utc(),
            token_id: Some(3),
            user_id: None,
            action: "create".into(),
            record_kind: "staff".into(),
            record_id: Some(9),
            organization_id: Some(1),
            practice_id: Some(2),
            before: None,
            after: serde_json::json!({"z": 1, "a": {"y": 2, "b": 3}}),
        };
        let text = canonical(&content);
        assert!(
            text.starts_with(r#"{"action":"create","after":{"a":{"b":3,"y":2},"z":1},"before":null,"chain":1,"#),
            "{text}"
        );
        assert_eq!(text, canonical(&serde_json::from_str(&text).unwrap()));
        assert_eq!(chain_hash(GENESIS, &text).len(), 64);
        assert!(text.contains(r#""occurred_at":"2026-11-24T10:00:00","#), "{text}");
    }

    /// An event's content as the trail stored it before instants carried their offset on the
    /// wire, and the hash it was stored with.
    const STORED: &str = r#"{"action":"create","after":{"id":7,"name":"Maple Street PO"},"before":null,"occurred_at":"2026-11-28T16:55:01.507162","organization_id":7,"practice_id":null,"record_id":7,"record_kind":"organization","seq":1,"token_id":1}"#;
    const STORED_HASH: &str = "e368c85db6a2c6b156c982cae1fb83e13afe6a9e4219344140b399da1d5f3a48";

    #[test]
    fn an_event_stored_before_offsets_keeps_its_bytes_and_hash() {
        use chrono::TimeZone;
        let content: EventContent = serde_json::from_str(STORED).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 16, 55, 1).unwrap() + chrono::Duration::microseconds(507_162);
        assert_eq!(content.occurred_at, at);
        assert_eq!(canonical(&content), STORED, "the hashed bytes are those stored");
        assert_eq!(chain_hash(GENESIS, &canonical(&content)), STORED_HASH);
        let wire = serde_json::to_value(&content).unwrap();
        assert_eq!(
            wire["occurred_at"], "2026-11-28T16:55:01.507162Z",
            "the wire form has its offset"
        );
    }

    #[test]
    fn an_event_stored_before_offsets_verifies_and_lists_with_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        store.migrate().unwrap();
        let stored_at = chrono::NaiveDate::from_ymd_opt(2026, 11, 28)
            .unwrap()
            .and_hms_micro_opt(16, 55, 1, 507_162)
            .unwrap();
        store
            .write(|conn| {
                on_backend!(conn, |c| {
                    diesel::insert_into(audit_events::table)
                        .values((
                            audit_events::chain.eq(SERVER_CHAIN),
                            audit_events::seq.eq(1),
                            audit_events::occurred_at.eq(stored_at),
                            audit_events::token_id.eq(Some(1)),
                            audit_events::action.eq("create"),
                            audit_events::record_kind.eq("organization"),
                            audit_events::record_id.eq(Some(7)),
                            audit_events::organization_id.eq(Some(7)),
                            audit_events::content.eq(STORED),
                            audit_events::prev_hash.eq(GENESIS),
                            audit_events::hash.eq(STORED_HASH),
                        ))
                        .execute(c)?;
                    diesel::update(audit_chain_head::table.find(SERVER_CHAIN))
                        .set((audit_chain_head::seq.eq(1), audit_chain_head::hash.eq(STORED_HASH)))
                        .execute(c)
                })?;
                append(conn, &Audit::new(None, "create", "token"), serde_json::json!({"id": 2}))?;
                Ok(())
            })
            .unwrap();
        let verification = store.read(verify).unwrap();
        assert!(verification.intact(), "{verification:?}");
        assert_eq!(verification.events(), 2);
        let listed = store
            .read(|c| list(c, &EventFilter::default(), Page::default()))
            .unwrap();
        assert_eq!(listed.items.len(), 2);
        let old = serde_json::to_value(&listed.items[0]).unwrap();
        assert_eq!(old["occurred_at"], "2026-11-28T16:55:01.507162Z");
        assert_eq!(old["hash"], STORED_HASH);
        let since = Some(stored_at.and_utc() + chrono::Duration::microseconds(1));
        let later = store
            .read(|c| {
                list(
                    c,
                    &EventFilter {
                        since,
                        ..EventFilter::default()
                    },
                    Page::default(),
                )
            })
            .unwrap();
        assert_eq!(later.items.iter().map(|e| e.content.seq).collect::<Vec<_>>(), [2]);
    }

    /// A database of each backend the tests can use: SQLite in `dir`, and PostgreSQL (a fresh
    /// database, dropped with the returned guard) when `PCMH_TEST_POSTGRES_URL` names a server.
    fn backends(dir: &std::path::Path) -> Vec<(String, Option<DropDatabase>)> {
        let mut urls = vec![(format!("sqlite://{}", dir.join("t.db").display()), None)];
        if let Some(admin) = std::env::var("PCMH_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) {
            use diesel::connection::SimpleConnection;
            let name = format!(
                "pcmh_unit_audit_{}_{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            );
            let mut conn = diesel::PgConnection::establish(&admin).expect("the test PostgreSQL server answers");
            conn.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let base = admin.split('?').next().unwrap_or(&admin);
            let url = format!("{}/{name}", base.rsplit_once('/').map_or(base, |(b, _)| b));
            urls.push((url, Some(DropDatabase { admin, name })));
        }
        urls
    }

    /// Drops a test's PostgreSQL database.
    struct DropDatabase {
        admin: String,
        name: String,
    }

    impl Drop for DropDatabase {
        fn drop(&mut self) {
            use diesel::connection::SimpleConnection;
            if let Ok(mut conn) = diesel::PgConnection::establish(&self.admin) {
                let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            }
        }
    }

    /// Runs the migrations before `2026-11-29-000007_organization_audit_chains` on `url`.
    fn migrate_to_one_chain(url: &str) -> Box<dyn diesel::connection::SimpleConnection> {
        use diesel::migration::MigrationSource;
        use diesel_migrations::MigrationHarness;
        fn before<DB: diesel::backend::Backend, C: MigrationHarness<DB> + diesel::migration::MigrationConnection>(
            conn: &mut C,
            source: &impl MigrationSource<DB>,
        ) {
            conn.setup().unwrap();
            for migration in source.migrations().unwrap() {
                if migration.name().to_string().contains("organization_audit_chains") {
                    break;
                }
                conn.run_migration(&*migration).unwrap();
            }
        }
        match url.strip_prefix("sqlite://") {
            Some(path) => {
                let mut conn = diesel::SqliteConnection::establish(path).unwrap();
                before(&mut conn, &crate::store::SQLITE_MIGRATIONS);
                Box::new(conn)
            }
            None => {
                let mut conn = diesel::PgConnection::establish(url).unwrap();
                before(&mut conn, &crate::store::POSTGRES_MIGRATIONS);
                Box::new(conn)
            }
        }
    }

    /// A database written when the trail was one chain upgrades: its event keeps its bytes,
    /// number and hash as the start of chain 0, a PO's events then start the PO's own chain,
    /// and the next server-wide event follows the old one.
    #[test]
    fn an_old_single_chain_upgrades_into_chain_zero() {
        let dir = tempfile::tempdir().unwrap();
        for (url, _guard) in backends(dir.path()) {
            let mut old = migrate_to_one_chain(&url);
            old.batch_execute(&format!(
                "INSERT INTO audit_events (seq, occurred_at, token_id, action, record_kind, record_id, \
                 organization_id, practice_id, content, prev_hash, hash) VALUES (1, '2026-11-28 16:55:01.507162', \
                 1, 'create', 'organization', 7, 7, NULL, '{STORED}', '{GENESIS}', '{STORED_HASH}'); \
                 UPDATE audit_chain_head SET seq = 1, hash = '{STORED_HASH}' WHERE id = 1;"
            ))
            .unwrap();
            drop(old);
            let store = crate::store::Store::open(&url).unwrap();
            store.migrate().unwrap();
            let verification = store.read(verify).unwrap();
            assert!(verification.intact(), "{url}: {verification:?}");
            assert_eq!(verification.chains.len(), 1, "{url}");
            assert_eq!(verification.chains[0].chain, SERVER_CHAIN);
            assert_eq!(verification.chains[0].head_hash.as_deref(), Some(STORED_HASH));
            let old = store
                .read(|c| list(c, &EventFilter::default(), Page::default()))
                .unwrap()
                .items;
            assert_eq!(old[0].content.chain, None, "{url}");
            assert_eq!(canonical(&old[0].content), STORED, "{url}: the same bytes");
            assert_eq!(old[0].hash, STORED_HASH);

            let (po, server) = store
                .write(|c| {
                    let po = append(
                        c,
                        &Audit::new(None, "rename", "organization").within(Some(OrganizationId(7)), None),
                        serde_json::json!({"id": 7}),
                    )?;
                    let server = append(c, &Audit::new(None, "create", "token"), serde_json::json!({"id": 2}))?;
                    Ok((po, server))
                })
                .unwrap();
            assert_eq!((po.content.chain, po.content.seq), (Some(7), 1), "{url}");
            assert_eq!(po.prev_hash, GENESIS);
            assert_eq!((server.content.chain, server.content.seq), (Some(SERVER_CHAIN), 2));
            assert_eq!(
                server.prev_hash, STORED_HASH,
                "{url}: the next server-wide event follows"
            );
            let verification = store.read(verify).unwrap();
            assert!(verification.intact(), "{url}: {verification:?}");
            assert_eq!(
                verification
                    .chains
                    .iter()
                    .map(|c| (c.chain, c.events))
                    .collect::<Vec<_>>(),
                [(0, 2), (7, 1)]
            );
            assert_eq!(store.read(chain_length).unwrap(), 3);
        }
    }

    /// Each PO's events are numbered in its own chain from 1; events of no PO go to chain 0;
    /// the chain is part of the hashed content, and one chain lists in its order.
    #[test]
    fn each_po_has_its_own_chain() {
        let dir = tempfile::tempdir().unwrap();
        for (url, _guard) in backends(dir.path()) {
            let store = crate::store::Store::open(&url).unwrap();
            store.migrate().unwrap();
            let of = |po: Option<i64>| Audit::new(None, "create", "staff").within(po.map(OrganizationId), None);
            let events = store
                .write(|c| {
                    let mut events = Vec::new();
                    for po in [Some(3), Some(5), Some(3), None, Some(3), Some(5)] {
                        hold(c, po.map(OrganizationId))?;
                        events.push(append(c, &of(po), serde_json::json!({"id": 1}))?);
                    }
                    Ok(events)
                })
                .unwrap();
            let places: Vec<(Option<i64>, i64)> = events.iter().map(|e| (e.content.chain, e.content.seq)).collect();
            assert_eq!(
                places,
                [
                    (Some(3), 1),
                    (Some(5), 1),
                    (Some(3), 2),
                    (Some(0), 1),
                    (Some(3), 3),
                    (Some(5), 2)
                ],
                "{url}"
            );
            assert_eq!(events[2].prev_hash, events[0].hash);
            assert_eq!(events[1].prev_hash, GENESIS);
            assert!(canonical(&events[0].content).contains(r#""chain":3,"#));
            let verification = store.read(verify).unwrap();
            assert!(verification.intact(), "{url}: {verification:?}");
            assert_eq!(
                verification
                    .chains
                    .iter()
                    .map(|c| (c.chain, c.events))
                    .collect::<Vec<_>>(),
                [(0, 1), (3, 3), (5, 2)],
                "{url}: chain 0's head was made by the migrations, with no event until now"
            );
            assert_eq!(verification.chains[1].summary(), "chain 3 (PO 3): intact, 3 events");
            let chain = EventFilter {
                chain: Some(3),
                ..EventFilter::default()
            };
            let listed = store.read(|c| list(c, &chain, Page::default())).unwrap();
            assert_eq!(
                listed.items.iter().map(|e| e.content.seq).collect::<Vec<_>>(),
                [1, 2, 3]
            );
            assert_eq!(store.read(chain_length).unwrap(), 6);
        }
    }

    /// Two servers writing the first events of a new chain at once: one makes its head, the
    /// other waits for it and writes event 2 (PostgreSQL; SQLite's writers queue).
    #[test]
    fn two_servers_starting_one_chain_make_one_head() {
        let dir = tempfile::tempdir().unwrap();
        for (url, _guard) in backends(dir.path()) {
            let first = crate::store::Store::open(&url).unwrap();
            first.migrate().unwrap();
            let second = crate::store::Store::open(&url).unwrap();
            let event = Audit::new(None, "create", "staff").within(Some(OrganizationId(42)), None);
            let started = std::sync::Barrier::new(2);
            std::thread::scope(|scope| {
                let one = scope.spawn(|| {
                    first
                        .write(|c| {
                            let appended = append(c, &event, serde_json::json!({"id": 1}))?;
                            started.wait();
                            std::thread::sleep(std::time::Duration::from_millis(200));
                            Ok(appended)
                        })
                        .unwrap()
                });
                started.wait();
                let two = second
                    .write(|c| append(c, &event, serde_json::json!({"id": 2})))
                    .unwrap();
                let one = one.join().unwrap();
                assert_eq!((one.content.seq, two.content.seq), (1, 2), "{url}");
                assert_eq!(two.prev_hash, one.hash, "{url}");
            });
            let verification = first.read(verify).unwrap();
            assert!(verification.intact(), "{url}: {verification:?}");
        }
    }
}
