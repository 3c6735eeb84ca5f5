//! Identifiers. Each kind of record has its own type, so a practice id can't be passed as a staff id.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{de, Deserialize, Deserializer, Serialize};

macro_rules! record_id {
    ($(#[doc = $doc:literal] $name:ident),* $(,)?) => {$(
        #[doc = $doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = i64)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

record_id! {
    /// A physician organization (PO).
    OrganizationId,
    /// A practice of a PO.
    PracticeId,
    /// A staff member of a practice.
    StaffId,
    /// A training record.
    TrainingId,
    /// A team meeting.
    TeamMeetingId,
    /// A care plan (advance care plan or survivorship care plan).
    CarePlanId,
    /// A care partner named on a care plan.
    CarePartnerId,
    /// One sharing of a care plan with a care partner.
    CarePlanShareId,
    /// An attestation.
    AttestationId,
    /// A document kept as evidence.
    DocumentId,
    /// A survey result.
    SurveyResultId,
    /// A periodic report (member list, utilization report, ...).
    PeriodicReportId,
}

/// A criterion's id as the policy numbers it, e.g. "4.1" or "4.28".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CriterionId(String);

/// Why a text is not a criterion id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a criterion id (write it like \"4.1\": numbers separated by dots)")]
pub struct CriterionIdError(pub String);

impl CriterionId {
    /// Parses a criterion id: one or more numbers separated by dots, without leading zeros.
    pub fn parse(text: &str) -> Result<Self, CriterionIdError> {
        let well_formed = !text.is_empty()
            && text.split('.').all(|part| {
                !part.is_empty()
                    && part.len() <= 4
                    && part.bytes().all(|b| b.is_ascii_digit())
                    && !(part.len() > 1 && part.starts_with('0'))
            });
        if well_formed {
            Ok(Self(text.to_owned()))
        } else {
            Err(CriterionIdError(text.to_owned()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key that sorts ids the way the policy numbers them (4.2 before 4.10).
    pub fn sort_key(&self) -> Vec<u32> {
        self.0.split('.').map(|p| p.parse().unwrap_or(u32::MAX)).collect()
    }
}

impl fmt::Display for CriterionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for CriterionId {
    type Err = CriterionIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> Deserialize<'de> for CriterionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = CriterionId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a criterion id as a quoted string, like \"4.1\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CriterionId, E> {
                CriterionId::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<CriterionId, E> {
                Err(E::custom(format!(
                    "criterion id {v} must be a quoted string: unquoted, 4.10 reads as the number 4.1"
                )))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<CriterionId, E> {
                Err(E::custom(format!("criterion id {v} must be a quoted string")))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<CriterionId, E> {
                Err(E::custom(format!("criterion id {v} must be a quoted string")))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for CriterionId {
    fn schema_name() -> Cow<'static, str> {
        "CriterionId".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "description": "A criterion id as the policy numbers it, e.g. \"4.1\".",
            "type": "string",
            "pattern": "^(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3}))*$"
        })
    }
}

macro_rules! string_schema {
    ($name:ident, $pattern:literal, $description:literal, $example:literal) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .examples([$example])
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

string_schema!(
    CriterionId,
    "^(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3}))*$",
    "A criterion id as the policy numbers it.",
    "4.1"
);
string_schema!(
    Term,
    "^[a-z][a-z0-9_]{0,63}$",
    "A term of the catalog's vocabulary, in snake_case.",
    "chronic_care_model"
);

/// A word of a catalog's vocabulary (a training topic, a document type, ...), in snake_case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Term(String);

/// Why a text is not a vocabulary term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a vocabulary term (lower-case letters, digits and _, starting with a letter, at most 64)")]
pub struct TermError(pub String);

impl Term {
    /// Parses a term: a lower-case letter followed by lower-case letters, digits or `_`.
    pub fn parse(text: &str) -> Result<Self, TermError> {
        let mut bytes = text.bytes();
        let ok = text.len() <= 64
            && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
            && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(TermError(text.to_owned()))
        }
    }

    /// The term as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Term {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Term::parse(&text).map_err(de::Error::custom)
    }
}

impl JsonSchema for Term {
    fn schema_name() -> Cow<'static, str> {
        "Term".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "description": "A vocabulary term in snake_case, e.g. chronic_care_model.",
            "type": "string",
            "pattern": "^[a-z][a-z0-9_]{0,63}$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criterion_ids_are_dotted_numbers() {
        for good in ["4", "4.1", "4.28", "10.0.3"] {
            assert!(CriterionId::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "4.", ".1", "4..1", "4.01", "a.1", "4.1 ", "4,1", "12345.1"] {
            assert!(CriterionId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn criterion_ids_sort_as_the_policy_numbers_them() {
        let mut ids: Vec<_> = ["4.10", "4.2", "4.1", "4.28"]
            .iter()
            .map(|s| CriterionId::parse(s).unwrap())
            .collect();
        ids.sort_by_key(CriterionId::sort_key);
        let ids: Vec<_> = ids.iter().map(CriterionId::as_str).collect();
        assert_eq!(ids, ["4.1", "4.2", "4.10", "4.28"]);
    }

    #[test]
    fn an_unquoted_criterion_id_is_refused_with_the_reason() {
        let err = serde_yaml::from_str::<CriterionId>("4.10").unwrap_err().to_string();
        assert!(err.contains("must be a quoted string"), "{err}");
        assert_eq!(
            serde_yaml::from_str::<CriterionId>("\"4.10\"").unwrap().as_str(),
            "4.10"
        );
    }

    #[test]
    fn terms_are_snake_case() {
        assert!(Term::parse("chronic_care_model").is_ok());
        for bad in ["", "Chronic", "1abc", "a-b", "a b", &"a".repeat(65)] {
            assert!(Term::parse(bad).is_err(), "{bad}");
        }
    }
}
