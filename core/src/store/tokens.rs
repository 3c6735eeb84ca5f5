//! Bearer tokens: random, shown once, stored only as a SHA-256 of the secret.
//!
//! A token reads `pcmh_<id>_<64 hex digits>`. The id finds the row; the secret's hash is then
//! compared in constant time, so a guess learns nothing from how long the answer takes.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::tokens;
use super::{on_backend, organizations, practices, Connection, Listing, Page, StoreError, StoreResult};
use crate::access::{Principal, TokenRole};
use crate::hash::{sha256_hex, to_hex};
use crate::ids::{OrganizationId, PracticeId};

/// The longest a token may live, in days.
pub const MAX_DAYS: u32 = 3650;

/// How long an auditor's token lives when no expiry is given, in days.
pub const AUDITOR_DEFAULT_DAYS: u32 = 30;

/// What is needed to make a token.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// What the token is for, e.g. "Maple Street practice manager".
    #[check(not_blank, max_length = 200)]
    pub label: String,
    /// Its role.
    pub role: TokenRole,
    /// The PO it is scoped to (po_manager; an auditor of a whole PO).
    pub organization_id: Option<OrganizationId>,
    /// The practice it is scoped to (practice_manager; an auditor of one practice).
    pub practice_id: Option<PracticeId>,
    /// Days until it expires; auditors' tokens always expire (30 days unless told).
    #[check(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// The token's id.
    pub id: i64,
    /// What it is for.
    pub label: String,
    /// Its role.
    pub role: TokenRole,
    /// The PO it is scoped to.
    pub organization_id: Option<OrganizationId>,
    /// The practice it is scoped to.
    pub practice_id: Option<PracticeId>,
    /// When it stops working, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The token that made it (none when made on the command line or by a person).
    pub created_by: Option<i64>,
    /// The person who made it for their own scripts, if a person did.
    pub user_id: Option<i64>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A new token: the secret, shown this once, and what it is.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The bearer token to send as `Authorization: Bearer <token>`. It is not stored and cannot be shown again.
    pub token: String,
    /// The token's facts.
    pub info: TokenInfo,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = tokens)]
struct Row {
    id: i64,
    label: String,
    secret_sha256: String,
    role: String,
    organization_id: Option<i64>,
    practice_id: Option<i64>,
    expires_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    user_id: Option<i64>,
}

impl Row {
    fn info(&self) -> TokenInfo {
        TokenInfo {
            id: self.id,
            label: self.label.clone(),
            role: TokenRole::parse(&self.role).unwrap_or(TokenRole::Auditor),
            organization_id: self.organization_id.map(OrganizationId),
            practice_id: self.practice_id.map(PracticeId),
            expires_at: self.expires_at.map(|at| at.and_utc()),
            revoked_at: self.revoked_at.map(|at| at.and_utc()),
            created_by: self.created_by,
            user_id: self.user_id,
            created_at: self.created_at.and_utc(),
        }
    }
}

/// Checks a token's scope against its role; returns the PO and practice to store.
fn scope_of(conn: &mut Connection, form: &NewToken) -> StoreResult<(Option<OrganizationId>, Option<PracticeId>)> {
    scope_for(conn, form.role, form.organization_id, form.practice_id, "token")
}

/// Checks the scope of a `what` (a token or an account) against its `role`: an admin has none,
/// a po_manager one PO, a practice_manager one practice, an auditor one PO or one practice.
/// Returns the PO and practice to store (a practice's PO is stored beside it).
pub(crate) fn scope_for(
    conn: &mut Connection,
    role: TokenRole,
    organization_id: Option<OrganizationId>,
    practice_id: Option<PracticeId>,
    what: &str,
) -> StoreResult<(Option<OrganizationId>, Option<PracticeId>)> {
    let refuse = |field: &str, message: String| Err(StoreError::invalid(field, "scope", message));
    let practice = match practice_id {
        Some(id) => Some(
            practices::get(conn, id)
                .map_err(|_| StoreError::invalid("practice_id", "exists", format!("there is no practice {id}")))?,
        ),
        None => None,
    };
    if let Some(id) = organization_id {
        organizations::get(conn, id)
            .map_err(|_| StoreError::invalid("organization_id", "exists", format!("there is no organization {id}")))?;
    }
    match (role, organization_id, &practice) {
        (TokenRole::Admin, None, None) => Ok((None, None)),
        (TokenRole::Admin, _, _) => refuse(
            "role",
            format!("an admin {what} has no scope: omit organization_id and practice_id"),
        ),
        (TokenRole::PoManager, Some(o), None) => Ok((Some(o), None)),
        (TokenRole::PoManager, _, _) => refuse(
            "organization_id",
            format!("a po_manager {what} is scoped to one organization, and no practice"),
        ),
        (TokenRole::PracticeManager, None, Some(p)) => Ok((Some(p.organization_id), Some(p.id))),
        (TokenRole::PracticeManager, _, _) => refuse(
            "practice_id",
            format!("a practice_manager {what} is scoped to one practice, and no organization"),
        ),
        (TokenRole::Auditor, Some(o), None) => Ok((Some(o), None)),
        (TokenRole::Auditor, None, Some(p)) => Ok((Some(p.organization_id), Some(p.id))),
        (TokenRole::Auditor, _, _) => refuse(
            "organization_id",
            format!("an auditor {what} is scoped to one organization or one practice"),
        ),
    }
}

