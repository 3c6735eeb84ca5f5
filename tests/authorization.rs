//! The authorization matrix over real HTTP, on SQLite and PostgreSQL: every operation of the
//! served OpenAPI document, called by every kind of caller (no token, bad tokens, admin,
//! po_manager, practice_manager, auditors of a PO and of a practice), on what the caller's
//! scope covers and on what it does not. Nobody sees or changes what their token's scope does
//! not cover: out of scope is 404, a role's forbidden action in scope is 403, no valid token is
//! 401, and a refused request writes nothing.
//!
//! The world: PO A (Alder) with practices A1 (Alder One) and A2 (Cedarhill), PO B (Birchwood)
//! with practice B1. A1, A2 and B1 hold one record of every kind, A and B their PO records.
//! Everything of B is named "Birchwood" and everything of A2 "Cedarhill", so an answer that
//! leaks them is easy to spot.
//!
//! Variants of each path: `in` (A or A1 with their records), `sibling` (A2's path with A1's
//! records), `out` (B or B1 with theirs), `mixed` (A or A1's path with B's or B1's records),
//! `cousin` (A1's path with A2's records), `mixed-last` (only the last id is B1's).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Mutex, MutexGuard, PoisonError};

use common::{try_http, Backend, Response, Server};
use serde_json::{json, Value};

both_backends! {
    every_operation_answers_each_caller_by_its_scope => every_operation_answers_each_caller_by_its_scope;
    lists_show_only_what_the_token_covers => lists_show_only_what_the_token_covers;
    references_in_bodies_and_queries_stay_in_scope => references_in_bodies_and_queries_stay_in_scope;
    out_of_scope_looks_like_absent => out_of_scope_looks_like_absent;
    public_endpoints_need_no_token_and_only_bearer_counts => public_endpoints_need_no_token_and_only_bearer_counts;
}

// ---------------------------------------------------------------------------------------------
// Callers, places and what each operation allows
// ---------------------------------------------------------------------------------------------

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    NoToken,
    Malformed,
    Forged,
    Revoked,
    Expired,
    Admin,
    PoManagerA,
    PracticeManagerA1,
    AuditorA,
    AuditorA1,
}

const CALLERS: [Caller; 10] = [
    Caller::NoToken,
    Caller::Malformed,
    Caller::Forged,
    Caller::Revoked,
    Caller::Expired,
    Caller::Admin,
    Caller::PoManagerA,
    Caller::PracticeManagerA1,
    Caller::AuditorA,
    Caller::AuditorA1,
];

impl Caller {
    fn name(self) -> &'static str {
        match self {
            Caller::NoToken => "no token",
            Caller::Malformed => "malformed token",
            Caller::Forged => "forged token",
            Caller::Revoked => "revoked token",
            Caller::Expired => "expired token",
            Caller::Admin => "admin",
            Caller::PoManagerA => "po_manager A",
            Caller::PracticeManagerA1 => "practice_manager A1",
            Caller::AuditorA => "auditor A",
            Caller::AuditorA1 => "auditor A1",
        }
    }

    fn authenticated(self) -> bool {
        self >= Caller::Admin
    }

    fn auditor(self) -> bool {
        matches!(self, Caller::AuditorA | Caller::AuditorA1)
    }

    /// Whether the caller's scope covers `place` (a PO path covers only PO-scoped tokens).
    fn covers(self, place: Place) -> bool {
        match self {
            Caller::Admin => true,
            Caller::PoManagerA | Caller::AuditorA => matches!(place, Place::A | Place::A1 | Place::A2),
            Caller::PracticeManagerA1 | Caller::AuditorA1 => place == Place::A1,
            _ => false,
        }
    }

    /// Text the caller must never see in any answer (the names of what it does not cover).
    fn must_not_see(self) -> &'static [&'static str] {
        match self {
            Caller::Admin => &[],
            Caller::PoManagerA | Caller::AuditorA => &["Birchwood"],
            _ => &["Birchwood", "Cedarhill"],
        }
    }
}

/// The POs and practices of the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    A,
    A1,
    A2,
    B,
    B1,
}

/// Reading or writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rw {
    Read,
    Write,
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Outside /api/v1: anyone, with or without a token.
    Public,
    /// Catalogs: every authenticated caller reads them.
    Catalogs,
    /// GET /organizations: every authenticated caller, narrowed to its scope.
    OrganizationList,
    /// POST /organizations: admin only.
    OrganizationCreate,
    /// Under /organizations/{organization_id}: PO-scoped tokens of that PO (and admin).
    Organization(Rw),
    /// Under /practices/{practice_id}: tokens covering that practice (and admin).
    Practice(Rw),
    /// GET and POST /tokens: admin and po_manager.
    Tokens,
    /// DELETE /tokens/{token_id}: admin any token, po_manager its PO's.
    TokenRevoke,
    /// GET /tokens/{token_id}: like revoking it, admin any token, po_manager its PO's.
    TokenRead,
    /// GET /audit-events: admin, po_manager and auditors (narrowed to scope).
    AuditEvents,
    /// POST /practices/{practice_id}/packets: an export is a read, so every token covering the practice, auditors included.
    PracticeExport,
    /// GET /signing-key: every authenticated caller.
    SigningKey,
}

/// The body a call sends.
#[derive(Clone, Copy)]
enum Body {
    None,
    /// JSON made from the ids of the practice or PO the path names.
    Json(fn(&Ids) -> Value),
    /// A multipart upload of a small document.
    Document,
    /// A CSV file made from the ids of the practice the path names.
    Csv(fn(&Ids) -> String),
}

