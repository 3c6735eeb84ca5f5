//! Survey results of a practice (patient satisfaction, office efficiency, ...), by the day the
//! survey closed.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use validator::Validate;

use super::schema::survey_results;
use super::voids::{self, Known, Replaces, VoidMark};
use super::{now, on_backend, practices, Connection, DateRange, Listing, Page, StoreError, StoreResult};
use crate::catalog::{Catalog, Term};
use crate::ids::{PracticeId, SurveyResultId};
use crate::records::SurveyResult;

/// The most respondents one survey result may count.
pub const MAX_RESPONDENTS: u32 = 1_000_000;

/// What is needed to record a survey result.
#[crate::checks::checked]
#[derive(Debug, Clone, PartialEq, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSurvey {
    /// The kind of survey, a term of the catalog's `survey_kinds`.
    pub kind: Term,
    /// The last day of the survey.
    #[check(date)]
    pub conducted_on: NaiveDate,
    /// How many people answered: 1 to 1,000,000.
    #[check(minimum = 1, maximum = 1_000_000)]
    pub respondents: u32,
    /// The overall score, in percent: 0 to 100.
    #[check(minimum = 0.0, maximum = 100.0)]
    pub score: f64,
    /// The survey result this one corrects (of the same practice, not voided): it is voided in
    /// the same transaction, with the reason given.
    #[serde(default)]
    #[check(nested)]
    pub replaces: Option<Replaces>,
}

/// Which survey results to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyFilter {
    /// Only this kind.
    pub kind: Option<Term>,
    /// Only those conducted in this range.
    pub conducted: DateRange,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = survey_results)]
struct Row {
    id: i64,
    practice_id: i64,
    kind: String,
    conducted_on: NaiveDate,
    respondents: i32,
    score: f64,
    #[diesel(embed)]
    corrections: Corrections,
}

voids::correction_columns!(survey_results);

impl Row {
    fn into_result(self) -> StoreResult<SurveyResult> {
        let corrupt = |e: Box<dyn std::error::Error + Send + Sync>| {
            StoreError::Database(diesel::result::Error::DeserializationError(e))
        };
        Ok(SurveyResult {
            id: SurveyResultId(self.id),
            practice_id: PracticeId(self.practice_id),
            kind: Term::parse(&self.kind).map_err(|e| corrupt(Box::new(e)))?,
            conducted_on: self.conducted_on,
            respondents: u32::try_from(self.respondents).map_err(|e| corrupt(Box::new(e)))?,
            score: self.score,
            correction: self.corrections.into(),
        })
    }
}

fn into_results(rows: Vec<Row>) -> StoreResult<Vec<SurveyResult>> {
    rows.into_iter().map(Row::into_result).collect()
}

/// Records a survey result of `practice`, of a kind of `catalog`.
pub fn create(
    conn: &mut Connection,
    practice: PracticeId,
    catalog: &Catalog,
    form: &NewSurvey,
) -> StoreResult<SurveyResult> {
    practices::get(conn, practice)?;
    let kinds = &catalog.vocabulary.survey_kinds;
    if !kinds.contains_key(&form.kind) {
        let known: Vec<&str> = kinds.keys().map(Term::as_str).collect();
        return Err(StoreError::invalid(
            "kind",
            "vocabulary",
            format!(
                "`{}` is not a survey kind of {} {} (known: {})",
                form.kind,
                catalog.id,
                catalog.version,
                known.join(", ")
            ),
        ));
    }
    let respondents = i32::try_from(form.respondents).map_err(|_| {
        StoreError::invalid(
            "respondents",
            "range",
            format!("{} is more than {MAX_RESPONDENTS}", form.respondents),
        )
    })?;
    let version = catalog.version.to_string();
    let id: i64 = on_backend!(conn, |c| diesel::insert_into(survey_results::table)
        .values((
            survey_results::practice_id.eq(practice.0),
            survey_results::kind.eq(form.kind.as_str()),
            survey_results::conducted_on.eq(form.conducted_on),
            survey_results::respondents.eq(respondents),
            survey_results::score.eq(form.score),
            survey_results::catalog_id.eq(&catalog.id),
            survey_results::catalog_version.eq(&version),
            survey_results::recorded_at.eq(now()),
            survey_results::replaces.eq(form.replaces.as_ref().map(|r| r.id)),
        ))
        .returning(survey_results::id)
        .get_result(c))?;
    get(conn, practice, SurveyResultId(id))
}

