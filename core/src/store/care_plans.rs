//! Advance care plans and survivorship care plans of a practice, their care partners and each
//! time a plan was shared with one of them.
//!
//! A plan names its patient only by an opaque practice-local reference; that reference is never
//! put in an error message or a log: plans are named by their id.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::meetings::check_staff;
use super::schema::{care_partners, care_plan_shares, care_plans};
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, practices, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::ids::{CarePartnerId, CarePlanId, CarePlanShareId, PracticeId, StaffId};
use crate::records::{CarePartner, CarePlan, CarePlanKind, CarePlanShare, ShareMethod};

/// The most ids sent in one `IN (...)` list.
const CHUNK: usize = 500;

/// The longest care partner name.
const PARTNER_NAME_MAX: usize = 200;

/// What is needed to record a care plan.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCarePlan {
    /// Advance care plan or survivorship care plan.
    pub kind: CarePlanKind,
    /// The opaque practice-local patient reference: 3 to 64 letters, digits, `-` or `_`, with a
    /// digit, never a name or a date of birth.
    #[check(
        min_length = 3,
        max_length = 64,
        custom = "pcmh_core::checks::patient_reference",
        pattern = "^(?:[A-Za-z0-9_-]{2,}[0-9]|[A-Za-z0-9_-][0-9][A-Za-z0-9_-]|[0-9][A-Za-z0-9_-]{2})[A-Za-z0-9_-]*$"
    )]
    #[schema(example = "PT-00042")]
    pub patient_ref: String,
    /// The provider who initiated the plan, a staff member of the practice.
    pub initiating_provider: StaffId,
    /// The day the plan was discussed with the patient.
    #[check(date)]
    pub discussed_on: NaiveDate,
    /// The day the plan was executed (signed or established), if it already was; not before `discussed_on`.
    #[check(date)]
    pub established_on: Option<NaiveDate>,
    /// Whether the plan is documented in the patient's medical record.
    pub documented_in_record: bool,
    /// The care partners who should receive a copy (0 to 30 distinct names of at most 200
    /// characters; none if omitted).
    #[serde(default)]
    #[check(max_length = 30)]
    #[schema(value_type = Vec<CarePartnerName>)]
    pub care_partners: Vec<String>,
    /// The care plan this one corrects (of the same practice, not voided): it is voided in the
    /// same transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// A care partner's name as the OpenAPI document states it: not blank, at most 200 characters.
pub struct CarePartnerName;

impl utoipa::PartialSchema for CarePartnerName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A care partner's name: not blank, at most 200 characters, not the same partner twice.",
            ))
            .min_length(Some(1))
            .max_length(Some(PARTNER_NAME_MAX))
            .pattern(Some(crate::checks::NOT_BLANK_PATTERN))
            .into()
    }
}

impl utoipa::ToSchema for CarePartnerName {}

/// What may be recorded on a care plan later; an omitted field is left as it is (null is refused:
/// an established plan stays established).
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarePlanUpdate {
    /// The day the plan was executed; not before `discussed_on`, and fixed once the plan was shared.
    #[serde(default, deserialize_with = "not_null")]
    #[check(date)]
    #[schema(nullable = false)]
    pub established_on: Option<NaiveDate>,
    /// Whether the plan is documented in the patient's medical record.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub documented_in_record: Option<bool>,
}

/// A field that may be omitted but, when present, is not null.
fn not_null<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// One sharing of a care plan with one of its own care partners.
#[crate::checks::checked]
#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCarePlanShare {
    /// The partner it was shared with: a care partner of this plan.
    pub partner_id: CarePartnerId,
    /// The day it was shared; not before the plan was established.
    #[check(date)]
    pub shared_on: NaiveDate,
    /// How it was shared.
    pub method: ShareMethod,
    /// The share of this plan this one corrects (not voided): it is voided in the same
    /// transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = care_plans)]
struct Row {
    id: i64,
    practice_id: i64,
    kind: String,
    patient_ref: String,
    initiating_provider: i64,
    discussed_on: NaiveDate,
    established_on: Option<NaiveDate>,
    documented_in_record: bool,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(care_plans);

/// The void columns of a share.
mod share_columns {
    use crate::store::schema::care_plan_shares;
    crate::store::voids::correction_columns!(care_plan_shares);
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = care_partners)]
struct PartnerRow {
    id: i64,
    care_plan_id: i64,
    name: String,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = care_plan_shares)]
