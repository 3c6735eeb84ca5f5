//! Training records: one staff member completed one topic on a day, for so many hours.
//!
//! A record is checked against the stored records before it is written: the staff member is
//! on the practice's staff and had started by then, the topic is a training topic of the
//! practice's catalog version, and a linked document is one of the practice's (or its PO's).
//! [`import`] writes many rows at once, all or nothing, after checking every one.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

use super::schema::{documents, training_records};
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, practices, staff, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::catalog::{Catalog, Term};
use crate::ids::{DocumentId, PracticeId, StaffId, TrainingId};
use crate::records::{Practice, Staff, TrainingRecord};

/// The most hours one training record may count.
pub const MAX_HOURS: f64 = 40.0;

/// What is needed to record a completed training.
#[crate::checks::checked]
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTraining {
    /// The staff member trained (one of the practice's staff).
    pub staff_id: StaffId,
    /// The topic, a term of the catalog's `training_topics`.
    pub topic: Term,
    /// The day the training was completed (not before the staff member's first day).
    #[check(date)]
    pub completed_on: NaiveDate,
    /// How long it took, in hours: more than 0, at most 40.
    #[check(exclusive_minimum = 0.0, maximum = 40.0)]
    pub hours: f64,
    /// Who gave the training.
    #[check(not_blank, max_length = 200)]
    pub trainer: Option<String>,
    /// The training material or certificate, a document of the practice or its PO.
    pub document_id: Option<DocumentId>,
    /// The training record this one corrects (of the same practice, not voided): it is voided
    /// in the same transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// Which training records to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrainingFilter {
    /// Only this staff member's.
    pub staff_id: Option<StaffId>,
    /// Only this topic.
    pub topic: Option<Term>,
    /// Only those completed in this range.
    pub completed: DateRange,
    /// Newest first (the log a page shows) rather than oldest first (the API's order).
    pub newest_first: bool,
}

/// One rule one row of an import breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// The column at fault (or `row` when the row as a whole is).
    pub field: String,
    /// The rule's short name.
    pub rule: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// What an import did: wrote every row, or refused them all and said why.
#[derive(Debug, Clone, PartialEq)]
pub enum Imported {
    /// Every row was written, in file order.
    Written(Vec<TrainingRecord>),
    /// Nothing was written: these rows break rules.
    Refused(Vec<RowError>),
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = training_records)]
struct Row {
    id: i64,
    staff_id: i64,
    topic: String,
    completed_on: NaiveDate,
    hours: f64,
    trainer: Option<String>,
    document_id: Option<i64>,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(training_records);

impl Row {
    fn into_record(self) -> StoreResult<TrainingRecord> {
        Ok(TrainingRecord {
            id: TrainingId(self.id),
            staff_id: StaffId(self.staff_id),
            topic: stored_term(&self.topic)?,
            completed_on: self.completed_on,
            hours: self.hours,
            trainer: self.trainer,
            document_id: self.document_id.map(DocumentId),
            correction: self.corrections.into(),
        })
    }
}

/// A stored vocabulary term; one that does not parse means the table was altered outside the application.
fn stored_term(text: &str) -> StoreResult<Term> {
    Term::parse(text).map_err(|e| StoreError::Database(diesel::result::Error::DeserializationError(Box::new(e))))
}

fn into_records(rows: Vec<Row>) -> StoreResult<Vec<TrainingRecord>> {
    rows.into_iter().map(Row::into_record).collect()
}

/// The rules that need the stored records, with what they looked up kept for the next row.
struct Checker<'a> {
    practice: Practice,
    catalog: &'a Catalog,
    staff: HashMap<StaffId, Option<Staff>>,
    documents: HashMap<DocumentId, bool>,
}

impl<'a> Checker<'a> {
    fn new(conn: &mut Connection, practice: PracticeId, catalog: &'a Catalog) -> StoreResult<Self> {
        Ok(Checker {
            practice: practices::get(conn, practice)?,
            catalog,
            staff: HashMap::new(),
            documents: HashMap::new(),
        })
    }