/// Refuses a token or an account that would give more than `issuer` has: a role its own may
/// not give is forbidden; a scope outside its own does not exist for it.
pub(crate) fn check_grant(
    issuer: &Principal,
    role: TokenRole,
    organization: Option<OrganizationId>,
    practice: Option<PracticeId>,
    names_practice: bool,
    what: &str,
) -> StoreResult<()> {
    if !issuer.role.may_grant(role) {
        return Err(StoreError::Forbidden(format!(
            "a {} may not make {} {what}",
            issuer.role.as_str(),
            role.as_str()
        )));
    }
    if !issuer.covers_scope(organization, practice) {
        let field = if names_practice {
            "practice_id"
        } else {
            "organization_id"
        };
        return Err(StoreError::invalid(
            field,
            "exists",
            "there is no such organization or practice",
        ));
    }
    Ok(())
}

/// 32 random bytes as hex.
pub(crate) fn random_secret() -> StoreResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Files(std::io::Error::other(e.to_string())))?;
    Ok(to_hex(&bytes))
}

/// Makes a token. `issuer` is the token that asks (none on the command line): an admin may
/// make any token; a po_manager only tokens of its own PO, and no admin token.
pub fn create(
    conn: &mut Connection,
    form: &NewToken,
    issuer: Option<&Principal>,
    now: NaiveDateTime,
) -> StoreResult<IssuedToken> {
    let (organization, practice) = scope_of(conn, form)?;
    if let Some(issuer) = issuer {
        check_grant(
            issuer,
            form.role,
            organization,
            practice,
            form.practice_id.is_some(),
            "tokens",
        )?;
    }
    let created_by = issuer.and_then(|i| i.token_id);
    let owner = issuer.and_then(|i| i.user_id);
    let days = match (form.role, form.expires_in_days) {
        (TokenRole::Auditor, None) => Some(AUDITOR_DEFAULT_DAYS),
        (_, days) => days,
    };
    let expires_at = days.map(|d| now + Duration::days(i64::from(d.min(MAX_DAYS))));
    let secret = random_secret()?;
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(tokens::table)
        .values((
            tokens::label.eq(form.label.trim()),
            tokens::secret_sha256.eq(sha256_hex(secret.as_bytes())),
            tokens::role.eq(form.role.as_str()),
            tokens::organization_id.eq(organization.map(|o| o.0)),
            tokens::practice_id.eq(practice.map(|p| p.0)),
            tokens::expires_at.eq(expires_at),
            tokens::created_by.eq(created_by),
            tokens::user_id.eq(owner),
            tokens::created_at.eq(now),
        ))
        .returning(tokens::id)
        .get_result(c))?;
    Ok(IssuedToken {
        token: format!("pcmh_{id}_{secret}"),
        info: get(conn, id)?,
    })
}