/// THE table: every operation of the API, who may call it, and what a write sends. An
/// operation of the served document missing here fails the test.
fn operations() -> BTreeMap<&'static str, (Access, Body)> {
    use Access::{Organization, Practice};
    use Rw::{Read, Write};
    let table: Vec<(&'static str, Access, Body)> = vec![
        ("get_health", Access::Public, Body::None),
        ("get_readiness", Access::Public, Body::None),
        ("list_catalogs", Access::Catalogs, Body::None),
        ("get_catalog", Access::Catalogs, Body::None),
        ("get_criterion", Access::Catalogs, Body::None),
        ("get_catalog_oscal", Access::Catalogs, Body::None),
        ("list_organizations", Access::OrganizationList, Body::None),
        (
            "create_organization",
            Access::OrganizationCreate,
            Body::Json(|_| json!({"name": "Matrix PO"})),
        ),
        ("get_organization", Organization(Read), Body::None),
        ("get_organization_compliance", Organization(Read), Body::None),
        ("get_organization_due", Organization(Read), Body::None),
        ("get_organization_compliance_trend", Organization(Read), Body::None),
        ("get_organization_compliance_oscal", Organization(Read), Body::None),
        ("list_practices", Organization(Read), Body::None),
        (
            "upgrade_organization_catalog",
            Organization(Write),
            Body::Json(|_| json!({"to_version": "1.1.0"})),
        ),
        (
            "create_practice",
            Organization(Write),
            Body::Json(|_| json!({"name": "Matrix practice"})),
        ),
        ("list_organization_attestations", Organization(Read), Body::None),
        ("get_organization_attestation", Organization(Read), Body::None),
        (
            "create_organization_attestation",
            Organization(Write),
            Body::Json(|_| attestation_body("4.24")),
        ),
        ("list_organization_documents", Organization(Read), Body::None),
        ("get_organization_document", Organization(Read), Body::None),
        ("get_organization_document_content", Organization(Read), Body::None),
        ("create_organization_document", Organization(Write), Body::Document),
        ("list_reports", Organization(Read), Body::None),
        ("get_report", Organization(Read), Body::None),
        (
            "create_report",
            Organization(Write),
            Body::Json(
                |_| json!({"report_type": "member_list", "period_start": "2026-09-01", "period_end": "2026-09-30"}),
            ),
        ),
        ("get_practice", Practice(Read), Body::None),
        (
            "update_practice",
            Practice(Write),
            Body::Json(|_| json!({"initial_focus_population": "adults with diabetes"})),
        ),
        ("get_practice_compliance", Practice(Read), Body::None),
        ("get_practice_compliance_oscal", Practice(Read), Body::None),
        (
            "upgrade_practice_catalog",
            Practice(Write),
            Body::Json(|_| json!({"to_version": "1.1.0"})),
        ),
        ("list_staff", Practice(Read), Body::None),
        ("get_staff", Practice(Read), Body::None),
        (
            "create_staff",
            Practice(Write),
            Body::Json(|_| json!({"name": "Matrix Nurse", "role": "nurse", "started_on": "2020-01-01"})),
        ),
        ("update_staff", Practice(Write), Body::Json(|_| json!({}))),
        ("list_trainings", Practice(Read), Body::None),
        ("get_training", Practice(Read), Body::None),
        (
            "create_training",
            Practice(Write),
            Body::Json(
                |ids| json!({"staff_id": ids.get("staff_id"), "topic": "chronic_care_model", "completed_on": "2026-03-02", "hours": 1.0}),
            ),
        ),
        (
            "import_trainings",
            Practice(Write),
            Body::Csv(|ids| {
                format!(
                    "topic,staff_id,hours,completed_on\nchronic_care_model,{},1,2026-03-05\n",
                    ids.get("staff_id")
                )
            }),
        ),
        ("list_surveys", Practice(Read), Body::None),
        ("get_survey", Practice(Read), Body::None),
        (
            "create_survey",
            Practice(Write),
            Body::Json(
                |_| json!({"kind": "office_efficiency", "conducted_on": "2026-05-10", "respondents": 10, "score": 80.0}),
            ),
        ),
        ("list_meetings", Practice(Read), Body::None),
        ("get_meeting", Practice(Read), Body::None),
        (
            "create_meeting",
            Practice(Write),
            Body::Json(|_| {
                json!({
                    "held_on": "2026-10-10", "kind": "care_team_huddle",
                    "attendees": [{"role": "physician"}, {"role": "care_manager"}],
                    "patients_reviewed": 2, "documented_in_chart": true
                })
            }),
        ),
        (
            "complete_follow_up",
            Practice(Write),
            Body::Json(|_| json!({"completed_on": "2026-11-18"})),
        ),
        ("list_care_plans", Practice(Read), Body::None),
        ("get_care_plans_fhir", Practice(Read), Body::None),
        ("get_care_plan", Practice(Read), Body::None),
        (
            "create_care_plan",
            Practice(Write),
            Body::Json(|ids| {
                json!({
                    "kind": "advance_care_plan", "patient_ref": "PT-07001",
                    "initiating_provider": ids.get("staff_id"), "discussed_on": "2026-05-01",
                    "documented_in_record": true, "care_partners": ["Cardiology"]
                })
            }),
        ),
        ("update_care_plan", Practice(Write), Body::Json(|_| json!({}))),
        (
            "create_care_plan_share",
            Practice(Write),
            Body::Json(|ids| json!({"partner_id": ids.get("partner_id"), "shared_on": "2026-05-04", "method": "fax"})),
        ),
        ("list_practice_attestations", Practice(Read), Body::None),
        ("get_practice_attestation", Practice(Read), Body::None),
        (
            "create_practice_attestation",
            Practice(Write),
            Body::Json(|_| attestation_body("4.3")),
        ),
        ("list_practice_documents", Practice(Read), Body::None),
        ("get_practice_document", Practice(Read), Body::None),
        ("get_practice_document_content", Practice(Read), Body::None),
        ("create_practice_document", Practice(Write), Body::Document),
        ("list_practice_reports", Practice(Read), Body::None),
        ("list_tokens", Access::Tokens, Body::None),
        (
            "create_token",
            Access::Tokens,
            Body::Json(
                |ids| json!({"label": "matrix auditor", "role": "auditor", "practice_id": ids.get("a1"), "expires_in_days": 1}),
            ),
        ),
        ("get_token", Access::TokenRead, Body::None),
        ("revoke_token", Access::TokenRevoke, Body::None),
        ("list_audit_events", Access::AuditEvents, Body::None),
        (
            "create_packet",
            Access::PracticeExport,
            Body::Json(|_| json!({"from": "2026-01-01", "to": "2026-12-31"})),
        ),
        ("get_signing_key", Access::SigningKey, Body::None),
        ("void_staff", Practice(Write), Body::Json(|_| void_body())),
        ("void_training", Practice(Write), Body::Json(|_| void_body())),
        ("void_meeting", Practice(Write), Body::Json(|_| void_body())),
        ("void_follow_up", Practice(Write), Body::Json(|_| void_body())),
        ("void_care_plan", Practice(Write), Body::Json(|_| void_body())),
        ("void_care_plan_share", Practice(Write), Body::Json(|_| void_body())),
        ("void_survey", Practice(Write), Body::Json(|_| void_body())),
        ("void_practice_document", Practice(Write), Body::Json(|_| void_body())),
        (
            "void_organization_document",
            Organization(Write),
            Body::Json(|_| void_body()),
        ),
        ("void_report", Organization(Write), Body::Json(|_| void_body())),
    ];
    let mut map = BTreeMap::new();
    for (id, access, body) in table {
        assert!(map.insert(id, (access, body)).is_none(), "{id} is twice in the table");
    }
    map
}

fn void_body() -> Value {
    json!({"reason": "entered by mistake"})
}

fn attestation_body(criterion: &str) -> Value {
    json!({
        "criterion": criterion, "status": "in_place", "effective_on": "2026-04-01",
        "signer": "Dana Reyes", "signer_role": "Office manager", "statement": "The process is in place."
    })
}

/// What a call should get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Past the guard and the handler found what the path names: 200 for a read; for a write,
    /// the handler's own answer (200, 201, 400, 409, 422).
    Ok,
    Unauthorized,
    Forbidden,
    NotFound,
}

/// One request of the matrix, before the caller is chosen.
struct Call {
    op: &'static str,
    variant: &'static str,
    method: String,
    path: String,
    access: Access,
    body: Body,
    /// The PO or practice the path names.
    owner: Option<Place>,
    /// Whose records the path's record ids are, in order.
    records: Vec<Place>,
}

impl Call {
    fn rw(&self) -> Rw {
        if self.method == "GET" {
            Rw::Read
        } else {
            Rw::Write
        }
    }

    fn expect(&self, caller: Caller) -> Expect {
        if self.access == Access::Public {
            return Expect::Ok;
        }
        if !caller.authenticated() {
            return Expect::Unauthorized;
        }
        match self.access {
            Access::Public | Access::Catalogs | Access::OrganizationList | Access::SigningKey => Expect::Ok,
            Access::PracticeExport if caller.covers(self.owner.expect("a scoped path names its owner")) => Expect::Ok,
            Access::PracticeExport => Expect::NotFound,
            Access::OrganizationCreate if caller == Caller::Admin => Expect::Ok,
            Access::OrganizationCreate => Expect::Forbidden,
            Access::Tokens if matches!(caller, Caller::Admin | Caller::PoManagerA) => Expect::Ok,
            Access::Tokens => Expect::Forbidden,
            Access::TokenRevoke | Access::TokenRead if !matches!(caller, Caller::Admin | Caller::PoManagerA) => {
                Expect::Forbidden
            }
            Access::TokenRevoke | Access::TokenRead if self.records.iter().all(|p| caller.covers(*p)) => Expect::Ok,
            Access::TokenRevoke | Access::TokenRead => Expect::NotFound,
            Access::AuditEvents if caller == Caller::PracticeManagerA1 => Expect::Forbidden,
            Access::AuditEvents => Expect::Ok,
            Access::Organization(rw) | Access::Practice(rw) => {
                let owner = self.owner.expect("a scoped path names its owner");
                if !caller.covers(owner) {
                    Expect::NotFound
                } else if rw == Rw::Write && caller.auditor() {
                    Expect::Forbidden
                } else if self.records.iter().any(|p| *p != owner) {
                    // The path's records are not the owner's: the handler finds nothing.
                    Expect::NotFound
                } else {
                    Expect::Ok
                }
            }
        }
    }
}

