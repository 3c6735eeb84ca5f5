//! Accounts of the people who sign in to the web application, their invitations and passwords.
//!
//! An account has exactly the role and scope a token has and is judged by the same
//! [`crate::access::decide`]. A person is invited (by an admin, a po_manager within its PO, or
//! on the command line); the invitation is a one-time secret, valid for 7 days, of which only a
//! SHA-256 is stored; accepting it sets the password. Passwords are hashed with argon2id at the
//! parameters OWASP recommends (19 MiB, 2 passes, 1 lane) and never leave this module.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::{sessions, users};
use super::tokens::{check_grant, random_secret, scope_for};
use super::{on_backend, Connection, Listing, Page, StoreError, StoreResult};
use crate::access::{Principal, TokenRole};
use crate::hash::sha256_hex;
use crate::ids::{OrganizationId, PracticeId};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;

/// The shortest password accepted.
pub const MIN_PASSWORD: u64 = 12;

/// What is needed to invite a person.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// The person's email address, which they sign in with.
    #[check(email, max_length = 254)]
    pub email: String,
    /// The name shown in the application and on what they sign.
    #[check(not_blank, max_length = 200)]
    pub display_name: String,
    /// Their role.
    pub role: TokenRole,
    /// The PO they work for (po_manager; auditor of a whole PO).
    pub organization_id: Option<OrganizationId>,
    /// The practice they work for (practice_manager; auditor of one practice).
    pub practice_id: Option<PracticeId>,
}

/// A new password, typed twice.
#[derive(Debug, Clone, Deserialize, Validate)]
pub struct NewPassword {
    /// The password: 12 to 128 characters.
    #[validate(length(min = 12, max = 128, code = "length", message = "must be 12 to 128 characters long"))]
    pub password: String,
    /// The same again.
    #[validate(must_match(
        other = "password",
        code = "same_password",
        message = "must be the same password as above"
    ))]
    pub password_confirm: String,
}

/// An account as shown: never its password or invitation.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// The account's id.
    pub id: i64,
    /// The email address it signs in with.
    pub email: String,
    /// The person's name.
    pub display_name: String,
    /// Its role.
    pub role: TokenRole,
    /// The PO it is scoped to.
    pub organization_id: Option<OrganizationId>,
    /// The practice it is scoped to.
    pub practice_id: Option<PracticeId>,
    /// Whether the person has set a password (accepted the invitation).
    pub active: bool,
    /// When the account was disabled, if it was.
    pub disabled_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The role and scope this person acts with.
    pub fn principal(&self) -> Principal {
        Principal {
            token_id: None,
            user_id: Some(self.id),
            role: self.role,
            organization: self.organization_id,
            practice: self.practice_id,
        }
    }
}

/// A new account and the one-time secret of its invitation link.
#[derive(Debug, Clone)]
pub struct Invitation {
    /// The account, not yet active.
    pub user: User,
    /// The secret for the link `/invitations/{secret}`; shown once, only its hash is stored.
    pub secret: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct Row {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    organization_id: Option<i64>,
    practice_id: Option<i64>,
    password_hash: Option<String>,
    invite_sha256: Option<String>,
    invite_expires_at: Option<NaiveDateTime>,
    disabled_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

impl Row {
    fn user(&self) -> User {
        User {
            id: self.id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: TokenRole::parse(&self.role).unwrap_or(TokenRole::Auditor),
            organization_id: self.organization_id.map(OrganizationId),
            practice_id: self.practice_id.map(PracticeId),
            active: self.password_hash.is_some(),
            disabled_at: self.disabled_at.map(|at| at.and_utc()),
            created_at: self.created_at.and_utc(),
        }
    }
}

/// An email address as stored and compared: trimmed, lower case.
pub fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> StoreResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Whether `password` is the one `hash` was made from.
pub fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Invites a person: makes their account (not yet active) and the one-time secret of the link
/// that sets its password. `issuer` is the caller (none on the command line): it may not give
/// more than its own role and scope.
pub fn invite(
    conn: &mut Connection,
    form: &NewUser,
    issuer: Option<&Principal>,
    now: NaiveDateTime,
) -> StoreResult<Invitation> {
    let (organization, practice) = scope_for(conn, form.role, form.organization_id, form.practice_id, "account")?;
    if let Some(issuer) = issuer {
        check_grant(
            issuer,
            form.role,
            organization,
            practice,
            form.practice_id.is_some(),
            "accounts",
        )?;
    }
    let email = normal_email(&form.email);
    let secret = random_secret()?;
    let expires_at = now + Duration::days(INVITATION_DAYS);
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::display_name.eq(form.display_name.trim()),
            users::role.eq(form.role.as_str()),
            users::organization_id.eq(organization.map(|o| o.0)),
            users::practice_id.eq(practice.map(|p| p.0)),
            users::invite_sha256.eq(sha256_hex(secret.as_bytes())),
            users::invite_expires_at.eq(expires_at),
            users::created_by_user.eq(issuer.and_then(|i| i.user_id)),
            users::created_at.eq(now),
        ))
        .returning(users::id)
        .get_result(c))
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict { .. } => {
            StoreError::invalid("email", "unique", format!("{email} already has an account"))
        }
        other => other,
    })?;
    Ok(Invitation {
        user: get(conn, id)?,
        secret: format!("{id}_{secret}"),
        expires_at: expires_at.and_utc(),
    })
}

