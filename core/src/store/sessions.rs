//! Signing in and out: sessions kept in the database (so several servers share them) and the
//! failed sign-ins that lock out guessing.
//!
//! A session's secret (256 random bits) lives only in the person's cookie; the database keeps
//! its SHA-256. A session ends when the person signs out, after 30 minutes without a request,
//! after 12 hours in any case, or at once when the account is disabled. Five failed sign-ins
//! within 15 minutes, for one account or from one client address, refuse further tries from
//! it for 15 minutes, with the same answer whether the email has an account or not.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::schema::{sessions, sign_in_failures};
use super::tokens::random_secret;
use super::users::{self, same, User};
use super::{audit, on_backend, Connection, Store, StoreResult};
use crate::hash::sha256_hex;

/// How long sessions live and how many failures lock an account out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRules {
    /// A session ends after this long without a request.
    pub idle: Duration,
    /// A session ends this long after sign-in, whatever happens.
    pub absolute: Duration,
    /// Failed sign-ins within [`SessionRules::lockout_window`] that lock an account or address out.
    pub max_failures: i64,
    /// How far back failures count, and so how long a lock-out lasts.
    pub lockout_window: Duration,
}

impl Default for SessionRules {
    fn default() -> Self {
        SessionRules {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
            max_failures: 5,
            lockout_window: Duration::minutes(15),
        }
    }
}

/// A session just started: the secret for the cookie (shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The cookie's value.
    pub secret: String,
    /// The token every form of the session carries.
    pub csrf_token: String,
    /// Who signed in.
    pub user: User,
}

/// The outcome of a sign-in.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// The email and password are right: a session started.
    Started(NewSession),
    /// Wrong email or password (the same answer for both).
    Refused,
    /// Too many failures for this account or address: refused without checking.
    LockedOut,
}

/// What a session cookie stands for now.
#[derive(Debug, Clone)]
pub enum Resumed {
    /// A live session of an enabled account.
    Active {
        /// The person.
        user: User,
        /// The session's CSRF token.
        csrf_token: String,
    },
    /// The session ended for lack of activity or age (it is ended now if it was not yet).
    TimedOut,
    /// No such session, or it was ended (signed out, account disabled).
    Unknown,
}

fn email_key(email: &str) -> String {
    format!("email:{}", users::normal_email(email))
}

fn client_key(client: &str) -> String {
    format!("client:{client}")
}

/// How many failures `key` has had since `since`.
fn failures(conn: &mut Connection, key: &str, since: NaiveDateTime) -> StoreResult<i64> {
    Ok(on_backend!(conn, |c| sign_in_failures::table
        .filter(sign_in_failures::key.eq(key))
        .filter(sign_in_failures::failed_at.gt(since))
        .count()
        .get_result(c))?)
}

/// Whether the account `email` or the address `client` is locked out at `now`.
pub fn locked_out(
    conn: &mut Connection,
    email: &str,
    client: &str,
    now: NaiveDateTime,
    rules: SessionRules,
) -> StoreResult<bool> {
    let since = now - rules.lockout_window;
    Ok(failures(conn, &email_key(email), since)? >= rules.max_failures
        || failures(conn, &client_key(client), since)? >= rules.max_failures)
}

/// Signs a person in with `email` and `password` from the address `client`. Success, failure
/// and lock-out each append an audit event (naming the account when there is one, never what
/// was typed).
pub fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    client: &str,
    now: NaiveDateTime,
    rules: SessionRules,
) -> StoreResult<SignIn> {
    // The password is checked outside the write transaction: argon2 takes tens of milliseconds.
    let (locked, user) = store.read(|c| {
        if locked_out(c, email, client, now, rules)? {
            return Ok((true, None));
        }
        Ok((false, users::check_password(c, email, password)?))
    })?;
    if locked {
        return Ok(SignIn::LockedOut);
    }
    store.write(|c| match user {
        Some(user) => {
            let session = start(c, &user, now)?;
            let event = audit::Audit::by(&user.principal(), "sign_in", "session")
                .within(user.organization_id, user.practice_id);
            audit::append(c, &event, json!({"user_id": user.id, "client": client}))?;
            on_backend!(c, |c| diesel::delete(
                sign_in_failures::table.filter(sign_in_failures::key.eq(email_key(email)))
            )
            .execute(c))?;
            Ok(SignIn::Started(session))
        }
        None => {
            let account = users::by_email(c, email)?;
            on_backend!(c, |c| diesel::insert_into(sign_in_failures::table)
                .values(&vec![
                    (
                        sign_in_failures::key.eq(email_key(email)),
                        sign_in_failures::failed_at.eq(now)
                    ),
                    (
                        sign_in_failures::key.eq(client_key(client)),
                        sign_in_failures::failed_at.eq(now)
                    ),
                ])
                .execute(c))?;
            let mut event = audit::Audit::new(None, "sign_in_failed", "session");
            event.user_id = account.as_ref().map(|a| a.id);
            audit::append(c, &event, json!({"user_id": event.user_id, "client": client}))?;
            if locked_out(c, email, client, now, rules)? {
                let mut lock = audit::Audit::new(None, "lock_out", "session");
                lock.user_id = event.user_id;
                audit::append(
                    c,
                    &lock,
                    json!({"user_id": lock.user_id, "client": client, "minutes": rules.lockout_window.num_minutes()}),
                )?;
            }
            Ok(SignIn::Refused)
        }
    })
}