/// Whether `response` is what `expect` says; the reason when it is not.
fn check(expect: Expect, rw: Rw, caller: Caller, response: &Response) -> Result<(), String> {
    let status = response.status;
    let fits = match expect {
        Expect::Ok => match rw {
            Rw::Read => status == 200,
            Rw::Write => matches!(status, 200 | 201 | 400 | 409 | 422),
        },
        Expect::Unauthorized => {
            status == 401
                && response
                    .header("WWW-Authenticate")
                    .is_some_and(|h| h.starts_with("Bearer"))
        }
        Expect::Forbidden => status == 403,
        Expect::NotFound => status == 404,
    };
    if !fits {
        let text = response.text();
        let shown: String = text.chars().take(300).collect();
        return Err(format!("expected {expect:?}, got {status}: {shown}"));
    }
    let text = response.text();
    for secret in caller.must_not_see() {
        if text.contains(secret) {
            return Err(format!(
                "the answer ({status}) shows `{secret}` to {}: {text}",
                caller.name()
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The world: fixture and tokens, made through the API as admin
// ---------------------------------------------------------------------------------------------

/// The ids a path or body may use, by path parameter name.
#[derive(Debug, Clone, Default)]
struct Ids(BTreeMap<&'static str, i64>);

impl Ids {
    fn get(&self, name: &str) -> i64 {
        *self.0.get(name).unwrap_or_else(|| panic!("no {name} in {:?}", self.0))
    }

    fn set(&mut self, name: &'static str, id: i64) {
        self.0.insert(name, id);
    }
}

struct World {
    server: Server,
    a: Ids,
    a1: Ids,
    a2: Ids,
    b: Ids,
    b1: Ids,
    catalog: String,
    version: String,
    tokens: BTreeMap<Caller, Option<String>>,
    /// Held while the server runs (declared last: dropped after it).
    _serial: Option<MutexGuard<'static, ()>>,
}

impl World {
    fn ids(&self, place: Place) -> &Ids {
        match place {
            Place::A => &self.a,
            Place::A1 => &self.a1,
            Place::A2 => &self.a2,
            Place::B => &self.b,
            Place::B1 => &self.b1,
        }
    }

    fn token(&self, caller: Caller) -> Option<&str> {
        self.tokens[&caller].as_deref()
    }

    fn send(&self, caller: Caller, method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Response {
        self.server
            .request_as(self.token(caller), method, path, content_type, body)
    }

    fn get_as(&self, caller: Caller, path: &str) -> Response {
        self.send(caller, "GET", path, None, b"")
    }

    fn post_as(&self, caller: Caller, path: &str, body: &Value) -> Response {
        self.send(
            caller,
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }
}

fn id_of(value: &Value) -> i64 {
    value["id"].as_i64().unwrap_or_else(|| panic!("an id in {value}"))
}

/// A multipart upload of a small text document; returns the content type and the body.
fn document_upload(title: &str, document_type: &str) -> (String, Vec<u8>) {
    let boundary = "pcmh-authorization-boundary-51d04b8c";
    let metadata =
        json!({"title": title, "document_type": document_type, "criteria": [], "effective_on": "2026-03-01"});
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\nContent-Type: application/json\r\n\r\n\
         {metadata}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"workflow.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{title}: step 1, identify patients; step 2, call them.\r\n--{boundary}--\r\n"
    );
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

fn upload(server: &Server, owner_path: &str, title: &str) -> i64 {
    let (content_type, body) = document_upload(title, "care_management_workflow");
    let response = server.request(
        "POST",
        &format!("/api/v1/{owner_path}/documents"),
        Some(&content_type),
        &body,
    );
    assert_eq!(response.status, 201, "upload to {owner_path}: {}", response.text());
    id_of(&response.json())
}

fn api_token(server: &Server, body: &Value) -> (i64, String) {
    let issued = server.create("/api/v1/tokens", body);
    (
        issued["info"]["id"].as_i64().expect("a token id"),
        issued["token"].as_str().expect("a token").to_owned(),
    )
}

/// One record of every kind in practice `practice` of PO `po`, named after `name`.
fn practice_records(server: &Server, po: i64, practice: i64, name: &str) -> Ids {
    let base = format!("/api/v1/practices/{practice}");
    let mut ids = Ids::default();
    ids.set("organization_id", po);
    ids.set("practice_id", practice);
    let staff = id_of(&server.create(
        &format!("{base}/staff"),
        &json!({"name": format!("{name} Physician"), "role": "physician", "started_on": "2019-03-04"}),
    ));
    ids.set("staff_id", staff);
    let document = upload(server, &format!("practices/{practice}"), &format!("{name} workflow"));
    ids.set("document_id", document);
    ids.set(
        "training_id",
        id_of(&server.create(
            &format!("{base}/trainings"),
            &json!({
                "staff_id": staff, "topic": "chronic_care_model", "completed_on": "2026-03-02",
                "hours": 1.5, "trainer": format!("{name} coach"), "document_id": document
            }),
        )),
    );
    ids.set(
        "survey_id",
        id_of(&server.create(
            &format!("{base}/surveys"),
            &json!({"kind": "patient_satisfaction", "conducted_on": "2026-05-10", "respondents": 212, "score": 87.5}),
        )),
    );
    let meeting = server.create(
        &format!("{base}/meetings"),
        &json!({
            "held_on": "2026-11-10", "kind": "case_conference",
            "attendees": [{"role": "physician", "staff_id": staff}, {"role": "care_manager"}],
            "patients_reviewed": 6, "documented_in_chart": true,
            "follow_ups": [{"description": format!("{name} transport"), "owner": staff, "due_on": "2026-11-20"}]
        }),
    );
    ids.set("meeting_id", id_of(&meeting));
    ids.set(
        "follow_up_id",
        meeting["follow_ups"][0]["id"].as_i64().expect("a follow-up id"),
    );
    let plan = server.create(
        &format!("{base}/care-plans"),
        &json!({
            "kind": "advance_care_plan", "patient_ref": "PT-00042", "initiating_provider": staff,
            "discussed_on": "2026-05-01", "established_on": "2026-05-01", "documented_in_record": true,
            "care_partners": [format!("{name} Cardiology"), format!("{name} daughter")]
        }),
    );
    let plan_id = id_of(&plan);
    ids.set("care_plan_id", plan_id);
    let partner = plan["care_partners"][0]["id"].as_i64().expect("a partner id");
    ids.set("partner_id", partner);
    let share = server.create(
        &format!("{base}/care-plans/{plan_id}/shares"),
        &json!({"partner_id": partner, "shared_on": "2026-05-03", "method": "in_person"}),
    );
    ids.set("share_id", id_of(&share));
    let mut attestation = attestation_body("4.3");
    attestation["evidence"] = json!([document]);
    attestation["signer"] = json!(format!("{name} office manager"));
    ids.set(
        "attestation_id",
        id_of(&server.create(&format!("{base}/attestations"), &attestation)),
    );
    ids.set(
        "report_id",
        id_of(&server.create(
            &format!("/api/v1/organizations/{po}/reports"),
            &json!({"report_type": "member_list", "period_start": "2026-10-01", "period_end": "2026-10-31", "practice_id": practice}),
        )),
    );
    let (token, _) = api_token(
        server,
        &json!({"label": format!("{name} practice manager"), "role": "practice_manager", "practice_id": practice}),
    );
    ids.set("token_id", token);
    ids
}

/// A PO's own records: an attestation, a document, a PO-wide report and a po_manager token.
fn organization_records(server: &Server, po: i64, name: &str) -> Ids {
    let mut ids = Ids::default();
    ids.set("organization_id", po);
    let document = upload(server, &format!("organizations/{po}"), &format!("{name} PO workflow"));
    ids.set("document_id", document);
    let mut attestation = attestation_body("4.24");
    attestation["signer"] = json!(format!("{name} medical director"));
    ids.set(
        "attestation_id",
        id_of(&server.create(&format!("/api/v1/organizations/{po}/attestations"), &attestation)),
    );
    ids.set(
        "report_id",
        id_of(&server.create(
            &format!("/api/v1/organizations/{po}/reports"),
            &json!({"report_type": "member_list", "period_start": "2026-10-01", "period_end": "2026-10-31", "document_id": document}),
        )),
    );
    let (token, _) = api_token(
        server,
        &json!({"label": format!("{name} PO manager"), "role": "po_manager", "organization_id": po}),
    );
    ids.set("token_id", token);
    ids
}

/// One PostgreSQL server of these tests at a time: each server holds a pool of connections, and
/// several at once (with the other test binaries) exhaust the server's `max_connections`.
fn serial(backend: Backend) -> Option<MutexGuard<'static, ()>> {
    static POSTGRES: Mutex<()> = Mutex::new(());
    (backend == Backend::Postgres).then(|| POSTGRES.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Moves a token's expiry into the past, straight in the test's database (time cannot be moved).
fn expire(server: &Server, id: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let sql = format!("UPDATE tokens SET expires_at = '2001-01-01 00:00:00' WHERE id = {id}");
    match server.backend {
        Backend::Sqlite => diesel::SqliteConnection::establish(server.database_url.trim_start_matches("sqlite://"))
            .expect("the SQLite database opens")
            .batch_execute(&sql),
        Backend::Postgres => diesel::PgConnection::establish(&server.database_url)
            .expect("the PostgreSQL database answers")
            .batch_execute(&sql),
    }
    .expect("the token's expiry is moved");
}

fn world(backend: Backend) -> World {
    let serial = serial(backend);
    let server = Server::start(backend);
    let organization = |name: &str| id_of(&server.create("/api/v1/organizations", &json!({ "name": name })));
    let practice = |po: i64, name: &str| {
        id_of(&server.create(
            &format!("/api/v1/organizations/{po}/practices"),
            &json!({"name": name, "initial_focus_population": "adults with diabetes"}),
        ))
    };
    let a_id = organization("Alder PO");
    let a1_id = practice(a_id, "Alder One Clinic");
    let a2_id = practice(a_id, "Cedarhill Clinic");
    let b_id = organization("Birchwood PO");
    let b1_id = practice(b_id, "Birchwood Clinic");

    let a = organization_records(&server, a_id, "Alder");
    let b = organization_records(&server, b_id, "Birchwood");
    let a1 = practice_records(&server, a_id, a1_id, "Alder");
    let b1 = practice_records(&server, b_id, b1_id, "Birchwood");
    let a2 = practice_records(&server, a_id, a2_id, "Cedarhill");

    let catalogs = server.get("/api/v1/catalogs").json();
    let catalog = catalogs[0]["id"].as_str().expect("a catalog id").to_owned();
    let version = catalogs[0]["version"].as_str().expect("a catalog version").to_owned();

    // Tokens of every kind of caller.
    let org = a_id.to_string();
    let p1 = a1_id.to_string();
    let revoked = server.token(&["--role", "admin", "--label", "soon revoked"]);
    let revoked_id = revoked.split('_').nth(1).expect("pcmh_<id>_<secret>");
    let answer = server.request("DELETE", &format!("/api/v1/tokens/{revoked_id}"), None, b"");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let admin_id = server.admin_token.split('_').nth(1).expect("pcmh_<id>_<secret>");
    let mut tokens = BTreeMap::new();
    tokens.insert(Caller::NoToken, None);
    tokens.insert(Caller::Malformed, Some("not-a-token".to_owned()));
    tokens.insert(Caller::Forged, Some(format!("pcmh_{admin_id}_{}", "0".repeat(64))));
    tokens.insert(Caller::Revoked, Some(revoked));
    let expired = server.token(&["--role", "admin", "--expires-in", "1", "--label", "soon expired"]);
    expire(&server, expired.split('_').nth(1).expect("pcmh_<id>_<secret>"));
    tokens.insert(Caller::Expired, Some(expired));
    tokens.insert(Caller::Admin, Some(server.admin_token.clone()));
    tokens.insert(
        Caller::PoManagerA,
        Some(server.token(&["--role", "po_manager", "--organization", &org])),
    );
    tokens.insert(
        Caller::PracticeManagerA1,
        Some(server.token(&["--role", "practice_manager", "--practice", &p1])),
    );
    tokens.insert(
        Caller::AuditorA,
        Some(server.token(&["--role", "auditor", "--organization", &org])),
    );
    tokens.insert(
        Caller::AuditorA1,
        Some(server.token(&["--role", "auditor", "--practice", &p1])),
    );
    let mut world = World {
        server,
        a,
        a1,
        a2,
        b,
        b1,
        catalog,
        version,
        tokens,
        _serial: serial,
    };
    // A body that names "the practice A1" (create_token) finds it among the ids of any place.
    for ids in [&mut world.a, &mut world.a1, &mut world.a2, &mut world.b, &mut world.b1] {
        ids.set("a1", a1_id);
    }
    world
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

/// The operations of the served document: (operationId, method, path).
fn served_operations(world: &World) -> Vec<(String, String, String)> {
    let response = world.server.request_as(None, "GET", "/openapi.json", None, b"");
    assert_eq!(response.status, 200, "the OpenAPI document is served without a token");
    let spec = response.json();
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let id = operation["operationId"].as_str().unwrap_or_default().to_owned();
            found.push((id, method.to_uppercase(), path.clone()));
        }
    }
    found
}

/// The path parameters of a template, in order.
fn parameters(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// The query a read needs to answer 200, for the operations whose query parameters are required.
const REQUIRED_QUERIES: &[(&str, &str)] = &[("get_care_plans_fhir", "from=2026-01-01&to=2026-12-31")];

const SCOPE_PARAMETERS: [&str; 5] = ["organization_id", "practice_id", "catalog", "version", "criterion"];

/// The calls of one operation: its path filled in for each variant of scope.
fn calls_of(
    world: &World,
    op: &'static str,
    method: &str,
    template: &str,
    access: Access,
    body: Body,
) -> Result<Vec<Call>, String> {
    let params = parameters(template);
    let record_params: Vec<&String> = params
        .iter()
        .filter(|p| !SCOPE_PARAMETERS.contains(&p.as_str()))
        .collect();
    let n = record_params.len();
    // Consistency of the table with the document.
    let expected_prefix = match access {
        Access::Organization(_) => Some("/api/v1/organizations/{organization_id}"),
        Access::Practice(_) | Access::PracticeExport => Some("/api/v1/practices/{practice_id}"),
        Access::SigningKey => Some("/api/v1/signing-key"),
        Access::Tokens | Access::TokenRevoke | Access::TokenRead => Some("/api/v1/tokens"),
        Access::AuditEvents => Some("/api/v1/audit-events"),
        Access::Catalogs => Some("/api/v1/catalogs"),
        Access::OrganizationList | Access::OrganizationCreate => Some("/api/v1/organizations"),
        Access::Public => None,
    };
    if let Some(prefix) = expected_prefix {
        if !template.starts_with(prefix) {
            return Err(format!(
                "{op} ({method} {template}) is {access:?} in the table, but its path is not under {prefix}"
            ));
        }
    } else if template.starts_with("/api/v1") {
        return Err(format!(
            "{op} ({method} {template}) is public in the table but under /api/v1"
        ));
    }
    let writes = method != "GET";
    let table_writes = match access {
        Access::Organization(rw) | Access::Practice(rw) => Some(rw == Rw::Write),
        Access::OrganizationList | Access::Catalogs | Access::AuditEvents | Access::SigningKey | Access::TokenRead => {
            Some(false)
        }
        Access::OrganizationCreate | Access::TokenRevoke | Access::PracticeExport => Some(true),
        Access::Public | Access::Tokens => None,
    };
    if table_writes.is_some_and(|w| w != writes) {
        return Err(format!(
            "{op} ({method} {template}) reads/writes otherwise than its table entry {access:?}"
        ));
    }
    if writes != !matches!(body, Body::None) && method != "DELETE" {
        return Err(format!(
            "{op} ({method} {template}): give the table a body for a write, none for a read"
        ));
    }

    let variants: Vec<(&'static str, Option<Place>, Vec<Place>)> = match access {
        Access::Organization(_) => {
            let mut v = vec![
                ("in", Some(Place::A), vec![Place::A; n]),
                ("out", Some(Place::B), vec![Place::B; n]),
            ];
            if n > 0 {
                v.push(("mixed", Some(Place::A), vec![Place::B; n]));
            }
            v
        }
        Access::Practice(_) | Access::PracticeExport => {
            let mut v = vec![
                ("in", Some(Place::A1), vec![Place::A1; n]),
                ("sibling", Some(Place::A2), vec![Place::A1; n]),
                ("out", Some(Place::B1), vec![Place::B1; n]),
            ];
            if n > 0 {
                v.push(("mixed", Some(Place::A1), vec![Place::B1; n]));
                // A1's path with the records of A2, the other practice of the same PO.
                v.push(("cousin", Some(Place::A1), vec![Place::A2; n]));
            }
            if n > 1 {
                let mut last = vec![Place::A1; n];
                last[n - 1] = Place::B1;
                v.push(("mixed-last", Some(Place::A1), last));
            }
            v
        }
        Access::TokenRevoke | Access::TokenRead => vec![("in", None, vec![Place::A1]), ("out", None, vec![Place::B1])],
        _ if n > 0 => return Err(format!("{op} ({method} {template}) has ids the matrix cannot fill in")),
        _ => vec![("any", None, vec![])],
    };

    let mut calls = Vec::new();
    for (variant, owner, records) in variants {
        let mut path = template.to_owned();
        let mut record_index = 0;
        for param in &params {
            let value = match param.as_str() {
                "catalog" => world.catalog.clone(),
                "version" => world.version.clone(),
                "criterion" => "4.1".to_owned(),
                "organization_id" | "practice_id" => {
                    let owner = owner.ok_or_else(|| format!("{op}: {param} outside a scoped path"))?;
                    world.ids(owner).get(param).to_string()
                }
                other => {
                    let place = records[record_index];
                    record_index += 1;
                    let ids = world.ids(place);
                    let id = ids.0.get(other).copied().ok_or_else(|| {
                        format!("{op}: the matrix has no `{other}` for {place:?}; add it to the fixture")
                    })?;
                    id.to_string()
                }
            };
            path = path.replace(&format!("{{{param}}}"), &value);
        }
        if let Some((_, query)) = REQUIRED_QUERIES.iter().find(|(name, _)| *name == op) {
            path = format!("{path}?{query}");
        }
        calls.push(Call {
            op,
            variant,
            method: method.to_owned(),
            path,
            access,
            body,
            owner,
            records,
        });
    }
    Ok(calls)
}

/// Sends `call` as `caller`.
fn send(world: &World, call: &Call, caller: Caller) -> Response {
    // A body refers to the records of the practice the path names (A2's: A1's, so they do not fit).
    let body_place = match call.owner {
        Some(Place::A2) | None => Place::A1,
        Some(place) => place,
    };
    let ids = world.ids(body_place);
    let token = world.token(caller);
    let (content_type, bytes): (Option<String>, Vec<u8>) = match call.body {
        Body::None => (None, Vec::new()),
        Body::Json(make) => (Some("application/json".into()), make(ids).to_string().into_bytes()),
        Body::Csv(make) => (Some("text/csv".into()), make(ids).into_bytes()),
        Body::Document => {
            let (content_type, body) = document_upload("Matrix upload", "care_management_workflow");
            (Some(content_type), body)
        }
    };
    try_http(
        &world.server.address,
        token,
        &call.method,
        &call.path,
        content_type.as_deref(),
        &bytes,
    )
    .unwrap_or_else(|e| panic!("{} {}: {e}", call.method, call.path))
}

/// Everything an admin can read, to prove that refused requests wrote nothing.
fn snapshot(world: &World, calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter(|c| c.method == "GET" && c.path.starts_with("/api/v1/"))
        .map(|c| {
            let path = if c.op == "list_audit_events" || c.op == "list_tokens" {
                format!("{}?limit=500", c.path)
            } else {
                c.path.clone()
            };
            let response = world.server.get(&path);
            format!("{} {} {}", path, response.status, response.text())
        })
        .collect()
}

fn every_operation_answers_each_caller_by_its_scope(backend: Backend) {
    let world = world(backend);
    let table = operations();
    let served = served_operations(&world);
    let mut problems: Vec<String> = Vec::new();

    // Every operation served has its row; every row has its operation.
    let mut calls: Vec<Call> = Vec::new();
    let mut seen = BTreeSet::new();
    for (op, method, path) in &served {
        let Some((&op, &(access, body))) = table.get_key_value(op.as_str()) else {
            problems.push(format!(
                "the served document has {method} {path} (operationId `{op}`), which the authorization matrix does \
                 not know: add `{op}` to operations() in tests/authorization.rs with who may call it"
            ));
            continue;
        };
        seen.insert(op);
        match calls_of(&world, op, method, path, access, body) {
            Ok(mut made) => calls.append(&mut made),
            Err(problem) => problems.push(problem),
        }
    }
    for op in table.keys() {
        if !seen.contains(op) {
            problems.push(format!(
                "`{op}` is in the matrix but not in the served document: remove it"
            ));
        }
    }

    // Refusals first (in parallel: they must write nothing), then what is allowed (in order).
    let mut refused: Vec<(usize, Caller)> = Vec::new();
    let mut allowed: Vec<(usize, Caller)> = Vec::new();
    for (i, call) in calls.iter().enumerate() {
        for caller in CALLERS {
            if call.expect(caller) == Expect::Ok && call.method != "GET" {
                allowed.push((i, caller));
            } else {
                refused.push((i, caller));
            }
        }
    }
    let before = snapshot(&world, &calls);
    let mut statuses: BTreeMap<(usize, Caller), u16> = BTreeMap::new();
    let results: Vec<((usize, Caller), Response)> = std::thread::scope(|scope| {
        let workers: Vec<_> = refused
            .chunks(refused.len().div_ceil(8).max(1))
            .map(|chunk| {
                let world = &world;
                let calls = &calls;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|&(i, caller)| ((i, caller), send(world, &calls[i], caller)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a worker")).collect()
    });
    for ((i, caller), response) in results {
        let call = &calls[i];
        if let Err(why) = check(call.expect(caller), call.rw(), caller, &response) {
            problems.push(format!(
                "{} [{}] {} {} as {}: {why}",
                call.op,
                call.variant,
                call.method,
                call.path,
                caller.name()
            ));
        }
        statuses.insert((i, caller), response.status);
    }
    let after = snapshot(&world, &calls);
    for (b, a) in before.iter().zip(&after) {
        if b != a {
            problems.push(format!(
                "refused requests changed what is stored:\n  before: {}\n  after:  {}",
                b.chars().take(400).collect::<String>(),
                a.chars().take(400).collect::<String>()
            ));
        }
    }
    for &(i, caller) in &allowed {
        let call = &calls[i];
        let response = send(&world, call, caller);
        if let Err(why) = check(Expect::Ok, call.rw(), caller, &response) {
            problems.push(format!(
                "{} [{}] {} {} as {}: {why}",
                call.op,
                call.variant,
                call.method,
                call.path,
                caller.name()
            ));
        }
        statuses.insert((i, caller), response.status);
    }

    // A compact summary: for each operation and variant, the statuses of the authenticated callers.
    let mut summary = String::new();
    let operations: BTreeSet<&str> = calls.iter().map(|c| c.op).collect();
    let _ = writeln!(
        summary,
        "authorization matrix ({backend:?}): {} operations x {} callers, {} calls, {} requests, {} problems",
        operations.len(),
        CALLERS.len(),
        calls.len(),
        statuses.len(),
        problems.len()
    );
    let unauthenticated: Vec<u16> = statuses
        .iter()
        .filter(|((i, caller), _)| !caller.authenticated() && calls[*i].access != Access::Public)
        .map(|(_, status)| *status)
        .collect();
    let _ = writeln!(
        summary,
        "  no/malformed/forged/revoked/expired token: {} requests under /api/v1, {} answered 401",
        unauthenticated.len(),
        unauthenticated.iter().filter(|s| **s == 401).count()
    );
    let _ = writeln!(summary, "  columns: admin/poA/pmA1/audA/audA1");
    for op in &operations {
        let mut line = format!("  {op:<34}");
        for (i, call) in calls.iter().enumerate().filter(|(_, c)| c.op == *op) {
            let codes: Vec<String> = CALLERS
                .iter()
                .filter(|c| c.authenticated())
                .map(|c| statuses.get(&(i, *c)).map_or("-".into(), u16::to_string))
                .collect();
            let _ = write!(line, " {}:{}", call.variant, codes.join("/"));
        }
        let _ = writeln!(summary, "{line}");
    }
    println!("{summary}");
    assert!(
        problems.is_empty(),
        "{} authorization problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Lists narrowed to scope
// ---------------------------------------------------------------------------------------------

fn items(response: &Response) -> Vec<Value> {
    response.json()["items"].as_array().cloned().unwrap_or_default()
}

fn ids_in(response: &Response) -> BTreeSet<i64> {
    items(response).iter().map(id_of).collect()
}

fn lists_show_only_what_the_token_covers(backend: Backend) {
    let world = world(backend);
    let (a, b) = (world.a.get("organization_id"), world.b.get("organization_id"));
    let (a1, a2, b1) = (
        world.a1.get("practice_id"),
        world.a2.get("practice_id"),
        world.b1.get("practice_id"),
    );
    let mut problems = Vec::new();
    let mut expect = |what: String, ok: bool| {
        if !ok {
            problems.push(what);
        }
    };

    // GET /organizations: admin all, PO-scoped tokens their PO, practice-scoped tokens none.
    for (caller, want) in [
        (Caller::Admin, vec![a, b]),
        (Caller::PoManagerA, vec![a]),
        (Caller::AuditorA, vec![a]),
        (Caller::PracticeManagerA1, vec![]),
        (Caller::AuditorA1, vec![]),
    ] {
        let response = world.get_as(caller, "/api/v1/organizations");
        let got = ids_in(&response);
        let total = response.json()["total"].as_i64();
        expect(
            format!(
                "GET /organizations as {}: {got:?} (total {total:?}), want {want:?}",
                caller.name()
            ),
            response.status == 200 && got == want.iter().copied().collect() && total == Some(want.len() as i64),
        );
    }

    // GET /organizations/A/practices: A1 and A2 only.
    for caller in [Caller::Admin, Caller::PoManagerA, Caller::AuditorA] {
        let got = ids_in(&world.get_as(caller, &format!("/api/v1/organizations/{a}/practices")));
        expect(
            format!("practices of A as {}: {got:?}", caller.name()),
            got == [a1, a2].into_iter().collect(),
        );
    }

    // GET /tokens: admin all; po_manager A only A's (its PO's and its practices'), never B's or admin's.
    let all = world.get_as(Caller::Admin, "/api/v1/tokens?limit=500");
    let all_ids = ids_in(&all);
    expect(
        "admin lists the tokens of A, A1, B and B1".into(),
        [
            world.a.get("token_id"),
            world.a1.get("token_id"),
            world.b.get("token_id"),
            world.b1.get("token_id"),
        ]
        .iter()
        .all(|t| all_ids.contains(t)),
    );
    let own = world.get_as(Caller::PoManagerA, "/api/v1/tokens?limit=500");
    expect(format!("po_manager A lists tokens: {}", own.status), own.status == 200);
    let own_items = items(&own);
    expect(
        format!("po_manager A sees only A's tokens: {own_items:?}"),
        !own_items.is_empty() && own_items.iter().all(|t| t["organization_id"] == a),
    );
    let own_ids = ids_in(&own);
    expect(
        "po_manager A sees A's PO token and A1's practice token".into(),
        own_ids.contains(&world.a.get("token_id")) && own_ids.contains(&world.a1.get("token_id")),
    );
    expect(
        format!("po_manager A's token total counts A's only: {}", own.json()["total"]),
        own.json()["total"].as_u64() == Some(own_items.len() as u64),
    );
    for caller in [Caller::PracticeManagerA1, Caller::AuditorA, Caller::AuditorA1] {
        let status = world.get_as(caller, "/api/v1/tokens").status;
        expect(format!("GET /tokens as {}: {status}", caller.name()), status == 403);
    }

    // GET /audit-events: narrowed to the caller's PO or practice.
    let events = |caller: Caller, query: &str| world.get_as(caller, &format!("/api/v1/audit-events?limit=500{query}"));
    let everything = events(Caller::Admin, "");
    expect(
        format!("admin reads the audit trail: {}", everything.status),
        everything.status == 200 && !items(&everything).is_empty(),
    );
    for caller in [Caller::PoManagerA, Caller::AuditorA] {
        let response = events(caller, "");
        let list = items(&response);
        expect(
            format!("audit events as {}: {} events, all of A", caller.name(), list.len()),
            response.status == 200 && !list.is_empty() && list.iter().all(|e| e["organization_id"] == a),
        );
        expect(
            format!("audit events as {}: total is the narrowed count", caller.name()),
            response.json()["total"].as_u64() == Some(list.len() as u64),
        );
        for query in [format!("&organization_id={b}"), format!("&practice_id={b1}")] {
            let response = events(caller, &query);
            expect(
                format!(
                    "audit events{query} as {}: {} {}",
                    caller.name(),
                    response.status,
                    response.text()
                ),
                response.status == 404 || (response.status == 200 && items(&response).is_empty()),
            );
        }
    }
    let response = events(Caller::AuditorA1, "");
    let list = items(&response);
    expect(
        format!("audit events as auditor A1: {} events, all of A1", list.len()),
        response.status == 200 && !list.is_empty() && list.iter().all(|e| e["practice_id"] == a1),
    );
    for query in [
        format!("&practice_id={a2}"),
        format!("&practice_id={b1}"),
        format!("&organization_id={b}"),
    ] {
        let response = events(Caller::AuditorA1, &query);
        expect(
            format!("audit events{query} as auditor A1: {}", response.status),
            response.status == 404 || (response.status == 200 && items(&response).is_empty()),
        );
    }
    expect(
        "a practice_manager may not read the audit trail".into(),
        events(Caller::PracticeManagerA1, "").status == 403,
    );

    // Reports of A1: its own and A's PO-wide ones, never A2's or B's.
    for caller in [Caller::PracticeManagerA1, Caller::AuditorA1, Caller::PoManagerA] {
        let got = ids_in(&world.get_as(caller, &format!("/api/v1/practices/{a1}/reports")));
        expect(
            format!("reports of A1 as {}: {got:?}", caller.name()),
            got.contains(&world.a1.get("report_id"))
                && got.contains(&world.a.get("report_id"))
                && !got.contains(&world.a2.get("report_id"))
                && !got.contains(&world.b1.get("report_id"))
                && !got.contains(&world.b.get("report_id")),
        );
    }
    // Documents of A1: never A2's or B's.
    for caller in [Caller::PracticeManagerA1, Caller::AuditorA1] {
        let got = ids_in(&world.get_as(caller, &format!("/api/v1/practices/{a1}/documents")));
        expect(
            format!("documents of A1 as {}: {got:?}", caller.name()),
            got.contains(&world.a1.get("document_id"))
                && !got.contains(&world.a2.get("document_id"))
                && !got.contains(&world.b1.get("document_id"))
                && !got.contains(&world.b.get("document_id")),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Ids of another scope inside bodies and queries
// ---------------------------------------------------------------------------------------------

fn references_in_bodies_and_queries_stay_in_scope(backend: Backend) {
    let world = world(backend);
    let a = world.a.get("organization_id");
    let a1 = world.a1.get("practice_id");
    let (b, b1) = (&world.b, &world.b1);
    let base = format!("/api/v1/practices/{a1}");
    let plan = world.a1.get("care_plan_id");
    let with = |mut body: Value, key: &str, value: Value| {
        body[key] = value;
        body
    };
    let training = json!({"staff_id": world.a1.get("staff_id"), "topic": "pcmh_n_model", "completed_on": "2026-03-03", "hours": 1.0});
    let meeting = json!({
        "held_on": "2026-09-10", "kind": "case_conference",
        "attendees": [{"role": "physician", "staff_id": world.a1.get("staff_id")}, {"role": "care_manager"}],
        "patients_reviewed": 1, "documented_in_chart": true
    });
    let care_plan = json!({
        "kind": "advance_care_plan", "patient_ref": "PT-00077", "initiating_provider": world.a1.get("staff_id"),
        "discussed_on": "2026-06-01", "documented_in_record": true, "care_partners": ["Oncology"]
    });
    let report = json!({"report_type": "member_list", "period_start": "2026-07-01", "period_end": "2026-07-31"});
    // Each: what, path, body: all name a record of B or B1 and must be refused.
    let cases: Vec<(&str, String, Value)> = vec![
        (
            "training of B1's staff",
            format!("{base}/trainings"),
            with(training.clone(), "staff_id", json!(b1.get("staff_id"))),
        ),
        (
            "training linked to B1's document",
            format!("{base}/trainings"),
            with(training.clone(), "document_id", json!(b1.get("document_id"))),
        ),
        (
            "training linked to B's document",
            format!("{base}/trainings"),
            with(training, "document_id", json!(b.get("document_id"))),
        ),
        (
            "meeting attended by B1's staff",
            format!("{base}/meetings"),
            with(
                meeting.clone(),
                "attendees",
                json!([{"role": "physician", "staff_id": b1.get("staff_id")}, {"role": "care_manager"}]),
            ),
        ),
        (
            "follow-up owned by B1's staff",
            format!("{base}/meetings"),
            with(
                meeting,
                "follow_ups",
                json!([{"description": "call", "owner": b1.get("staff_id"), "due_on": "2026-09-20"}]),
            ),
        ),
        (
            "care plan started by B1's staff",
            format!("{base}/care-plans"),
            with(care_plan, "initiating_provider", json!(b1.get("staff_id"))),
        ),
        (
            "share with B1's care partner",
            format!("{base}/care-plans/{plan}/shares"),
            json!({"partner_id": b1.get("partner_id"), "shared_on": "2026-05-05", "method": "fax"}),
        ),
        (
            "practice attestation with B1's document",
            format!("{base}/attestations"),
            with(attestation_body("4.5"), "evidence", json!([b1.get("document_id")])),
        ),
        (
            "practice attestation with B's document",
            format!("{base}/attestations"),
            with(attestation_body("4.5"), "evidence", json!([b.get("document_id")])),
        ),
        (
            "practice attestation superseding B1's",
            format!("{base}/attestations"),
            with(attestation_body("4.3"), "supersedes", json!(b1.get("attestation_id"))),
        ),
        (
            "PO attestation with B's document",
            format!("/api/v1/organizations/{a}/attestations"),
            with(attestation_body("4.25"), "evidence", json!([b.get("document_id")])),
        ),
        (
            "PO attestation with B1's document",
            format!("/api/v1/organizations/{a}/attestations"),
            with(attestation_body("4.25"), "evidence", json!([b1.get("document_id")])),
        ),
        (
            "PO attestation superseding B's",
            format!("/api/v1/organizations/{a}/attestations"),
            with(attestation_body("4.24"), "supersedes", json!(b.get("attestation_id"))),
        ),
        (
            "report about B1",
            format!("/api/v1/organizations/{a}/reports"),
            with(report.clone(), "practice_id", json!(b1.get("practice_id"))),
        ),
        (
            "report kept in B's document",
            format!("/api/v1/organizations/{a}/reports"),
            with(report.clone(), "document_id", json!(b.get("document_id"))),
        ),
        (
            "report kept in B1's document",
            format!("/api/v1/organizations/{a}/reports"),
            with(report, "document_id", json!(b1.get("document_id"))),
        ),
        (
            "token for B1",
            "/api/v1/tokens".into(),
            json!({"label": "x", "role": "practice_manager", "practice_id": b1.get("practice_id")}),
        ),
        (
            "token for B",
            "/api/v1/tokens".into(),
            json!({"label": "x", "role": "auditor", "organization_id": b.get("organization_id")}),
        ),
    ];
    let everything = |world: &World| {
        let mut seen = Vec::new();
        for path in [
            format!("/api/v1/practices/{}/trainings", b1.get("practice_id")),
            format!("/api/v1/practices/{}/meetings", b1.get("practice_id")),
            format!("/api/v1/practices/{}/care-plans", b1.get("practice_id")),
            format!("/api/v1/practices/{}/attestations", b1.get("practice_id")),
            format!("/api/v1/organizations/{}/attestations", b.get("organization_id")),
            format!("/api/v1/organizations/{}/reports", b.get("organization_id")),
            format!("{base}/trainings"),
            format!("{base}/meetings"),
            format!("{base}/care-plans"),
            format!("{base}/attestations"),
            format!("/api/v1/organizations/{a}/attestations"),
            format!("/api/v1/organizations/{a}/reports"),
            "/api/v1/tokens?limit=500".into(),
        ] {
            seen.push(format!("{path}: {}", world.server.get(&path).text()));
        }
        seen
    };
    let before = everything(&world);
    let mut problems = Vec::new();
    for (what, path, body) in &cases {
        let callers: &[Caller] = if path.contains("/practices/") {
            &[Caller::PracticeManagerA1, Caller::PoManagerA]
        } else {
            &[Caller::PoManagerA]
        };
        for &caller in callers {
            let response = world.post_as(caller, path, body);
            let text = response.text();
            if !matches!(response.status, 404 | 422) || text.contains("Birchwood") {
                problems.push(format!(
                    "{what} as {}: POST {path} -> {} {text}",
                    caller.name(),
                    response.status
                ));
            }
        }
    }
    // Fields that would move a record into another scope are not fields at all.
    for (method, path, body) in [
        (
            "PATCH",
            base.clone(),
            json!({"organization_id": b.get("organization_id")}),
        ),
        (
            "PATCH",
            format!("{base}/staff/{}", world.a1.get("staff_id")),
            json!({"practice_id": b1.get("practice_id")}),
        ),
        (
            "POST",
            format!("{base}/staff"),
            json!({"name": "Moved Nurse", "role": "nurse", "started_on": "2020-01-01", "practice_id": b1.get("practice_id")}),
        ),
        (
            "POST",
            format!("/api/v1/organizations/{a}/reports"),
            json!({"report_type": "member_list", "period_start": "2026-06-01", "period_end": "2026-06-30",
                   "organization_id": b.get("organization_id")}),
        ),
        (
            "POST",
            "/api/v1/tokens".to_owned(),
            json!({"label": "x", "role": "practice_manager", "practice_id": a1, "organization_id": b.get("organization_id")}),
        ),
    ] {
        let response = world.send(
            Caller::PoManagerA,
            method,
            &path,
            Some("application/json"),
            body.to_string().as_bytes(),
        );
        if response.status != 422 {
            problems.push(format!(
                "{method} {path} {body} as po_manager A: {} {}",
                response.status,
                response.text()
            ));
        }
    }
    // A CSV import naming B1's staff.
    let csv = format!(
        "topic,staff_id,hours,completed_on\npcmh_n_model,{},1,2026-03-05\n",
        b1.get("staff_id")
    );
    let response = world.send(
        Caller::PracticeManagerA1,
        "POST",
        &format!("{base}/trainings/import"),
        Some("text/csv"),
        csv.as_bytes(),
    );
    if response.status != 422 || response.text().contains("Birchwood") {
        problems.push(format!(
            "import of B1's staff as practice_manager A1: {} {}",
            response.status,
            response.text()
        ));
    }
    let after = everything(&world);
    for (b, a) in before.iter().zip(&after) {
        if b != a {
            problems.push(format!(
                "a refused reference wrote something:\n  before: {b}\n  after:  {a}"
            ));
        }
    }

    // Queries naming B's records find nothing of B.
    for (caller, path) in [
        (
            Caller::PracticeManagerA1,
            format!("{base}/trainings?staff_id={}", b1.get("staff_id")),
        ),
        (
            Caller::PoManagerA,
            format!(
                "/api/v1/organizations/{a}/reports?practice_id={}",
                b1.get("practice_id")
            ),
        ),
    ] {
        let response = world.get_as(caller, &path);
        let found = if response.status == 200 {
            items(&response).len()
        } else {
            0
        };
        if found > 0 || response.status >= 500 || response.text().contains("Birchwood") {
            problems.push(format!(
                "GET {path} as {}: {} {}",
                caller.name(),
                response.status,
                response.text()
            ));
        }
    }

    // Paths that dress B1 up as A1: the guard and the router must agree on what the path names.
    let b1_id = b1.get("practice_id");
    let b_id = b.get("organization_id");
    for path in [
        format!("/api/v1/practices/{a1}/../{b1_id}/staff"),
        format!("/api/v1/practices/{a1}/%2e%2e/{b1_id}/staff"),
        format!("/api/v1/practices/{a1}%2F..%2F{b1_id}/staff"),
        format!("/api/v1/practices/{a1}/staff/../../{b1_id}/staff"),
        format!("/api/v1//practices/{b1_id}/staff"),
        format!("/api/v1/practices//{b1_id}/staff"),
        format!("/api/v1/practices/0{b1_id}/staff"),
        format!("/api/v1/practices/+{b1_id}/staff"),
        format!("/api/v1/practices/%3{b1_id}/staff"),
        format!("/api/v1/organizations/{a}/../{b_id}/reports"),
        format!("/api/v1/./practices/{b1_id}/staff"),
        format!("/api/v1/practices/{b1_id}/staff?practice_id={a1}"),
        format!("/api/v1/practices/{a1}/staff/{}", b1.get("staff_id")),
    ] {
        for caller in [Caller::PracticeManagerA1, Caller::PoManagerA, Caller::AuditorA1] {
            let response = world.get_as(caller, &path);
            if response.status < 400 || response.status >= 500 || response.text().contains("Birchwood") {
                problems.push(format!(
                    "GET {path} as {}: {} {}",
                    caller.name(),
                    response.status,
                    response.text()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Out of scope and absent cannot be told apart
// ---------------------------------------------------------------------------------------------

/// An error answer with every number replaced, so answers about different ids compare equal.
fn shape(response: &Response) -> String {
    let text = response.text();
    let mut out = String::new();
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    format!("{} {out}", response.status)
}

fn out_of_scope_looks_like_absent(backend: Backend) {
    let world = world(backend);
    let absent = 987_654_321_i64;
    let b = world.b.get("organization_id");
    let b1 = world.b1.get("practice_id");
    let a1 = world.a1.get("practice_id");
    let a2 = world.a2.get("practice_id");
    let mut problems = Vec::new();
    // (caller, path of something that exists out of scope, the same path with an id that exists nowhere)
    let pairs: Vec<(Caller, String, String)> = vec![
        (
            Caller::PoManagerA,
            format!("/api/v1/organizations/{b}"),
            format!("/api/v1/organizations/{absent}"),
        ),
        (
            Caller::PoManagerA,
            format!("/api/v1/practices/{b1}"),
            format!("/api/v1/practices/{absent}"),
        ),
        (
            Caller::PoManagerA,
            format!("/api/v1/practices/{b1}/staff"),
            format!("/api/v1/practices/{absent}/staff"),
        ),
        (
            Caller::PracticeManagerA1,
            format!("/api/v1/practices/{a2}/staff"),
            format!("/api/v1/practices/{absent}/staff"),
        ),
        (
            Caller::AuditorA1,
            format!("/api/v1/practices/{a2}"),
            format!("/api/v1/practices/{absent}"),
        ),
        (
            Caller::PracticeManagerA1,
            format!("/api/v1/practices/{a1}/staff/{}", world.b1.get("staff_id")),
            format!("/api/v1/practices/{a1}/staff/{absent}"),
        ),
        (
            Caller::PracticeManagerA1,
            format!("/api/v1/practices/{a1}/documents/{}", world.b1.get("document_id")),
            format!("/api/v1/practices/{a1}/documents/{absent}"),
        ),
        (
            Caller::PoManagerA,
            format!(
                "/api/v1/organizations/{}/reports/{}",
                world.a.get("organization_id"),
                world.b.get("report_id")
            ),
            format!(
                "/api/v1/organizations/{}/reports/{absent}",
                world.a.get("organization_id")
            ),
        ),
    ];
    for (caller, present, missing) in &pairs {
        let present_answer = world.get_as(*caller, present);
        let missing_answer = world.get_as(*caller, missing);
        if shape(&present_answer) != shape(&missing_answer) {
            problems.push(format!(
                "as {}, GET {present} (exists, out of scope) and GET {missing} (exists nowhere) answer differently, \
                 so the caller learns what exists outside its scope:\n  {} {}\n  {} {}",
                caller.name(),
                present_answer.status,
                present_answer.text(),
                missing_answer.status,
                missing_answer.text()
            ));
        }
    }
    // Writes too: an auditor writing out of scope learns nothing either (404, not 403).
    for (path, missing) in [
        (
            format!("/api/v1/practices/{b1}/staff"),
            format!("/api/v1/practices/{absent}/staff"),
        ),
        (
            format!("/api/v1/organizations/{b}/reports"),
            format!("/api/v1/organizations/{absent}/reports"),
        ),
    ] {
        let body = json!({});
        let present_answer = world.post_as(Caller::AuditorA, &path, &body);
        let missing_answer = world.post_as(Caller::AuditorA, &missing, &body);
        if present_answer.status != 404 || shape(&present_answer) != shape(&missing_answer) {
            problems.push(format!(
                "as auditor A, POST {path}: {} {} / POST {missing}: {} {}",
                present_answer.status,
                present_answer.text(),
                missing_answer.status,
                missing_answer.text()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Public endpoints, and only a bearer token counts
// ---------------------------------------------------------------------------------------------

/// Sends a GET with any Authorization header value; returns the status.
fn status_with_authorization(address: &str, path: &str, authorization: &str) -> u16 {
    let mut stream = TcpStream::connect(address).expect("the server answers");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nAuthorization: {authorization}\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).expect("the request is sent");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let head = String::from_utf8_lossy(&raw);
    head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn public_endpoints_need_no_token_and_only_bearer_counts(backend: Backend) {
    let _serial = serial(backend);
    let server = Server::start(backend);
    for path in ["/healthz", "/readyz", "/openapi.json", "/docs/"] {
        for token in [None, Some("not-a-token")] {
            let response = server.request_as(token, "GET", path, None, b"");
            assert_eq!(response.status, 200, "GET {path} with {token:?}: {}", response.text());
        }
    }
    // Unknown paths under /api/v1 say nothing without a token either.
    for path in [
        "/api/v1/nothing-here",
        "/api/v1/practices/1",
        "/api/v1/organizations/1/staff",
    ] {
        let response = server.request_as(None, "GET", path, None, b"");
        assert_eq!(response.status, 401, "GET {path} without a token: {}", response.text());
    }
    let address = server.address.clone();
    let admin = server.admin_token.clone();
    let path = "/api/v1/organizations";
    assert_eq!(
        status_with_authorization(&address, path, &format!("Bearer {admin}")),
        200
    );
    assert_eq!(
        status_with_authorization(&address, path, &format!("bearer {admin}")),
        200,
        "the scheme is case-insensitive"
    );
    for refused in [
        format!("Basic {admin}"),
        format!("Token {admin}"),
        admin.clone(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {admin}x"),
        format!("Bearer {}", &admin[..admin.len() - 1]),
        format!("Bearer {}", admin.to_uppercase()),
    ] {
        assert_eq!(
            status_with_authorization(&address, path, &refused),
            401,
            "Authorization: {refused}"
        );
    }
}