struct ShareRow {
    id: i64,
    care_plan_id: i64,
    partner_id: i64,
    shared_on: NaiveDate,
    method: String,
    #[diesel(embed)]
    corrections: share_columns::Corrections,
}

/// A value of a snake_case enum as stored.
fn enum_text<T: Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A stored snake_case enum value; one this release does not know is a storage error.
fn enum_from_text<T: DeserializeOwned>(what: &str, text: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
        StoreError::Database(diesel::result::Error::DeserializationError(
            format!("the stored {what} `{text}` is not one this release knows").into(),
        ))
    })
}

/// The partner names, trimmed, or the first one that breaks a rule.
fn partner_names(names: &[String]) -> StoreResult<Vec<&str>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let field = format!("care_partners[{i}]");
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::invalid(field, "not_blank", "must not be empty"));
        }
        if name.chars().count() > PARTNER_NAME_MAX {
            return Err(StoreError::invalid(
                field,
                "length",
                format!("must have at most {PARTNER_NAME_MAX} characters"),
            ));
        }
        if !seen.insert(name.to_lowercase()) {
            return Err(StoreError::invalid(
                field,
                "unique",
                "names the same care partner as an earlier item",
            ));
        }
        out.push(name);
    }
    Ok(out)
}

/// Refuses an execution date before the discussion.
fn check_established(discussed_on: NaiveDate, established_on: Option<NaiveDate>) -> StoreResult<()> {
    match established_on {
        Some(established) if established < discussed_on => Err(StoreError::invalid(
            "established_on",
            "not_before_discussed_on",
            format!("{established} is before the plan was discussed ({discussed_on})"),
        )),
        _ => Ok(()),
    }
}