/// Makes a fresh invitation for an account (a lost or expired link); the old link stops working.
pub fn reinvite(conn: &mut Connection, id: i64, now: NaiveDateTime) -> StoreResult<Invitation> {
    let user = get(conn, id)?;
    let secret = random_secret()?;
    let expires_at = now + Duration::days(INVITATION_DAYS);
    on_backend!(conn, |c| diesel::update(users::table.find(id))
        .set((
            users::invite_sha256.eq(sha256_hex(secret.as_bytes())),
            users::invite_expires_at.eq(expires_at),
        ))
        .execute(c))?;
    Ok(Invitation {
        user,
        secret: format!("{id}_{secret}"),
        expires_at: expires_at.and_utc(),
    })
}

/// The account an invitation secret opens, if the link is right and still works.
pub fn invitation(conn: &mut Connection, secret: &str, now: NaiveDateTime) -> StoreResult<Option<User>> {
    let Some((id, secret)) = secret
        .split_once('_')
        .and_then(|(id, s)| id.parse::<i64>().ok().map(|id| (id, s)))
    else {
        return Ok(None);
    };
    let row = row(conn, id)?;
    Ok(row
        .filter(|r| {
            r.invite_sha256
                .as_deref()
                .is_some_and(|h| same(h.as_bytes(), sha256_hex(secret.as_bytes()).as_bytes()))
                && r.invite_expires_at.is_some_and(|at| now < at)
                && r.disabled_at.is_none()
        })
        .map(|r| r.user()))
}

/// Accepts an invitation: sets the account's password, and the link stops working.
pub fn accept_invitation(
    conn: &mut Connection,
    secret: &str,
    password: &NewPassword,
    now: NaiveDateTime,
) -> StoreResult<User> {
    let user = invitation(conn, secret, now)?.ok_or_else(|| StoreError::not_found("invitation", "link"))?;
    let hash = hash_password(&password.password)?;
    on_backend!(conn, |c| diesel::update(users::table.find(user.id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::invite_sha256.eq(None::<String>),
            users::invite_expires_at.eq(None::<NaiveDateTime>),
        ))
        .execute(c))?;
    get(conn, user.id)
}

/// Sets the password of an account directly (the demo accounts; a fresh install's tests).
pub fn set_password(conn: &mut Connection, id: i64, password: &str) -> StoreResult<User> {
    let hash = hash_password(password)?;
    on_backend!(conn, |c| diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::invite_sha256.eq(None::<String>),
            users::invite_expires_at.eq(None::<NaiveDateTime>),
        ))
        .execute(c))?;
    get(conn, id)
}

fn row(conn: &mut Connection, id: i64) -> StoreResult<Option<Row>> {
    Ok(on_backend!(conn, |c| users::table
        .find(id)
        .select(Row::as_select())
        .first(c)
        .optional())?)
}

/// The account with `id`.
pub fn get(conn: &mut Connection, id: i64) -> StoreResult<User> {
    row(conn, id)?
        .map(|r| r.user())
        .ok_or_else(|| StoreError::not_found("account", id))
}

/// The account with `email`, if any.
pub fn by_email(conn: &mut Connection, email: &str) -> StoreResult<Option<User>> {
    let email = normal_email(email);
    let row: Option<Row> = on_backend!(conn, |c| users::table
        .filter(users::email.eq(&email))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    Ok(row.map(|r| r.user()))
}

/// A hash of a random password, verified when an email has no account so that the answer
/// takes as long as for a real one.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let secret = random_secret().unwrap_or_else(|_| "decoy".into());
        hash_password(&secret).unwrap_or_default()
    })
}