    /// The first rule `form` breaks, as [`StoreError::Invalid`].
    fn check(&mut self, conn: &mut Connection, form: &NewTraining) -> StoreResult<()> {
        let topics = &self.catalog.vocabulary.training_topics;
        if !topics.contains_key(&form.topic) {
            let known: Vec<&str> = topics.keys().map(Term::as_str).collect();
            return Err(StoreError::invalid(
                "topic",
                "vocabulary",
                format!(
                    "`{}` is not a training topic of {} {} (known: {})",
                    form.topic,
                    self.catalog.id,
                    self.catalog.version,
                    known.join(", ")
                ),
            ));
        }
        let member = match self.staff.get(&form.staff_id) {
            Some(known) => known.clone(),
            None => {
                let found = match staff::get(conn, self.practice.id, form.staff_id) {
                    Ok(member) => Some(member),
                    Err(StoreError::NotFound { .. }) => None,
                    Err(other) => return Err(other),
                };
                self.staff.insert(form.staff_id, found.clone());
                found
            }
        };
        if member.as_ref().is_some_and(|m| m.correction.is_voided()) {
            return Err(StoreError::invalid(
                "staff_id",
                "not_voided",
                format!(
                    "staff member {} was voided (entered by mistake): name the staff member who replaces them",
                    form.staff_id
                ),
            ));
        }
        let Some(member) = member else {
            return Err(StoreError::invalid(
                "staff_id",
                "same_practice",
                format!(
                    "staff member {} is not on the staff of practice {}",
                    form.staff_id, self.practice.id
                ),
            ));
        };
        if form.completed_on < member.started_on {
            return Err(StoreError::invalid(
                "completed_on",
                "after_start",
                format!(
                    "{} is before {}'s first day in the practice ({})",
                    form.completed_on, member.name, member.started_on
                ),
            ));
        }
        if let Some(document) = form.document_id {
            let usable = match self.documents.get(&document) {
                Some(known) => *known,
                None => {
                    let found = document_is_usable(conn, &self.practice, document)?;
                    self.documents.insert(document, found);
                    found
                }
            };
            if !usable {
                return Err(StoreError::invalid(
                    "document_id",
                    "same_organization",
                    format!(
                        "document {document} is not a document of practice {} or of its PO",
                        self.practice.id
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Whether `document` exists and belongs to `practice`'s PO, as a PO-level document or one of
/// this practice's own (another practice's document stays out of reach).
fn document_is_usable(conn: &mut Connection, practice: &Practice, document: DocumentId) -> StoreResult<bool> {
    let count: i64 = on_backend!(conn, |c| documents::table
        .filter(documents::id.eq(document.0))
        .filter(documents::organization_id.eq(practice.organization_id.0))
        .filter(
            documents::practice_id
                .is_null()
                .or(documents::practice_id.eq(practice.id.0))
        )
        .count()
        .get_result(c))?;
    Ok(count > 0)
}

/// How many rows go into one INSERT (9 values each, well under both backends' bind limits).
const INSERT_CHUNK: usize = 500;

/// Writes rows already checked, returning them in the order given.
fn insert(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    forms: &[&NewTraining],
) -> StoreResult<Vec<TrainingRecord>> {
    let version = catalog.version.to_string();
    let recorded_at = now();
    let mut records = Vec::with_capacity(forms.len());
    for chunk in forms.chunks(INSERT_CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|form| {
                (
                    training_records::practice_id.eq(practice.0),
                    training_records::staff_id.eq(form.staff_id.0),
                    training_records::topic.eq(form.topic.as_str()),
                    training_records::completed_on.eq(form.completed_on),
                    training_records::hours.eq(form.hours),
                    training_records::trainer.eq(form.trainer.as_deref().map(str::trim)),
                    training_records::document_id.eq(form.document_id.map(|d| d.0)),
                    training_records::catalog_id.eq(catalog.id.as_str()),
                    training_records::catalog_version.eq(version.as_str()),
                    training_records::recorded_at.eq(recorded_at),
                    training_records::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
                )
            })
            .collect();
        let mut rows: Vec<Row> = on_backend!(conn, |c| diesel::insert_into(training_records::table)
            .values(&values)
            .returning(Row::as_returning())
            .get_results(c))?;
        // Identity columns grow in insertion order; sorting does not rely on RETURNING's order.
        rows.sort_by_key(|row| row.id);
        records.extend(into_records(rows)?);
    }
    Ok(records)
}

/// Records a completed training of one of `practice`'s staff, on a topic of `catalog`.
pub fn create(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    form: &NewTraining,
) -> StoreResult<TrainingRecord> {
    let mut checker = Checker::new(conn, practice, catalog)?;
    checker.check(conn, form)?;
    let mut written = insert(conn, practice, catalog, &[form])?;
    written
        .pop()
        .ok_or_else(|| StoreError::Database(diesel::result::Error::NotFound))
}

/// Every rule the `rows` (each with its line in the file) break, in line order; empty when all are good.
pub fn check_rows(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    rows: &[(u64, NewTraining)],
) -> StoreResult<Vec<RowError>> {
    let mut checker = Checker::new(conn, practice, catalog)?;
    let mut problems = Vec::new();
    for (line, form) in rows {
        match checker.check(conn, form) {
            Ok(()) => {}
            Err(StoreError::Invalid { field, rule, message }) => problems.push(RowError {
                line: *line,
                field,
                rule: rule.to_owned(),
                message,
            }),
            Err(other) => return Err(other),
        }
    }
    problems.sort_by_key(|p| p.line);
    Ok(problems)
}

/// One row of an import file as read: its line, the staff member's name when the file names
/// them by name (a `staff` column) rather than by id, and the training it records (whose
/// `staff_id` [`resolve_names`] fills in for a row that names its staff member).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// The staff member's name, as on the roster (case and surrounding spaces aside).
    pub staff_name: Option<String>,
    /// The training the row records.
    pub form: NewTraining,
}

/// A name as compared with the roster's: trimmed, inner spaces collapsed, lowercase.
fn comparable_name(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The rows of an import, each with its line, and the problems of those left out.
pub type Resolved = (Vec<(u64, NewTraining)>, Vec<RowError>);

/// The rows with each staff member named by name replaced by their id, and a problem (field
/// `staff`) for each name that no one, or more than one staff member, of `practice` has.
pub fn resolve_names(conn: &mut Connection, practice: PracticeId, rows: &[ImportRow]) -> StoreResult<Resolved> {
    let mut roster: HashMap<String, Vec<StaffId>> = HashMap::new();
    if rows.iter().any(|r| r.staff_name.is_some()) {
        for member in staff::all(conn, practice, Known::of(crate::records::Basis::corrected()))? {
            roster.entry(comparable_name(&member.name)).or_default().push(member.id);
        }
    }
    let mut resolved = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for row in rows {
        let Some(name) = &row.staff_name else {
            resolved.push((row.line, row.form.clone()));
            continue;
        };
        let problem = |rule: &str, message: String| RowError {
            line: row.line,
            field: "staff".into(),
            rule: rule.into(),
            message,
        };
        match roster.get(&comparable_name(name)).map(Vec::as_slice) {
            Some([one]) => resolved.push((
                row.line,
                NewTraining {
                    staff_id: *one,
                    ..row.form.clone()
                },
            )),
            Some(many) if many.len() > 1 => problems.push(problem(
                "ambiguous_name",
                format!(
                    "{} staff members are named `{}`; give this row's staff member by staff_id instead",
                    if many.len() == 2 {
                        "two".to_owned()
                    } else {
                        many.len().to_string()
                    },
                    name.trim()
                ),
            )),
            _ => problems.push(problem(
                "known_staff",
                format!(
                    "no staff member named `{}` is on the staff of practice {practice}",
                    name.trim()
                ),
            )),
        }
    }
    Ok((resolved, problems))
}

/// Checks every row, then writes them all if every one is good, or none if any is not.
///
/// The caller's transaction ([`super::Store::write`]) makes the writes one unit.
pub fn import(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    rows: &[(u64, NewTraining)],
) -> StoreResult<Imported> {
    let problems = check_rows(conn, practice, catalog, rows)?;
    if !problems.is_empty() {
        return Ok(Imported::Refused(problems));
    }
    let forms: Vec<&NewTraining> = rows.iter().map(|(_, form)| form).collect();
    Ok(Imported::Written(insert(conn, practice, catalog, &forms)?))
}

/// The training record `id` of `practice`.
pub fn get(conn: &mut Connection, practice: PracticeId, id: TrainingId) -> StoreResult<TrainingRecord> {
    let row: Option<Row> = on_backend!(conn, |c| training_records::table
        .filter(training_records::id.eq(id.0))
        .filter(training_records::practice_id.eq(practice.0))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.ok_or_else(|| StoreError::not_found("training record", id))?
        .into_record()
}

/// A page of `practice`'s training records matching `filter`, by completion date.
pub fn list(
    conn: &mut Connection,
    practice: PracticeId,
    filter: &TrainingFilter,
    page: Page,
) -> StoreResult<Listing<TrainingRecord>> {
    practices::get(conn, practice)?;
    let staff_id = filter.staff_id.map(|s| s.0);
    let topic = filter.topic.as_ref().map(Term::as_str);
    let range = filter.completed;
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = || {
            let mut query = training_records::table
                .filter(training_records::practice_id.eq(practice.0))
                .filter(training_records::completed_on.ge(range.start()))
                .filter(training_records::completed_on.le(range.end()))
                .into_boxed();
            if let Some(staff_id) = staff_id {
                query = query.filter(training_records::staff_id.eq(staff_id));
            }
            if let Some(topic) = topic {
                query = query.filter(training_records::topic.eq(topic));
            }
            query
        };
        let ordered = if filter.newest_first {
            query().order((training_records::completed_on.desc(), training_records::id.desc()))
        } else {
            query().order((training_records::completed_on, training_records::id))
        };
        let rows = ordered
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: into_records(rows)?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Voids the training record `id` of `practice` (unless it already is); returns it before and after.
pub fn void(
    conn: &mut Connection,
    practice: PracticeId,
    id: TrainingId,
    mark: &VoidMark,
) -> StoreResult<(TrainingRecord, TrainingRecord)> {
    let before = get(conn, practice, id)?;
    voids::check_voided("training record", id, &before.correction)?;
    voids::void_row!(conn, training_records, id.0, mark)?;
    Ok((before, get(conn, practice, id)?))
}

/// Names `new` as the record that corrects the voided `old`, both of `practice`.
pub fn link(
    conn: &mut Connection,
    practice: PracticeId,
    old: TrainingId,
    new: TrainingId,
) -> StoreResult<TrainingRecord> {
    voids::link_replacement!(conn, training_records, old.0, new.0)?;
    get(conn, practice, old)
}

/// Every record of `practice` that `known` counts, for the rules.
pub(crate) fn all(conn: &mut Connection, practice: PracticeId, known: Known) -> StoreResult<Vec<TrainingRecord>> {
    let rows: Vec<Row> = on_backend!(conn, |c| training_records::table
        .filter(training_records::practice_id.eq(practice.0))
        .filter(voids::known!(training_records, known))
        .order(training_records::id)
        .select(Row::as_select())
        .load(c))?;
    into_records(rows)
}

/// Every training record of every practice of `organization`, with its practice, ordered by id (one query).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<(PracticeId, TrainingRecord)>> {
    let rows: Vec<(i64, Row)> = on_backend!(conn, |c| training_records::table
        .filter(training_records::practice_id.eq_any(super::practices::ids_of(organization)))
        .filter(voids::known!(training_records, known))
        .order(training_records::id)
        .select((training_records::practice_id, Row::as_select()))
        .load(c))?;
    rows.into_iter()
        .map(|(practice, row)| row.into_record().map(|r| (PracticeId(practice), r)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_more_than_zero_and_at_most_forty() {
        let training = |hours: f64| NewTraining {
            staff_id: StaffId(1),
            topic: Term::parse("care_management").unwrap(),
            completed_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            hours,
            trainer: None,
            document_id: None,
            replaces: None,
        };
        for good in [0.25, 1.0, 40.0] {
            assert!(training(good).validate().is_ok(), "{good}");
        }
        for bad in [0.0, -1.0, 40.01, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let errors = training(bad).validate().unwrap_err();
            let hours = &errors.field_errors()["hours"];
            assert!(hours.iter().all(|e| e.code == "range"), "{bad}: {hours:?}");
        }
    }
}