/// Records a care plan of `practice` with its care partners.
pub fn create(conn: &mut Connection, practice: PracticeId, form: &NewCarePlan) -> StoreResult<CarePlan> {
    practices::get(conn, practice)?;
    check_established(form.discussed_on, form.established_on)?;
    let names = partner_names(&form.care_partners)?;
    check_staff(conn, practice, form.initiating_provider, "initiating_provider".into())?;
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(care_plans::table)
        .values((
            care_plans::practice_id.eq(practice.0),
            care_plans::kind.eq(enum_text(form.kind)),
            care_plans::patient_ref.eq(&form.patient_ref),
            care_plans::initiating_provider.eq(form.initiating_provider.0),
            care_plans::discussed_on.eq(form.discussed_on),
            care_plans::established_on.eq(form.established_on),
            care_plans::documented_in_record.eq(form.documented_in_record),
            care_plans::recorded_at.eq(now()),
            care_plans::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(care_plans::id)
        .get_result(c))?;
    for name in names {
        on_backend!(conn, |c| diesel::insert_into(care_partners::table)
            .values((care_partners::care_plan_id.eq(id), care_partners::name.eq(name)))
            .execute(c))?;
    }
    get(conn, practice, CarePlanId(id))
}

/// The care plan `id` of `practice`, with its partners and shares.
pub fn get(conn: &mut Connection, practice: PracticeId, id: CarePlanId) -> StoreResult<CarePlan> {
    let row: Option<Row> = on_backend!(conn, |c| care_plans::table
        .filter(care_plans::id.eq(id.0).and(care_plans::practice_id.eq(practice.0)))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    let row = row.ok_or_else(|| StoreError::not_found("care plan", id))?;
    assemble(conn, vec![row], Known::everything())?
        .pop()
        .ok_or_else(|| StoreError::not_found("care plan", id))
}

/// Records a plan's execution date or its documentation in the medical record.
pub fn update(
    conn: &mut Connection,
    practice: PracticeId,
    id: CarePlanId,
    form: &CarePlanUpdate,
) -> StoreResult<CarePlan> {
    let current = get(conn, practice, id)?;
    if let Some(established) = form.established_on {
        check_established(current.discussed_on, Some(established))?;
        if current.established_on != Some(established) {
            if let Some(first) = current
                .shares
                .iter()
                .filter(|s| !s.correction.is_voided())
                .map(|s| s.shared_on)
                .min()
            {
                let was = current
                    .established_on
                    .map_or_else(|| "not set".to_owned(), |d| d.to_string());
                return Err(StoreError::Conflict {
                    message: format!(
                        "care plan {id} was shared on {first}: its established_on ({was}) can no longer change"
                    ),
                });
            }
            on_backend!(conn, |c| diesel::update(care_plans::table.find(id.0))
                .set(care_plans::established_on.eq(Some(established)))
                .execute(c))?;
        }
    }
    if let Some(documented) = form.documented_in_record {
        on_backend!(conn, |c| diesel::update(care_plans::table.find(id.0))
            .set(care_plans::documented_in_record.eq(documented))
            .execute(c))?;
    }
    get(conn, practice, id)
}

/// Records that the plan `id` of `practice` was shared with one of its care partners.
pub fn share(
    conn: &mut Connection,
    practice: PracticeId,
    id: CarePlanId,
    form: &NewCarePlanShare,
) -> StoreResult<CarePlanShare> {
    let plan = get(conn, practice, id)?;
    if let Some(voided) = &plan.correction.voided {
        return Err(StoreError::Conflict {
            message: format!(
                "care plan {id} was voided on {} ({}): record the share on the plan that replaces it",
                voided.at.format("%Y-%m-%d"),
                voided.reason
            ),
        });
    }
    if !plan.care_partners.iter().any(|p| p.id == form.partner_id) {
        return Err(StoreError::invalid(
            "partner_id",
            "partner_of_plan",
            format!(
                "care partner {} is not a care partner of care plan {id}",
                form.partner_id
            ),
        ));
    }
    let Some(established) = plan.established_on else {
        return Err(StoreError::invalid(
            "shared_on",
            "established",
            format!("care plan {id} is not established yet: record its established_on before sharing it"),
        ));
    };
    if form.shared_on < established {
        return Err(StoreError::invalid(
            "shared_on",
            "not_before_established_on",
            format!(
                "{} is before care plan {id} was established ({established})",
                form.shared_on
            ),
        ));
    }
    let share: i64 = on_backend!(conn, |c| diesel::insert_into(care_plan_shares::table)
        .values((
            care_plan_shares::care_plan_id.eq(id.0),
            care_plan_shares::partner_id.eq(form.partner_id.0),
            care_plan_shares::shared_on.eq(form.shared_on),
            care_plan_shares::method.eq(enum_text(form.method)),
            care_plan_shares::recorded_at.eq(now()),
            care_plan_shares::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(care_plan_shares::id)
        .get_result(c))?;
    get_share(conn, practice, id, CarePlanShareId(share))
}

/// The share `share` of the care plan `plan` of `practice`.
pub fn get_share(
    conn: &mut Connection,
    practice: PracticeId,
    plan: CarePlanId,
    share: CarePlanShareId,
) -> StoreResult<CarePlanShare> {
    get(conn, practice, plan)?
        .shares
        .into_iter()
        .find(|s| s.id == share)
        .ok_or_else(|| StoreError::not_found("care plan share", share))
}

/// Voids the care plan `id` of `practice` (unless it already is); returns it before and after.
/// Its shares stay as they are, and no longer count with it.
pub fn void(
    conn: &mut Connection,
    practice: PracticeId,
    id: CarePlanId,
    mark: &VoidMark,
) -> StoreResult<(CarePlan, CarePlan)> {
    let before = get(conn, practice, id)?;
    voids::check_voided("care plan", id, &before.correction)?;
    voids::void_row!(conn, care_plans, id.0, mark)?;
    Ok((before, get(conn, practice, id)?))
}

/// Names `new` as the care plan that corrects the voided `old`, both of `practice`.
pub fn link(conn: &mut Connection, practice: PracticeId, old: CarePlanId, new: CarePlanId) -> StoreResult<CarePlan> {
    voids::link_replacement!(conn, care_plans, old.0, new.0)?;
    get(conn, practice, old)
}

/// Voids the share `share` of the care plan `plan` of `practice` (unless it already is);
/// returns it before and after.
pub fn void_share(
    conn: &mut Connection,
    practice: PracticeId,
    plan: CarePlanId,
    share: CarePlanShareId,
    mark: &VoidMark,
) -> StoreResult<(CarePlanShare, CarePlanShare)> {
    let before = get_share(conn, practice, plan, share)?;
    voids::check_voided("care plan share", share, &before.correction)?;
    voids::void_row!(conn, care_plan_shares, share.0, mark)?;
    Ok((before, get_share(conn, practice, plan, share)?))
}

/// Names `new` as the share that corrects the voided `old`, both of the plan `plan` of `practice`.
pub fn link_share(
    conn: &mut Connection,
    practice: PracticeId,
    plan: CarePlanId,
    old: CarePlanShareId,
    new: CarePlanShareId,
) -> StoreResult<CarePlanShare> {
    voids::link_replacement!(conn, care_plan_shares, old.0, new.0)?;
    get_share(conn, practice, plan, old)
}

/// A page of `practice`'s care plans discussed within `discussed`, of `kind` if given, oldest first.
pub fn list(
    conn: &mut Connection,
    practice: PracticeId,
    kind: Option<CarePlanKind>,
    discussed: DateRange,
    page: Page,
) -> StoreResult<Listing<CarePlan>> {
    practices::get(conn, practice)?;
    let kind = kind.map(enum_text);
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = || {
            let mut query = care_plans::table
                .filter(care_plans::practice_id.eq(practice.0))
                .filter(care_plans::discussed_on.ge(discussed.start()))
                .filter(care_plans::discussed_on.le(discussed.end()))
                .into_boxed();
            if let Some(kind) = &kind {
                query = query.filter(care_plans::kind.eq(kind.clone()));
            }
            query
        };
        let rows = query()
            .order((care_plans::discussed_on, care_plans::id))
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: assemble(conn, rows, Known::everything())?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Loads the partners and shares (those `known` counts) of the plans in `rows` and puts each plan together.
fn assemble(conn: &mut Connection, rows: Vec<Row>, known: Known) -> StoreResult<Vec<CarePlan>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut partners: HashMap<i64, Vec<CarePartner>> = HashMap::new();
    let mut shares: HashMap<i64, Vec<CarePlanShare>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let (partner_rows, share_rows): (Vec<PartnerRow>, Vec<ShareRow>) = on_backend!(conn, |c| {
            let p = care_partners::table
                .filter(care_partners::care_plan_id.eq_any(chunk))
                .order(care_partners::id)
                .select(PartnerRow::as_select())
                .load(c)?;
            let s = care_plan_shares::table
                .filter(care_plan_shares::care_plan_id.eq_any(chunk))
                .filter(voids::known!(care_plan_shares, known))
                .order((care_plan_shares::shared_on, care_plan_shares::id))
                .select(ShareRow::as_select())
                .load(c)?;
            Ok::<_, diesel::result::Error>((p, s))
        })?;
        for row in partner_rows {
            partners.entry(row.care_plan_id).or_default().push(CarePartner {
                id: CarePartnerId(row.id),
                name: row.name,
            });
        }
        for row in share_rows {
            shares.entry(row.care_plan_id).or_default().push(CarePlanShare {
                id: CarePlanShareId(row.id),
                partner_id: CarePartnerId(row.partner_id),
                shared_on: row.shared_on,
                method: enum_from_text("share method", &row.method)?,
                correction: row.corrections.into(),
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(CarePlan {
                id: CarePlanId(row.id),
                practice_id: PracticeId(row.practice_id),
                kind: enum_from_text("care plan kind", &row.kind)?,
                patient_ref: row.patient_ref,
                initiating_provider: StaffId(row.initiating_provider),
                discussed_on: row.discussed_on,
                established_on: row.established_on,
                documented_in_record: row.documented_in_record,
                care_partners: partners.remove(&row.id).unwrap_or_default(),
                shares: shares.remove(&row.id).unwrap_or_default(),
                correction: row.corrections.into(),
            })
        })
        .collect()
}

/// [`assemble`] for all the care plans of a PO: the child rows in one query per table, not per chunk of ids.
fn assemble_of_organization(
    conn: &mut Connection,
    rows: Vec<Row>,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<CarePlan>> {
    let mut partners: HashMap<i64, Vec<CarePartner>> = HashMap::new();
    let mut shares: HashMap<i64, Vec<CarePlanShare>> = HashMap::new();
    {
        let (partner_rows, share_rows): (Vec<PartnerRow>, Vec<ShareRow>) = on_backend!(conn, |c| {
            let p = care_partners::table
                .filter(
                    care_partners::care_plan_id.eq_any(
                        care_plans::table
                            .filter(care_plans::practice_id.eq_any(super::practices::ids_of(organization)))
                            .select(care_plans::id),
                    ),
                )
                .order(care_partners::id)
                .select(PartnerRow::as_select())
                .load(c)?;
            let s = care_plan_shares::table
                .filter(
                    care_plan_shares::care_plan_id.eq_any(
                        care_plans::table
                            .filter(care_plans::practice_id.eq_any(super::practices::ids_of(organization)))
                            .select(care_plans::id),
                    ),
                )
                .filter(voids::known!(care_plan_shares, known))
                .order((care_plan_shares::shared_on, care_plan_shares::id))
                .select(ShareRow::as_select())
                .load(c)?;
            Ok::<_, diesel::result::Error>((p, s))
        })?;
        for row in partner_rows {
            partners.entry(row.care_plan_id).or_default().push(CarePartner {
                id: CarePartnerId(row.id),
                name: row.name,
            });
        }
        for row in share_rows {
            shares.entry(row.care_plan_id).or_default().push(CarePlanShare {
                id: CarePlanShareId(row.id),
                partner_id: CarePartnerId(row.partner_id),
                shared_on: row.shared_on,
                method: enum_from_text("share method", &row.method)?,
                correction: row.corrections.into(),
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            Ok(CarePlan {
                id: CarePlanId(row.id),
                practice_id: PracticeId(row.practice_id),
                kind: enum_from_text("care plan kind", &row.kind)?,
                patient_ref: row.patient_ref,
                initiating_provider: StaffId(row.initiating_provider),
                discussed_on: row.discussed_on,
                established_on: row.established_on,
                documented_in_record: row.documented_in_record,
                care_partners: partners.remove(&row.id).unwrap_or_default(),
                shares: shares.remove(&row.id).unwrap_or_default(),
                correction: row.corrections.into(),
            })
        })
        .collect()
}

/// Every care plan of `practice` with its partners and shares, those `known` counts, for the rules.
pub(crate) fn all(conn: &mut Connection, practice: PracticeId, known: Known) -> StoreResult<Vec<CarePlan>> {
    let rows: Vec<Row> = on_backend!(conn, |c| care_plans::table
        .filter(care_plans::practice_id.eq(practice.0))
        .filter(voids::known!(care_plans, known))
        .order((care_plans::discussed_on, care_plans::id))
        .select(Row::as_select())
        .load(c))?;
    assemble(conn, rows, known)
}

/// Every care plan of every practice of `organization`, ordered by (discussed_on, id).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<CarePlan>> {
    let rows: Vec<Row> = on_backend!(conn, |c| care_plans::table
        .filter(care_plans::practice_id.eq_any(super::practices::ids_of(organization)))
        .filter(voids::known!(care_plans, known))
        .order((care_plans::discussed_on, care_plans::id))
        .select(Row::as_select())
        .load(c))?;
    assemble_of_organization(conn, rows, organization, known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_are_stored_as_their_snake_case_names() {
        assert_eq!(enum_text(CarePlanKind::AdvanceCarePlan), "advance_care_plan");
        assert_eq!(enum_text(ShareMethod::InPerson), "in_person");
        let kind: CarePlanKind = enum_from_text("kind", "survivorship_care_plan").unwrap();
        assert_eq!(kind, CarePlanKind::SurvivorshipCarePlan);
        assert!(enum_from_text::<ShareMethod>("method", "pigeon").is_err());
    }

    #[test]
    fn partner_names_are_trimmed_and_checked_one_by_one() {
        let names = vec![
            " Cardiology, St. Mary's ".to_owned(),
            "Health plan care manager".to_owned(),
        ];
        assert_eq!(
            partner_names(&names).unwrap(),
            ["Cardiology, St. Mary's", "Health plan care manager"]
        );
        let field_rule = |names: Vec<String>| match partner_names(&names) {
            Err(StoreError::Invalid { field, rule, .. }) => (field, rule),
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert_eq!(
            field_rule(vec!["A".into(), "  ".into()]),
            ("care_partners[1]".into(), "not_blank")
        );
        assert_eq!(field_rule(vec!["x".repeat(201)]), ("care_partners[0]".into(), "length"));
        assert_eq!(
            field_rule(vec!["Cardiology".into(), "cardiology ".into()]),
            ("care_partners[1]".into(), "unique")
        );
    }
}