/// The active, enabled account whose email and password these are, if any. Takes as long
/// whether or not the email has an account.
pub fn check_password(conn: &mut Connection, email: &str, password: &str) -> StoreResult<Option<User>> {
    let email = normal_email(email);
    let row: Option<Row> = on_backend!(conn, |c| users::table
        .filter(users::email.eq(&email))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    let hash = row.as_ref().and_then(|r| r.password_hash.clone());
    let matches = password_matches(hash.as_deref().unwrap_or(decoy_hash()), password);
    Ok(row
        .filter(|r| matches && r.password_hash.is_some() && r.disabled_at.is_none())
        .map(|r| r.user()))
}

/// A page of accounts, those of `organization` (and its practices) only when given.
pub fn list(conn: &mut Connection, organization: Option<OrganizationId>, page: Page) -> StoreResult<Listing<User>> {
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let mut query = users::table.into_boxed();
        let mut count = users::table.into_boxed();
        if let Some(o) = organization {
            query = query.filter(users::organization_id.eq(o.0));
            count = count.filter(users::organization_id.eq(o.0));
        }
        let rows = query
            .order(users::id)
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = count.count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: rows.iter().map(Row::user).collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// A new role and scope for an account.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccess {
    /// The role.
    pub role: TokenRole,
    /// The PO (po_manager; auditor of a whole PO).
    pub organization_id: Option<OrganizationId>,
    /// The practice (practice_manager; auditor of one practice).
    pub practice_id: Option<PracticeId>,
}

/// Gives an account another role and scope (checked as for an invitation); it applies from the
/// person's next request.
pub fn change_access(
    conn: &mut Connection,
    id: i64,
    form: &NewAccess,
    issuer: Option<&Principal>,
) -> StoreResult<User> {
    get(conn, id)?;
    let (organization, practice) = scope_for(conn, form.role, form.organization_id, form.practice_id, "account")?;
    if let Some(issuer) = issuer {
        check_grant(
            issuer,
            form.role,
            organization,
            practice,
            form.practice_id.is_some(),
            "accounts",
        )?;
    }
    on_backend!(conn, |c| diesel::update(users::table.find(id))
        .set((
            users::role.eq(form.role.as_str()),
            users::organization_id.eq(organization.map(|o| o.0)),
            users::practice_id.eq(practice.map(|p| p.0)),
        ))
        .execute(c))?;
    get(conn, id)
}

/// When each of `ids` last signed in (started a session), for those who ever did.
pub fn last_sign_ins(conn: &mut Connection, ids: &[i64]) -> StoreResult<std::collections::HashMap<i64, DateTime<Utc>>> {
    let rows: Vec<(i64, Option<NaiveDateTime>)> = on_backend!(conn, |c| sessions::table
        .filter(sessions::user_id.eq_any(ids))
        .group_by(sessions::user_id)
        .select((sessions::user_id, diesel::dsl::max(sessions::created_at)))
        .load(c))?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, at)| at.map(|at| (id, at.and_utc())))
        .collect())
}

/// Disables an account: it cannot sign in again and its sessions end now.
pub fn disable(conn: &mut Connection, id: i64, now: NaiveDateTime) -> StoreResult<User> {
    let user = get(conn, id)?;
    if user.disabled_at.is_none() {
        on_backend!(conn, |c| {
            diesel::update(users::table.find(id))
                .set(users::disabled_at.eq(now))
                .execute(c)?;
            diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(id))
                    .filter(sessions::ended_at.is_null()),
            )
            .set(sessions::ended_at.eq(now))
            .execute(c)
        })?;
    }
    get(conn, id)
}

/// A new random password people can type: four groups of four letters and digits (about 79 bits).
pub fn fresh_password() -> StoreResult<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Internal(e.to_string()))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