/// Starts a session for `user`.
pub fn start(conn: &mut Connection, user: &User, now: NaiveDateTime) -> StoreResult<NewSession> {
    let secret = random_secret()?;
    let csrf_token = random_secret()?;
    on_backend!(conn, |c| diesel::insert_into(sessions::table)
        .values((
            sessions::id_sha256.eq(sha256_hex(secret.as_bytes())),
            sessions::user_id.eq(user.id),
            sessions::csrf_token.eq(&csrf_token),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(c))?;
    Ok(NewSession {
        secret,
        csrf_token,
        user: user.clone(),
    })
}

/// What the cookie `secret` stands for at `now`; a live session's last activity moves to `now`.
pub fn resume(conn: &mut Connection, secret: &str, now: NaiveDateTime, rules: SessionRules) -> StoreResult<Resumed> {
    let hash = sha256_hex(secret.as_bytes());
    let row: Option<(String, i64, String, NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> =
        on_backend!(conn, |c| sessions::table
            .find(&hash)
            .select((
                sessions::id_sha256,
                sessions::user_id,
                sessions::csrf_token,
                sessions::created_at,
                sessions::last_seen_at,
                sessions::ended_at,
            ))
            .first(c)
            .optional())?;
    let Some((stored, user_id, csrf_token, created_at, last_seen_at, ended_at)) = row else {
        return Ok(Resumed::Unknown);
    };
    if !same(stored.as_bytes(), hash.as_bytes()) || ended_at.is_some() {
        return Ok(Resumed::Unknown);
    }
    if now - last_seen_at > rules.idle || now - created_at > rules.absolute {
        end(conn, secret, now)?;
        return Ok(Resumed::TimedOut);
    }
    let user = users::get(conn, user_id)?;
    if user.disabled_at.is_some() {
        end(conn, secret, now)?;
        return Ok(Resumed::Unknown);
    }
    // Touch the session at most every tenth of its idle timeout (and at least every minute),
    // so that reading pages does not write on every request.
    let step = (rules.idle / 10).min(Duration::minutes(1));
    if now - last_seen_at >= step {
        on_backend!(conn, |c| diesel::update(sessions::table.find(&hash))
            .set(sessions::last_seen_at.eq(now))
            .execute(c))?;
    }
    Ok(Resumed::Active { user, csrf_token })
}

/// Ends the session of the cookie `secret` (signing out); ending it again changes nothing.
pub fn end(conn: &mut Connection, secret: &str, now: NaiveDateTime) -> StoreResult<()> {
    let hash = sha256_hex(secret.as_bytes());
    on_backend!(conn, |c| diesel::update(
        sessions::table.find(&hash).filter(sessions::ended_at.is_null())
    )
    .set(sessions::ended_at.eq(now))
    .execute(c))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::TokenRole;
    use crate::store::now;
    use crate::store::users::NewUser;

    fn store_with_person() -> (tempfile::TempDir, Store, User) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        store.migrate().unwrap();
        let form = NewUser {
            email: "ana@example.org".into(),
            display_name: "Ana".into(),
            role: TokenRole::Admin,
            organization_id: None,
            practice_id: None,
        };
        let user = store
            .write(|c| {
                let invited = users::invite(c, &form, None, now())?;
                users::set_password(c, invited.user.id, "the right password")
            })
            .unwrap();
        (dir, store, user)
    }

    #[test]
    fn a_session_lives_until_idle_or_old_or_signed_out() {
        let (_dir, store, _) = store_with_person();
        let rules = SessionRules::default();
        let t = now();
        let SignIn::Started(session) =
            sign_in(&store, "ana@example.org", "the right password", "127.0.0.1", t, rules).unwrap()
        else {
            panic!("the right password signs in");
        };
        let active = |at| {
            matches!(
                store.write(|c| resume(c, &session.secret, at, rules)).unwrap(),
                Resumed::Active { .. }
            )
        };
        assert!(active(t + Duration::minutes(29)));
        // Activity at 29 minutes keeps it alive until 58.
        assert!(active(t + Duration::minutes(58)));
        assert!(matches!(
            store
                .write(|c| resume(c, &session.secret, t + Duration::minutes(89), rules))
                .unwrap(),
            Resumed::TimedOut
        ));
        assert!(matches!(
            store.write(|c| resume(c, &session.secret, t, rules)).unwrap(),
            Resumed::Unknown
        ));

        let SignIn::Started(second) =
            sign_in(&store, "ana@example.org", "the right password", "127.0.0.1", t, rules).unwrap()
        else {
            panic!("signs in again");
        };
        store.write(|c| end(c, &second.secret, t)).unwrap();
        assert!(matches!(
            store.write(|c| resume(c, &second.secret, t, rules)).unwrap(),
            Resumed::Unknown
        ));
        assert!(matches!(
            store.write(|c| resume(c, "not a session", t, rules)).unwrap(),
            Resumed::Unknown
        ));
    }

    #[test]
    fn a_session_ends_after_twelve_hours_even_when_active() {
        let (_dir, store, user) = store_with_person();
        let rules = SessionRules::default();
        let t = now();
        let session = store.write(|c| start(c, &user, t)).unwrap();
        for hour in 0..12 {
            for quarter in 0..4 {
                let at = t + Duration::hours(hour) + Duration::minutes(15 * quarter);
                assert!(matches!(
                    store.write(|c| resume(c, &session.secret, at, rules)).unwrap(),
                    Resumed::Active { .. }
                ));
            }
        }
        let late = t + Duration::hours(12) + Duration::minutes(1);
        assert!(matches!(
            store.write(|c| resume(c, &session.secret, late, rules)).unwrap(),
            Resumed::TimedOut
        ));
    }

    #[test]
    fn five_failures_lock_out_the_account_whether_or_not_it_exists() {
        let (_dir, store, user) = store_with_person();
        let rules = SessionRules::default();
        let t = now();
        for email in ["ana@example.org", "nobody@example.org"] {
            for i in 0..5 {
                let outcome = sign_in(&store, email, "wrong", &format!("10.0.0.{i}"), t, rules).unwrap();
                assert!(matches!(outcome, SignIn::Refused), "{email} {i}");
            }
            // The right password no longer helps, for 15 minutes.
            let outcome = sign_in(&store, email, "the right password", "10.0.1.1", t, rules).unwrap();
            assert!(matches!(outcome, SignIn::LockedOut), "{email}");
        }
        let later = t + Duration::minutes(16);
        assert!(matches!(
            sign_in(
                &store,
                "ana@example.org",
                "the right password",
                "10.0.1.1",
                later,
                rules
            )
            .unwrap(),
            SignIn::Started(_)
        ));
        // A disabled account's sessions end at once.
        let session = store.write(|c| start(c, &user, later)).unwrap();
        store.write(|c| users::disable(c, user.id, later)).unwrap();
        assert!(matches!(
            store.write(|c| resume(c, &session.secret, later, rules)).unwrap(),
            Resumed::Unknown
        ));
        let events = store
            .read(|c| {
                audit::list(
                    c,
                    &audit::EventFilter::default(),
                    crate::store::Page { limit: 100, offset: 0 },
                )
            })
            .unwrap();
        let actions: Vec<&str> = events.items.iter().map(|e| e.content.action.as_str()).collect();
        assert!(actions.contains(&"lock_out") && actions.contains(&"sign_in_failed") && actions.contains(&"sign_in"));
    }

    #[test]
    fn one_address_is_locked_out_across_accounts() {
        let (_dir, store, _) = store_with_person();
        let rules = SessionRules::default();
        let t = now();
        for i in 0..5 {
            sign_in(&store, &format!("guess{i}@example.org"), "wrong", "10.9.9.9", t, rules).unwrap();
        }
        let outcome = sign_in(&store, "ana@example.org", "the right password", "10.9.9.9", t, rules).unwrap();
        assert!(matches!(outcome, SignIn::LockedOut));
    }
}
