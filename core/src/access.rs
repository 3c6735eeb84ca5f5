//! Who may see and change what: the roles of a token and the one rule that decides.
//!
//! A token has a role and a scope (a PO or a practice). A record outside the scope does not
//! exist for the caller (not found); an action the role may not take inside the scope is
//! forbidden. The API asks [`decide`] once per request, for the resource its path names.

use serde::{Deserialize, Serialize};

use crate::ids::{OrganizationId, PracticeId};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenRole {
    /// Everything: POs, practices, tokens, catalogs.
    Admin,
    /// Its PO and all the PO's practices, read and write, including PO-level attestations.
    PoManager,
    /// One practice, read and write.
    PracticeManager,
    /// Read-only over its PO or practice; may export packets. Always expires.
    Auditor,
}

impl TokenRole {
    /// The role as written in the API and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Admin => "admin",
            TokenRole::PoManager => "po_manager",
            TokenRole::PracticeManager => "practice_manager",
            TokenRole::Auditor => "auditor",
        }
    }

    /// Whether this role may give `role` to an account or a token it makes (within its scope).
    pub fn may_grant(self, role: TokenRole) -> bool {
        match self {
            TokenRole::Admin => true,
            TokenRole::PoManager => role != TokenRole::Admin,
            TokenRole::PracticeManager => matches!(role, TokenRole::PracticeManager | TokenRole::Auditor),
            TokenRole::Auditor => role == TokenRole::Auditor,
        }
    }

    /// The role named `text`, if any.
    pub fn parse(text: &str) -> Option<Self> {
        [
            TokenRole::Admin,
            TokenRole::PoManager,
            TokenRole::PracticeManager,
            TokenRole::Auditor,
        ]
        .into_iter()
        .find(|r| r.as_str() == text)
    }
}

/// The caller of a request: an authenticated token's, or a signed-in person's, role and scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The token's id, when a token calls (recorded in the audit trail; never its secret).
    pub token_id: Option<i64>,
    /// The person's account id, when a signed-in person calls.
    pub user_id: Option<i64>,
    /// Its role.
    pub role: TokenRole,
    /// The PO it is scoped to (po_manager, auditor of a PO; also set for practice-scoped tokens).
    pub organization: Option<OrganizationId>,
    /// The practice it is scoped to (practice_manager, auditor of a practice).
    pub practice: Option<PracticeId>,
}

/// Who acts, and on which PO and practice: what every audited action needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The token or the person.
    pub principal: Principal,
    /// The PO the action concerns.
    pub organization: Option<OrganizationId>,
    /// The practice the action concerns.
    pub practice: Option<PracticeId>,
}

impl Actor {
    /// An audit event of `action` on a record of `record_kind` by this actor, in its scope.
    pub fn audit(&self, action: &'static str, record_kind: &'static str) -> crate::store::audit::Audit {
        crate::store::audit::Audit::by(&self.principal, action, record_kind).within(self.organization, self.practice)
    }
}

/// What a request touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Catalogs: public to every caller.
    Catalogs,
    /// The list of POs (each caller sees those in scope) or the creation of one (admin only).
    Organizations,
    /// One PO and what is under its path.
    Organization(OrganizationId),
    /// One practice (of a PO) and what is under its path.
    Practice {
        /// The practice.
        id: PracticeId,
        /// Its PO.
        organization: OrganizationId,
    },
    /// Tokens: admin everywhere, po_manager within its PO.
    Tokens,
    /// The audit trail: admin, and po_manager or auditor within scope.
    AuditEvents,
    /// The public key that signs packets: every caller.
    SigningKey,
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// GET.
    Read,
    /// Anything that writes.
    Write,
    /// Exporting a packet: a read (allowed to every role in scope, auditors included) even though it is a POST.
    Export,
}

/// The answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// The resource is outside the caller's scope: it does not exist for them.
    NotFound,
    /// The resource is in scope but the role may not take this action.
    Forbidden,
}

impl Principal {
    /// Whether this caller may give `role` over the scope `organization`/`practice` to a new
    /// account or token: never more than its own role and scope (an admin gives anything; a
    /// po_manager anything but admin within its PO; a practice manager its practice's manager
    /// or auditor; an auditor an auditor within its scope).
    pub fn may_grant(
        &self,
        role: TokenRole,
        organization: Option<OrganizationId>,
        practice: Option<PracticeId>,
    ) -> bool {
        self.role.may_grant(role) && self.covers_scope(organization, practice)
    }