/// Equal byte strings, compared without an early exit.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{now, organizations, Store};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        store.migrate().unwrap();
        (dir, store)
    }

    fn admin(email: &str) -> NewUser {
        NewUser {
            email: email.into(),
            display_name: "Ana Admin".into(),
            role: TokenRole::Admin,
            organization_id: None,
            practice_id: None,
        }
    }

    fn password(text: &str) -> NewPassword {
        NewPassword {
            password: text.into(),
            password_confirm: text.into(),
        }
    }

    #[test]
    fn an_invitation_sets_the_password_once() {
        let (_dir, store) = store();
        let t = now();
        let invited = store.write(|c| invite(c, &admin("Ana@Example.org "), None, t)).unwrap();
        assert_eq!(invited.user.email, "ana@example.org");
        assert!(!invited.user.active);
        assert!(store
            .read(|c| check_password(c, "ana@example.org", ""))
            .unwrap()
            .is_none());
        let accepted = store
            .write(|c| accept_invitation(c, &invited.secret, &password("correct horse battery"), t))
            .unwrap();
        assert!(accepted.active);
        // The link works once.
        let again = store.write(|c| accept_invitation(c, &invited.secret, &password("another password!"), t));
        assert!(matches!(again, Err(StoreError::NotFound { .. })));
        let who = store
            .read(|c| check_password(c, " ANA@example.org", "correct horse battery"))
            .unwrap()
            .unwrap();
        assert_eq!(who.principal().user_id, Some(who.id));
        assert!(store
            .read(|c| check_password(c, "ana@example.org", "correct horse batterY"))
            .unwrap()
            .is_none());
        assert!(store
            .read(|c| check_password(c, "nobody@example.org", "correct horse battery"))
            .unwrap()
            .is_none());
    }

    #[test]
    fn an_invitation_expires_after_seven_days() {
        let (_dir, store) = store();
        let t = now();
        let invited = store.write(|c| invite(c, &admin("b@example.org"), None, t)).unwrap();
        let late = t + Duration::days(INVITATION_DAYS) + Duration::seconds(1);
        assert!(store.read(|c| invitation(c, &invited.secret, late)).unwrap().is_none());
        assert!(store.read(|c| invitation(c, &invited.secret, t)).unwrap().is_some());
        let wrong = format!("{}x", invited.secret);
        assert!(store.read(|c| invitation(c, &wrong, t)).unwrap().is_none());
    }

    #[test]
    fn a_disabled_account_cannot_sign_in_and_emails_are_unique() {
        let (_dir, store) = store();
        let t = now();
        let invited = store.write(|c| invite(c, &admin("c@example.org"), None, t)).unwrap();
        store
            .write(|c| set_password(c, invited.user.id, "a long enough password"))
            .unwrap();
        assert!(store
            .read(|c| check_password(c, "c@example.org", "a long enough password"))
            .unwrap()
            .is_some());
        store.write(|c| disable(c, invited.user.id, t)).unwrap();
        assert!(store
            .read(|c| check_password(c, "c@example.org", "a long enough password"))
            .unwrap()
            .is_none());
        let twice = store
            .write(|c| invite(c, &admin("C@example.org"), None, t))
            .unwrap_err();
        assert!(matches!(twice, StoreError::Invalid { rule: "unique", .. }), "{twice}");
    }

    #[test]
    fn a_po_manager_invites_within_its_po_and_never_an_admin() {
        let (_dir, store) = store();
        let t = now();
        let po = store
            .write(|c| organizations::create(c, &organizations::NewOrganization { name: "PO".into() }))
            .unwrap();
        let other = store
            .write(|c| organizations::create(c, &organizations::NewOrganization { name: "Other".into() }))
            .unwrap();
        let manager = Principal {
            token_id: None,
            user_id: None,
            role: TokenRole::PoManager,
            organization: Some(po.id),
            practice: None,
        };
        let mut form = admin("d@example.org");
        let refused = store.write(|c| invite(c, &form, Some(&manager), t)).unwrap_err();
        assert!(matches!(refused, StoreError::Forbidden(_)), "{refused}");
        form.role = TokenRole::Auditor;
        form.organization_id = Some(other.id);
        let refused = store.write(|c| invite(c, &form, Some(&manager), t)).unwrap_err();
        assert!(
            matches!(refused, StoreError::Invalid { rule: "exists", .. }),
            "{refused}"
        );
        form.organization_id = Some(po.id);
        store.write(|c| invite(c, &form, Some(&manager), t)).unwrap();
    }

    #[test]
    fn a_password_hash_is_argon2id_and_salted() {
        let one = hash_password("same password here").unwrap();
        let two = hash_password("same password here").unwrap();
        assert!(one.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{one}");
        assert_ne!(one, two);
        assert!(password_matches(&one, "same password here"));
        assert!(!password_matches(decoy_hash(), ""));
    }
}