/// The token with `id` (never its secret).
pub fn get(conn: &mut Connection, id: i64) -> StoreResult<TokenInfo> {
    let row: Option<Row> = on_backend!(conn, |c| tokens::table
        .find(id)
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.map(|r| r.info()).ok_or_else(|| StoreError::not_found("token", id))
}

/// Equal byte strings, compared without an early exit.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The principal a presented token stands for, or `None` if it is unknown, wrong, revoked or expired.
pub fn authenticate(conn: &mut Connection, presented: &str, now: NaiveDateTime) -> StoreResult<Option<Principal>> {
    let Some((id, secret)) = presented
        .strip_prefix("pcmh_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(id, secret)| id.parse::<i64>().ok().map(|id| (id, secret)))
    else {
        return Ok(None);
    };
    let row: Option<Row> = on_backend!(conn, |c| tokens::table
        .find(id)
        .select(Row::as_select())
        .first(c)
        .optional())?;
    let Some(row) = row else { return Ok(None) };
    let matches = same(sha256_hex(secret.as_bytes()).as_bytes(), row.secret_sha256.as_bytes());
    let live = row.revoked_at.is_none() && row.expires_at.is_none_or(|at| now < at);
    if !(matches && live) {
        return Ok(None);
    }
    let info = row.info();
    Ok(Some(Principal {
        token_id: Some(info.id),
        user_id: None,
        role: info.role,
        organization: info.organization_id,
        practice: info.practice_id,
    }))
}

/// A page of tokens, those of `organization` (and its practices) only when given.
pub fn list(
    conn: &mut Connection,
    organization: Option<OrganizationId>,
    page: Page,
) -> StoreResult<Listing<TokenInfo>> {
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let mut query = tokens::table.into_boxed();
        let mut count = tokens::table.into_boxed();
        if let Some(o) = organization {
            query = query.filter(tokens::organization_id.eq(o.0));
            count = count.filter(tokens::organization_id.eq(o.0));
        }
        let rows = query
            .order(tokens::id)
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = count.count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows.iter().map(Row::info).collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// The tokens a person made for their own scripts, newest first.
pub fn of_user(conn: &mut Connection, user_id: i64) -> StoreResult<Vec<TokenInfo>> {
    let rows: Vec<Row> = on_backend!(conn, |c| tokens::table
        .filter(tokens::user_id.eq(user_id))
        .order(tokens::id.desc())
        .limit(500)
        .select(Row::as_select())
        .load(c))?;
    Ok(rows.iter().map(Row::info).collect())
}

/// Revokes a token; revoking it again changes nothing.
pub fn revoke(conn: &mut Connection, id: i64, now: NaiveDateTime) -> StoreResult<TokenInfo> {
    let token = get(conn, id)?;
    if token.revoked_at.is_none() {
        on_backend!(conn, |c| diesel::update(tokens::table.find(id))
            .set(tokens::revoked_at.eq(now))
            .execute(c))?;
    }
    get(conn, id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        store.migrate().unwrap();
        (dir, store)
    }

    fn form(role: TokenRole) -> NewToken {
        NewToken {
            label: "test".into(),
            role,
            organization_id: None,
            practice_id: None,
            expires_in_days: None,
        }
    }

    #[test]
    fn a_token_authenticates_until_revoked_or_expired() {
        let (_dir, store) = store();
        let now = crate::store::now();
        let issued = store.write(|c| create(c, &form(TokenRole::Admin), None, now)).unwrap();
        assert_eq!(issued.info.created_by, None);
        assert!(issued.token.starts_with(&format!("pcmh_{}_", issued.info.id)));
        let who = store.read(|c| authenticate(c, &issued.token, now)).unwrap().unwrap();
        assert_eq!(who.role, TokenRole::Admin);
        // One character off: refused.
        let mut wrong = issued.token.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(store.read(|c| authenticate(c, &wrong, now)).unwrap().is_none());
        for garbage in ["", "pcmh_", "pcmh_x_y", "Bearer", "pcmh_999_abc"] {
            assert!(
                store.read(|c| authenticate(c, garbage, now)).unwrap().is_none(),
                "{garbage}"
            );
        }
        store.write(|c| revoke(c, issued.info.id, now)).unwrap();
        assert!(store.read(|c| authenticate(c, &issued.token, now)).unwrap().is_none());
    }

    #[test]
    fn auditor_tokens_expire() {
        let (_dir, store) = store();
        let now = crate::store::now();
        let organization = store
            .write(|c| organizations::create(c, &organizations::NewOrganization { name: "PO".into() }))
            .unwrap();
        let mut auditor = form(TokenRole::Auditor);
        auditor.organization_id = Some(organization.id);
        let issued = store.write(|c| create(c, &auditor, None, now)).unwrap();
        assert_eq!(issued.info.expires_at, Some((now + Duration::days(30)).and_utc()));
        let later = now + Duration::days(31);
        assert!(store.read(|c| authenticate(c, &issued.token, later)).unwrap().is_none());
    }

    #[test]
    fn a_scope_must_fit_the_role() {
        let (_dir, store) = store();
        let now = crate::store::now();
        let mut manager = form(TokenRole::PoManager);
        let error = store.write(|c| create(c, &manager, None, now)).unwrap_err();
        assert!(
            matches!(error, StoreError::Invalid { ref field, .. } if field == "organization_id"),
            "{error}"
        );
        manager.organization_id = Some(OrganizationId(77));
        let error = store.write(|c| create(c, &manager, None, now)).unwrap_err();
        assert!(matches!(error, StoreError::Invalid { rule: "exists", .. }), "{error}");
    }
}
