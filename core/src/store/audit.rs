//! The audit trail: one event per write, appended in the write's own transaction, chained by
//! SHA-256 so that editing, deleting or reordering events is detectable.
//!
//! Event `n` stores `prev_hash` (the hash of event `n-1`, zeros for the first), its `content`
//! (canonical JSON of everything it says) and `hash = SHA-256(prev_hash || content)`. The chain's
//! end is kept in `audit_chain_head`; a writer locks that row (`FOR UPDATE` on PostgreSQL; SQLite
//! already holds the write lock), so events are numbered 1, 2, 3... without gaps even when
//! several servers write to one database.
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

/// The hash before the first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    /// The PO concerned.
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
    /// Its place in the chain, from 1.
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

/// An event as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AuditEvent {
    /// What it says.
    #[serde(flatten)]
    pub content: EventContent,
    /// The hash of the event before it.
    pub prev_hash: String,
    /// SHA-256(prev_hash || canonical content).
    pub hash: String,
}

/// The canonical form of an event's content, which its hash covers: JSON with keys in sorted
/// order, and `occurred_at` in UTC without an offset (`2026-11-28T16:55:01.507162`), the form
/// events were hashed in before instants carried their offset on the wire. Keeping it keeps
/// the hashed bytes of an event the same whichever version wrote it.
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

/// Holds the end of the chain until the transaction ends: call it first in a write that reads
/// a record's `before`. On PostgreSQL (READ COMMITTED) another transaction could otherwise
/// change the record between that read and the write, and the event would tell a `before`
/// that was no longer true; holding the end makes audited writes of one record follow each
/// other. SQLite's writers already queue for the whole transaction.
pub fn hold(conn: &mut Connection) -> StoreResult<()> {
    if let Connection::Postgres(c) = conn {
        audit_chain_head::table
            .find(1)
            .select(audit_chain_head::seq)
            .for_update()
            .first::<i64>(c)?;
    }
    Ok(())
}

/// Appends the event for a write whose result is `after`; call it inside the write's transaction.
pub fn append(conn: &mut Connection, audit: &Audit, after: Value) -> StoreResult<AuditEvent> {
    let (head_seq, head_hash): (i64, String) = match conn {
        Connection::Postgres(c) => audit_chain_head::table
            .find(1)
            .select((audit_chain_head::seq, audit_chain_head::hash))
            .for_update()
            .first(c)?,
        Connection::Sqlite(c) => audit_chain_head::table
            .find(1)
            .select((audit_chain_head::seq, audit_chain_head::hash))
            .first(c)?,
    };
    let record_id = audit.record_id.or_else(|| after.get("id").and_then(Value::as_i64));
    let content = EventContent {
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
        diesel::update(audit_chain_head::table.find(1))
            .set((audit_chain_head::seq.eq(content.seq), audit_chain_head::hash.eq(&hash)))
            .execute(c)
    })?;
    Ok(AuditEvent {
        content,
        prev_hash: head_hash,
        hash,
    })
}

/// How many events the chain holds: the sequence number of its last event (one row read).
pub fn chain_length(conn: &mut Connection) -> StoreResult<i64> {
    Ok(on_backend!(conn, |c| audit_chain_head::table
        .find(1)
        .select(audit_chain_head::seq)
        .first::<i64>(c))?)
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// How many events were checked.
    pub events: i64,
    /// The first event that does not fit, and why; none when the chain is intact.
    pub first_break: Option<(i64, String)>,
}

impl Verification {
    /// Whether the chain is intact.
    pub fn intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Walks the whole chain in order and names the first event that does not fit.
pub fn verify(conn: &mut Connection) -> StoreResult<Verification> {
    const PAGE: i64 = 1000;
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_owned();
    let mut last_seq = 0;
    loop {
        let rows: Vec<Row> = on_backend!(conn, |c| audit_events::table
            .filter(audit_events::seq.ge(expected_seq))
            .order(audit_events::seq)
            .limit(PAGE)
            .select(Row::as_select())
            .load(c))?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let broken = |why: String| Verification {
                events: row.seq,
                first_break: Some((row.seq, why)),
            };
            if row.seq != expected_seq {
                return Ok(Verification {
                    events: expected_seq - 1,
                    first_break: Some((
                        expected_seq,
                        format!("event {expected_seq} is missing (the next one is {})", row.seq),
                    )),
                });
            }
            if row.prev_hash != prev_hash {
                return Ok(broken(format!(
                    "event {} does not follow event {}: its prev_hash differs",
                    row.seq,
                    row.seq - 1
                )));
            }
            if chain_hash(&row.prev_hash, &row.content) != row.hash {
                return Ok(broken(format!(
                    "event {} was altered: its content no longer gives its hash",
                    row.seq
                )));
            }
            let content: EventContent = match serde_json::from_str(&row.content) {
                Ok(content) => content,
                Err(e) => return Ok(broken(format!("event {} has unreadable content: {e}", row.seq))),
            };
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
                return Ok(broken(format!(
                    "event {} was altered: its columns differ from its hashed content",
                    row.seq
                )));
            }
            prev_hash = row.hash.clone();
            last_seq = row.seq;
            expected_seq += 1;
        }
    }
    let (head_seq, head_hash): (i64, String) = on_backend!(conn, |c| audit_chain_head::table
        .find(1)
        .select((audit_chain_head::seq, audit_chain_head::hash))
        .first(c))?;
    if head_seq != last_seq || head_hash != prev_hash {
        return Ok(Verification {
            events: last_seq,
            first_break: Some((
                last_seq + 1,
                format!(
                    "the chain ends at event {last_seq} but {head_seq} events were written: the last ones were deleted"
                ),
            )),
        });
    }
    Ok(Verification {
        events: last_seq,
        first_break: None,
    })
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
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

/// A page of events in chain order.
pub fn list(conn: &mut Connection, filter: &EventFilter, page: Page) -> StoreResult<Listing<AuditEvent>> {
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let build = || {
            let mut query = audit_events::table.into_boxed();
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
        let rows = build()
            .order(audit_events::seq)
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

    #[test]
    fn the_canonical_form_sorts_keys_and_is_stable() {
        let content = EventContent {
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
            text.starts_with(r#"{"action":"create","after":{"a":{"b":3,"y":2},"z":1},"before":null"#),
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
                    diesel::update(audit_chain_head::table.find(1))
                        .set((audit_chain_head::seq.eq(1), audit_chain_head::hash.eq(STORED_HASH)))
                        .execute(c)
                })?;
                append(conn, &Audit::new(None, "create", "token"), serde_json::json!({"id": 2}))?;
                Ok(())
            })
            .unwrap();
        let verification = store.read(verify).unwrap();
        assert!(verification.intact(), "{verification:?}");
        assert_eq!(verification.events, 2);
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
}