/// The survey result `id` of `practice`.
pub fn get(conn: &mut Connection, practice: PracticeId, id: SurveyResultId) -> StoreResult<SurveyResult> {
    let row: Option<Row> = on_backend!(conn, |c| survey_results::table
        .filter(survey_results::id.eq(id.0))
        .filter(survey_results::practice_id.eq(practice.0))
        .select(Row::as_select())
        .first(c)
        .optional())?;
    row.ok_or_else(|| StoreError::not_found("survey result", id))?
        .into_result()
}

/// A page of `practice`'s survey results matching `filter`, by the day they were conducted.
pub fn list(
    conn: &mut Connection,
    practice: PracticeId,
    filter: &SurveyFilter,
    page: Page,
) -> StoreResult<Listing<SurveyResult>> {
    practices::get(conn, practice)?;
    let kind = filter.kind.as_ref().map(Term::as_str);
    let range = filter.conducted;
    let (rows, total): (Vec<Row>, i64) = on_backend!(conn, |c| {
        let query = || {
            let mut query = survey_results::table
                .filter(survey_results::practice_id.eq(practice.0))
                .filter(survey_results::conducted_on.ge(range.start()))
                .filter(survey_results::conducted_on.le(range.end()))
                .into_boxed();
            if let Some(kind) = kind {
                query = query.filter(survey_results::kind.eq(kind));
            }
            query
        };
        let rows = query()
            .order((survey_results::conducted_on, survey_results::id))
            .limit(page.limit)
            .offset(page.offset)
            .select(Row::as_select())
            .load(c)?;
        let total = query().count().get_result(c)?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?;
    Ok(Listing {
        items: into_results(rows)?,
        total,
        limit: page.limit,
        offset: page.offset,
    })
}

/// Voids the survey result `id` of `practice` (unless it already is); returns it before and after.
pub fn void(
    conn: &mut Connection,
    practice: PracticeId,
    id: SurveyResultId,
    mark: &VoidMark,
) -> StoreResult<(SurveyResult, SurveyResult)> {
    let before = get(conn, practice, id)?;
    voids::check_voided("survey result", id, &before.correction)?;
    voids::void_row!(conn, survey_results, id.0, mark)?;
    Ok((before, get(conn, practice, id)?))
}

/// Names `new` as the survey result that corrects the voided `old`, both of `practice`.
pub fn link(
    conn: &mut Connection,
    practice: PracticeId,
    old: SurveyResultId,
    new: SurveyResultId,
) -> StoreResult<SurveyResult> {
    voids::link_replacement!(conn, survey_results, old.0, new.0)?;
    get(conn, practice, old)
}

/// Every record of `practice` that `known` counts, for the rules.
pub(crate) fn all(conn: &mut Connection, practice: PracticeId, known: Known) -> StoreResult<Vec<SurveyResult>> {
    let rows: Vec<Row> = on_backend!(conn, |c| survey_results::table
        .filter(survey_results::practice_id.eq(practice.0))
        .filter(voids::known!(survey_results, known))
        .order(survey_results::id)
        .select(Row::as_select())
        .load(c))?;
    into_results(rows)
}

/// Every survey result of every practice of `organization`, ordered by id (one query).
pub(crate) fn all_of_organization(
    conn: &mut Connection,
    organization: crate::ids::OrganizationId,
    known: Known,
) -> StoreResult<Vec<SurveyResult>> {
    let rows: Vec<Row> = on_backend!(conn, |c| survey_results::table
        .filter(survey_results::practice_id.eq_any(super::practices::ids_of(organization)))
        .filter(voids::known!(survey_results, known))
        .order(survey_results::id)
        .select(Row::as_select())
        .load(c))?;
    into_results(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_finite_percentages() {
        let survey = |score: f64| NewSurvey {
            kind: Term::parse("patient_experience").unwrap(),
            conducted_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            respondents: 10,
            score,
            replaces: None,
        };
        for good in [0.0, 55.5, 100.0] {
            assert!(survey(good).validate().is_ok(), "{good}");
        }
        for bad in [-0.1, 100.01, f64::NAN, f64::INFINITY] {
            let errors = survey(bad).validate().unwrap_err();
            let score = &errors.field_errors()["score"];
            assert!(score.iter().all(|e| e.code == "range"), "{bad}: {score:?}");
        }
    }
}
