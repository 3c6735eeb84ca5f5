//! People and tokens: inviting a person, disabling an account, making and revoking a token.
//! Nobody gives more than their own role and scope (`Principal::may_grant`).

use crate::access::{Principal, TokenRole};
use crate::store::audit::{self, Audit};
use crate::store::sessions::{self, NewSession};
use crate::store::tokens::{self, IssuedToken, NewToken, TokenInfo};
use crate::store::users::{self, Invitation, NewAccess, NewPassword, NewUser, User};
use crate::store::{now, Store, StoreError, StoreResult};

use super::snapshot;

/// Makes a token for `issuer` (a token or a person); its secret is in the answer only, never in
/// the audit trail.
pub fn issue_token(store: &Store, issuer: &Principal, form: &NewToken) -> StoreResult<IssuedToken> {
    let mut secret = None;
    let info = store.write_audited(Audit::by(issuer, "create", "token"), |c, event| {
        let issued = tokens::create(c, form, Some(issuer), now())?;
        event.organization = issued.info.organization_id;
        event.practice = issued.info.practice_id;
        secret = Some(issued.token);
        Ok(issued.info)
    })?;
    Ok(IssuedToken {
        token: secret.unwrap_or_default(),
        info,
    })
}

/// Whether `caller` may revoke `token`: an admin any; a po_manager those of its PO; anyone the
/// tokens they made for themselves.
fn may_revoke(caller: &Principal, token: &TokenInfo) -> bool {
    caller.role == TokenRole::Admin
        || (caller.role == TokenRole::PoManager && token.organization_id == caller.organization)
        || (caller.user_id.is_some() && token.user_id == caller.user_id)
}

/// One token (never its secret); one outside the caller's reach does not exist for it.
pub fn token(store: &Store, caller: &Principal, id: i64) -> StoreResult<TokenInfo> {
    let token = store.read(|c| tokens::get(c, id))?;
    if may_revoke(caller, &token) {
        Ok(token)
    } else {
        Err(StoreError::not_found("token", id))
    }
}

/// Revokes a token at once; one outside the caller's reach does not exist for it.
pub fn revoke_token(store: &Store, caller: &Principal, id: i64) -> StoreResult<TokenInfo> {
    store.write_audited(Audit::by(caller, "revoke", "token"), |c, event| {
        let token = tokens::get(c, id)?;
        if !may_revoke(caller, &token) {
            return Err(StoreError::not_found("token", id));
        }
        event.organization = token.organization_id;
        event.practice = token.practice_id;
        event.before = Some(snapshot(&token)?);
        tokens::revoke(c, id, now())
    })
}

/// Invites a person: their account and the one-time secret of the link that sets its password.
pub fn invite_person(store: &Store, issuer: &Principal, form: &NewUser) -> StoreResult<Invitation> {
    let mut invitation = None;
    store.write_audited(Audit::by(issuer, "invite", "user"), |c, event| {
        let invited = users::invite(c, form, Some(issuer), now())?;
        event.organization = invited.user.organization_id;
        event.practice = invited.user.practice_id;
        let user = invited.user.clone();
        invitation = Some(invited);
        Ok(user)
    })?;
    invitation.ok_or_else(|| StoreError::Internal("the invitation was not made".into()))
}

/// Accepts an invitation: sets the person's password and signs them in, in one transaction
/// (audited as the person's own act).
pub fn accept_invitation(store: &Store, secret: &str, password: &NewPassword) -> StoreResult<NewSession> {
    let now = now();
    store.write(|c| {
        let user = users::accept_invitation(c, secret, password, now)?;
        let event =
            Audit::by(&user.principal(), "accept_invitation", "user").within(user.organization_id, user.practice_id);
        audit::append(c, &event, snapshot(&user)?)?;
        sessions::start(c, &user, now)
    })
}

/// Gives a person in the caller's scope another role and scope, never more than the caller's own.
pub fn change_access(store: &Store, caller: &Principal, id: i64, form: &NewAccess) -> StoreResult<User> {
    store.write_audited(Audit::by(caller, "change_access", "user"), |c, event| {
        audit::hold(c, event.organization)?;
        let before = users::get(c, id)?;
        if !caller.covers_scope(before.organization_id, before.practice_id) || !caller.role.may_grant(before.role) {
            return Err(StoreError::not_found("account", id));
        }
        if caller.user_id == Some(id) {
            return Err(StoreError::invalid(
                "role",
                "not_yourself",
                "you cannot change your own access",
            ));
        }
        let after = users::change_access(c, id, form, Some(caller))?;
        event.organization = after.organization_id;
        event.practice = after.practice_id;
        event.before = Some(snapshot(&before)?);
        Ok(after)
    })
}

/// Disables an account within the caller's scope: it cannot sign in and its sessions end.
pub fn disable_person(store: &Store, caller: &Principal, id: i64) -> StoreResult<User> {
    store.write_audited(Audit::by(caller, "disable", "user"), |c, event| {
        audit::hold(c, event.organization)?;
        let before = users::get(c, id)?;
        if !caller.covers_scope(before.organization_id, before.practice_id) || !caller.role.may_grant(before.role) {
            return Err(StoreError::not_found("account", id));
        }
        if caller.user_id == Some(id) {
            return Err(StoreError::invalid(
                "id",
                "not_yourself",
                "you cannot disable your own account",
            ));
        }
        event.organization = before.organization_id;
        event.practice = before.practice_id;
        event.before = Some(snapshot(&before)?);
        users::disable(c, id, now())
    })
}