    /// Whether the scope `organization`/`practice` lies within the caller's own.
    pub fn covers_scope(&self, organization: Option<OrganizationId>, practice: Option<PracticeId>) -> bool {
        match self.role {
            TokenRole::Admin => true,
            TokenRole::PracticeManager => practice.is_some() && practice == self.practice,
            TokenRole::PoManager | TokenRole::Auditor => {
                organization.is_some()
                    && organization == self.organization
                    && (self.practice.is_none() || practice == self.practice)
            }
        }
    }

    /// Whether the caller's scope covers the PO `organization` as a whole.
    pub fn covers_organization(&self, organization: OrganizationId) -> bool {
        match self.role {
            TokenRole::Admin => true,
            TokenRole::PoManager => self.organization == Some(organization),
            TokenRole::Auditor => self.practice.is_none() && self.organization == Some(organization),
            TokenRole::PracticeManager => false,
        }
    }

    /// Whether the caller's scope covers `practice` of `organization`.
    pub fn covers_practice(&self, practice: PracticeId, organization: OrganizationId) -> bool {
        self.covers_organization(organization) || self.practice == Some(practice)
    }
}

/// Decides whether `principal` may take `action` on `resource`.
pub fn decide(principal: &Principal, resource: Resource, action: Action) -> Decision {
    let in_scope = match resource {
        Resource::Catalogs | Resource::SigningKey => return Decision::Allow,
        Resource::Organizations => {
            return match (action, principal.role) {
                (Action::Read, _) | (Action::Write, TokenRole::Admin) => Decision::Allow,
                (Action::Write | Action::Export, _) => Decision::Forbidden,
            };
        }
        Resource::Tokens => {
            return match principal.role {
                _ if action == Action::Export => Decision::Forbidden,
                TokenRole::Admin | TokenRole::PoManager => Decision::Allow,
                _ => Decision::Forbidden,
            };
        }
        Resource::AuditEvents => {
            return match (action, principal.role) {
                (Action::Read, TokenRole::Admin | TokenRole::PoManager | TokenRole::Auditor) => Decision::Allow,
                _ => Decision::Forbidden,
            };
        }
        Resource::Organization(organization) => principal.covers_organization(organization),
        Resource::Practice { id, organization } => principal.covers_practice(id, organization),
    };
    if !in_scope {
        Decision::NotFound
    } else if action == Action::Write && principal.role == TokenRole::Auditor {
        Decision::Forbidden
    } else {
        Decision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: OrganizationId = OrganizationId(1);
    const B: OrganizationId = OrganizationId(2);
    const A1: PracticeId = PracticeId(11);
    const A2: PracticeId = PracticeId(12);

    fn principal(role: TokenRole, organization: Option<OrganizationId>, practice: Option<PracticeId>) -> Principal {
        Principal {
            token_id: Some(1),
            user_id: None,
            role,
            organization,
            practice,
        }
    }

    fn practice(id: PracticeId, organization: OrganizationId) -> Resource {
        Resource::Practice { id, organization }
    }

    #[test]
    fn admin_may_do_everything() {
        let admin = principal(TokenRole::Admin, None, None);
        for resource in [
            Resource::Organizations,
            Resource::Organization(B),
            practice(A1, A),
            Resource::Tokens,
        ] {
            assert_eq!(decide(&admin, resource, Action::Write), Decision::Allow);
        }
    }

    #[test]
    fn a_po_manager_sees_its_po_and_practices_only() {
        let manager = principal(TokenRole::PoManager, Some(A), None);
        assert_eq!(
            decide(&manager, Resource::Organization(A), Action::Write),
            Decision::Allow
        );
        assert_eq!(decide(&manager, practice(A2, A), Action::Write), Decision::Allow);
        assert_eq!(
            decide(&manager, Resource::Organization(B), Action::Read),
            Decision::NotFound
        );
        assert_eq!(
            decide(&manager, practice(PracticeId(21), B), Action::Read),
            Decision::NotFound
        );
        assert_eq!(
            decide(&manager, Resource::Organizations, Action::Write),
            Decision::Forbidden
        );
    }

    #[test]
    fn a_practice_manager_sees_one_practice_and_not_its_po() {
        let manager = principal(TokenRole::PracticeManager, Some(A), Some(A1));
        assert_eq!(decide(&manager, practice(A1, A), Action::Write), Decision::Allow);
        assert_eq!(decide(&manager, practice(A2, A), Action::Read), Decision::NotFound);
        assert_eq!(
            decide(&manager, Resource::Organization(A), Action::Read),
            Decision::NotFound
        );
        assert_eq!(decide(&manager, Resource::Tokens, Action::Read), Decision::Forbidden);
        assert_eq!(
            decide(&manager, Resource::AuditEvents, Action::Read),
            Decision::Forbidden
        );
    }

    #[test]
    fn an_auditor_reads_in_scope_and_never_writes() {
        let po_auditor = principal(TokenRole::Auditor, Some(A), None);
        assert_eq!(decide(&po_auditor, practice(A2, A), Action::Read), Decision::Allow);
        assert_eq!(decide(&po_auditor, practice(A2, A), Action::Write), Decision::Forbidden);
        assert_eq!(
            decide(&po_auditor, Resource::Organization(B), Action::Write),
            Decision::NotFound
        );
        let practice_auditor = principal(TokenRole::Auditor, Some(A), Some(A1));
        assert_eq!(
            decide(&practice_auditor, practice(A1, A), Action::Read),
            Decision::Allow
        );
        assert_eq!(
            decide(&practice_auditor, Resource::Organization(A), Action::Read),
            Decision::NotFound
        );
        assert_eq!(
            decide(&practice_auditor, Resource::AuditEvents, Action::Read),
            Decision::Allow
        );
    }

    #[test]
    fn exporting_a_packet_is_a_read_for_every_role_in_scope() {
        for role in [
            TokenRole::Admin,
            TokenRole::PoManager,
            TokenRole::PracticeManager,
            TokenRole::Auditor,
        ] {
            let caller = principal(role, Some(A), Some(A1).filter(|_| role == TokenRole::PracticeManager));
            assert_eq!(
                decide(&caller, practice(A1, A), Action::Export),
                Decision::Allow,
                "{role:?}"
            );
        }
        let practice_auditor = principal(TokenRole::Auditor, Some(A), Some(A1));
        assert_eq!(
            decide(&practice_auditor, practice(A1, A), Action::Export),
            Decision::Allow
        );
        assert_eq!(
            decide(&practice_auditor, practice(A2, A), Action::Export),
            Decision::NotFound
        );
        let other_manager = principal(TokenRole::PracticeManager, Some(A), Some(A2));
        assert_eq!(
            decide(&other_manager, practice(A1, A), Action::Export),
            Decision::NotFound
        );
        let po_auditor = principal(TokenRole::Auditor, Some(B), None);
        assert_eq!(decide(&po_auditor, practice(A1, A), Action::Export), Decision::NotFound);
        assert_eq!(
            decide(&po_auditor, Resource::Organizations, Action::Export),
            Decision::Forbidden
        );
        assert_eq!(
            decide(&po_auditor, Resource::Tokens, Action::Export),
            Decision::Forbidden
        );
    }

    #[test]
    fn nobody_grants_more_than_they_have() {
        let manager = principal(TokenRole::PracticeManager, Some(A), Some(A1));
        assert!(manager.may_grant(TokenRole::Auditor, Some(A), Some(A1)));
        assert!(manager.may_grant(TokenRole::PracticeManager, Some(A), Some(A1)));
        assert!(!manager.may_grant(TokenRole::PracticeManager, Some(A), Some(A2)));
        assert!(!manager.may_grant(TokenRole::PoManager, Some(A), None));
        let po = principal(TokenRole::PoManager, Some(A), None);
        assert!(po.may_grant(TokenRole::PracticeManager, Some(A), Some(A2)));
        assert!(!po.may_grant(TokenRole::Admin, None, None));
        assert!(!po.may_grant(TokenRole::Auditor, Some(B), None));
        let auditor = principal(TokenRole::Auditor, Some(A), Some(A1));
        assert!(auditor.may_grant(TokenRole::Auditor, Some(A), Some(A1)));
        assert!(!auditor.may_grant(TokenRole::Auditor, Some(A), None));
        assert!(!auditor.may_grant(TokenRole::PracticeManager, Some(A), Some(A1)));
        let admin = principal(TokenRole::Admin, None, None);
        assert!(admin.may_grant(TokenRole::Admin, None, None));
    }

    #[test]
    fn every_caller_may_read_the_signing_key() {
        for role in [
            TokenRole::Admin,
            TokenRole::PoManager,
            TokenRole::PracticeManager,
            TokenRole::Auditor,
        ] {
            let caller = principal(role, Some(B), None);
            assert_eq!(decide(&caller, Resource::SigningKey, Action::Read), Decision::Allow);
        }
    }
}
