//! Form posts, read with the API's own rules: a form's fields become the JSON body the API's
//! endpoint takes, parsed by the same [`crate::http::extract::parse_json`] into the same core
//! form, so a page shows exactly the API's 422 field errors, each beside its field.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};
use validator::Validate;

use super::error::WebError;
use crate::http::error::ApiError;
use crate::http::extract::parse_json;

/// The fields of a form post, in order, with repeated names kept.
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

/// How a form field is read into the API's JSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (the default); an empty one is left out.
    Text,
    /// A number; an empty one is left out, anything else that is not a number is sent as text
    /// so that the API's rule names the field.
    Number,
    /// A checkbox: present is `true`, absent `false`.
    Flag,
    /// Every value of a repeated field (checkboxes, multiple select), as a list.
    List,
    /// Every value of a repeated field, as a list of numbers.
    NumberList,
}

impl Fields {
    /// Reads an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Self {
        Fields(form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`, removed.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let at = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(at).1)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The JSON object the API's endpoint would receive: the fields named in `kinds` (others
    /// are ignored), each read as its kind.
    pub fn json(&self, kinds: &[(&str, Kind)]) -> Value {
        let mut object = Map::new();
        for (name, kind) in kinds {
            let values = self.all(name);
            let value = match kind {
                Kind::Text => values
                    .first()
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String((*v).to_owned())),
                Kind::Number => values
                    .first()
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(number_or_text),
                Kind::Flag => Some(Value::Bool(values.iter().any(|v| !v.is_empty()))),
                Kind::List => Some(Value::Array(
                    values
                        .iter()
                        .filter(|v| !v.is_empty())
                        .map(|v| Value::String((*v).to_owned()))
                        .collect(),
                )),
                Kind::NumberList => Some(Value::Array(
                    values
                        .iter()
                        .map(|v| v.trim())
                        .filter(|v| !v.is_empty())
                        .map(number_or_text)
                        .collect(),
                )),
            };
            if let Some(value) = value {
                object.insert((*name).to_owned(), value);
            }
        }
        Value::Object(object)
    }

    /// Reads the fields into the core form `T` with the API's rules.
    pub fn read<T: DeserializeOwned + Validate>(&self, kinds: &[(&str, Kind)]) -> Result<T, FormErrors> {
        read_json(&self.json(kinds))
    }
}

/// Reads a JSON value into the core form `T` with the API's rules.
pub fn read_json<T: DeserializeOwned + Validate>(value: &Value) -> Result<T, FormErrors> {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    parse_json::<T>(&bytes).map_err(FormErrors::from)
}

fn number_or_text(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return Value::Number(n.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

/// The messages of a refused form: one per field, and those that name no field of the form.
#[derive(Debug, Clone, Default)]
pub struct FormErrors {
    /// Field name → message.
    pub fields: BTreeMap<String, String>,
    /// Messages about the form as a whole.
    pub general: Vec<String>,
}

impl FormErrors {
    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    /// The message beside `field`, if it has one.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// One message about the whole form.
    pub fn general(message: impl Into<String>) -> Self {
        FormErrors {
            general: vec![message.into()],
            ..FormErrors::default()
        }
    }

    /// Moves the messages of fields the form does not show (named in `shown`) to the general
    /// list, so that none is lost.
    pub fn keep_fields(mut self, shown: &[&str]) -> Self {
        let hidden: Vec<String> = self
            .fields
            .keys()
            .filter(|k| {
                !shown
                    .iter()
                    .any(|s| k.as_str() == *s || k.starts_with(&format!("{s}[")))
            })
            .cloned()
            .collect();
        for key in hidden {
            if let Some(message) = self.fields.remove(&key) {
                self.general.push(format!("{key}: {message}"));
            }
        }
        self
    }
}

impl From<ApiError> for FormErrors {
    fn from(error: ApiError) -> Self {
        match error {
            ApiError::Invalid(fields) => {
                let mut out = FormErrors::default();
                for f in fields {
                    out.fields.entry(f.field).or_insert(f.message);
                }
                out
            }
            ApiError::BadRequest { field: Some(f), .. } => {
                let mut out = FormErrors::default();
                out.fields.insert(f.field, f.message);
                out
            }
            other => FormErrors::general(other.body().error.message),
        }
    }
}

/// Whether a refused action is the person's to mend (a field, a conflict), rather than a page
/// to leave (not found, not allowed, a fault).
pub fn mendable(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Invalid(_)
            | ApiError::Conflict(_)
            | ApiError::BadRequest { .. }
            | ApiError::TooLarge(_)
            | ApiError::InsufficientStorage
    )
}

/// Splits the outcome of an action: what the person can mend goes back to the form, the rest
/// becomes an error page.
pub fn outcome<T>(result: Result<T, pcmh_core::store::StoreError>) -> Result<Result<T, FormErrors>, WebError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(error) => {
            let error = ApiError::from(error);
            if mendable(&error) {
                Ok(Err(FormErrors::from(error)))
            } else {
                Err(error.into())
            }
        }
    }
}

/// Renders a page with `status`.
pub fn page(template: &impl askama::Template, status: StatusCode) -> Result<HttpResponse, WebError> {
    let html = template.render().map_err(|e| {
        crate::http::error::log_error("template", &e.to_string());
        WebError::Internal
    })?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// Renders a page (200).
pub fn ok(template: &impl askama::Template) -> Result<HttpResponse, WebError> {
    page(template, StatusCode::OK)
}

/// Renders a form refused with field errors (422).
pub fn refused(template: &impl askama::Template) -> Result<HttpResponse, WebError> {
    page(template, StatusCode::UNPROCESSABLE_ENTITY)
}

/// Renders a page: 422 when its form was refused, 200 otherwise.
pub fn answer(template: &impl askama::Template, refused: bool) -> Result<HttpResponse, WebError> {
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(template, status)
}

/// Redirects after a successful post (post/redirect/get), with a notice for the next page.
pub fn redirect(to: &str, notice: &str) -> HttpResponse {
    let separator = if to.contains('?') { '&' } else { '?' };
    let location = format!(
        "{to}{separator}notice={}",
        form_urlencoded::byte_serialize(notice.as_bytes()).collect::<String>()
    );
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// The notice a redirect carried, if any (plain text, at most 300 characters).
pub fn notice(req: &actix_web::HttpRequest) -> Option<String> {
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "notice")
        .map(|(_, v)| v.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_become_the_json_the_api_takes() {
        let fields = Fields::parse(b"name=Ana+Lopez&hours=2.5&count=3&empty=&staff=1&staff=2&flag=on&bad=x1");
        let json = fields.json(&[
            ("name", Kind::Text),
            ("hours", Kind::Number),
            ("count", Kind::Number),
            ("empty", Kind::Text),
            ("staff", Kind::NumberList),
            ("flag", Kind::Flag),
            ("other", Kind::Flag),
            ("bad", Kind::Number),
        ]);
        assert_eq!(
            json,
            serde_json::json!({"name": "Ana Lopez", "hours": 2.5, "count": 3, "staff": [1, 2], "flag": true, "other": false, "bad": "x1"})
        );
    }

    #[test]
    fn field_errors_are_the_apis() {
        #[pcmh_core::checks::checked]
        #[derive(Debug, serde::Deserialize, Validate)]
        #[serde(deny_unknown_fields)]
        struct Form {
            #[check(not_blank)]
            #[allow(dead_code, reason = "only its validation is tested")]
            name: String,
        }
        let errors = Fields::parse(b"name=+")
            .read::<Form>(&[("name", Kind::Text)])
            .unwrap_err();
        assert_eq!(errors.get("name"), Some("must not be empty"));
        let errors = Fields::parse(b"").read::<Form>(&[("name", Kind::Text)]).unwrap_err();
        assert!(errors.get("name").is_some(), "{errors:?}");
    }
}
