//! Reading requests: JSON bodies and query strings become typed values or a clear 4xx.
//!
//! A body that is not JSON (or not sent as JSON) is a 400. A body that is JSON but has a
//! field of the wrong type, a missing or an unknown field, or breaks a validation rule is a
//! 422 naming the field and the rule.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::Validate;

use super::error::{ApiError, FieldError};

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;

/// A JSON body, deserialized and validated.
pub struct ValidJson<T>(pub T);

/// A query string, deserialized and validated.
pub struct ValidQuery<T>(pub T);

/// Turns a serde error at `path` into the field at fault and the rule it broke.
fn data_error(path: String, error: &str) -> ApiError {
    let (rule, message) = if let Some(rest) = error.strip_prefix("missing field ") {
        (
            "required",
            format!(
                "{} is required",
                rest.split(' ').next().unwrap_or(rest).trim_matches('`')
            ),
        )
    } else if error.starts_with("unknown field") {
        (
            "unknown_field",
            error.split(", expected").next().unwrap_or(error).to_owned(),
        )
    } else if error.starts_with("unknown variant") {
        ("one_of", error.to_owned())
    } else if error.starts_with("invalid type") || error.starts_with("invalid value") {
        ("type", error.to_owned())
    } else {
        ("format", error.to_owned())
    };
    // serde_json appends " at line L column C"; the field path says more.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    };
    let field = if rule == "required" || rule == "unknown_field" {
        let name = error.split('`').nth(1).unwrap_or_default();
        match (path.as_str(), name) {
            (".", n) | ("", n) => n.to_owned(),
            (p, "") => p.to_owned(),
            (p, n) if p.ends_with(n) => p.to_owned(),
            (p, n) => format!("{p}.{n}"),
        }
    } else {
        path
    };
    ApiError::Invalid(vec![FieldError {
        field: if field.is_empty() || field == "." {
            "body".into()
        } else {
            field
        },
        rule: rule.into(),
        message,
    }])
}

/// Deserializes and validates a JSON body.
pub fn parse_json<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            let well_formed = || serde_json::from_slice::<serde_json::Value>(bytes).is_ok();
            return Err(match inner.classify() {
                serde_json::error::Category::Data => data_error(path, &inner.to_string()),
                // serde_json reports a non-string where a word of a list is expected (an enum)
                // as a syntax error; the JSON is well formed, so it is the field that is wrong.
                serde_json::error::Category::Syntax if well_formed() => ApiError::invalid(
                    if path.is_empty() || path == "." {
                        "body".to_owned()
                    } else {
                        path
                    },
                    "type",
                    "has the wrong type: expected one of the listed words, as a string",
                ),
                _ => ApiError::BadRequest {
                    code: "malformed_json",
                    message: format!("the body is not valid JSON: {inner}"),
                    field: None,
                },
            });
        }
    };
    deserializer.end().map_err(|e| ApiError::BadRequest {
        code: "malformed_json",
        message: format!("the body has trailing characters after the JSON value: {e}"),
        field: None,
    })?;
    refuse_nul(bytes)?;
    value.validate()?;
    Ok(value)
}

/// Deserializes and validates a JSON request body of the API, after checking that its objects
/// and lists stand where the OpenAPI document's schema of `T` has them: serde reads a struct
/// from a list of its fields' values too (`[null, null]` for a struct of two fields), which the
/// document does not allow and no client means.
///
/// A whole number written with a fraction (`30.0`) is an integer to JSON Schema, so where the
/// document has an integer it is read as one.
pub fn parse_api_json<T: DeserializeOwned + Validate + utoipa::ToSchema>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let document = document();
        if let Some(schema) = document["components"]["schemas"].get(T::name().as_ref()) {
            if shape(&mut value, schema, document, String::new())? {
                return parse_json(&serde_json::to_vec(&value).unwrap_or_default());
            }
        }
    }
    parse_json(bytes)
}

/// The OpenAPI document as JSON, made once.
fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(super::openapi()).unwrap_or_default())
}

/// Checks that `value` is an object or a list wherever `schema` says so, and turns a whole
/// number written with a fraction into an integer where `schema` has an integer (nothing else:
/// serde and the field rules check the rest, with their own messages). Whether it changed
/// `value`.
fn shape(
    value: &mut serde_json::Value,
    schema: &serde_json::Value,
    document: &serde_json::Value,
    path: String,
) -> Result<bool, ApiError> {
    use serde_json::Value;
    let schema = match schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => &document["components"]["schemas"][name],
        None => schema,
    };
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = schema[key].as_array() {
            // A branch that reads the value as an integer wins over one that leaves it alone
            // (`null` or a StaffId: 7.0 is the StaffId 7).
            let mut first_error = None;
            let mut fits = false;
            for branch in branches {
                let mut tried = value.clone();
                match shape(&mut tried, branch, document, path.clone()) {
                    Ok(true) => {
                        *value = tried;
                        return Ok(true);
                    }
                    Ok(false) => fits = true,
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            return match first_error {
                Some(error) if !fits => Err(error),
                _ => Ok(false),
            };
        }
    }
    let mut changed = false;
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            changed |= shape(value, part, document, path.clone())?;
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(changed),
    };
    if types.contains(&"integer") && value.is_f64() {
        if let Some(whole) = value.as_f64().filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15) {
            *value = Value::from(whole as i64);
            return Ok(true);
        }
    }
    let at = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    let expected = match types.as_slice() {
        ["object", ..] | [_, "object"] => "a JSON object",
        ["array", ..] | [_, "array"] => "a list",
        _ => "of another type",
    };
    match value {
        Value::Object(fields) if types.contains(&"object") => {
            for (name, item) in fields.iter_mut() {
                if let Some(property) = schema["properties"].get(name) {
                    let next = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    changed |= shape(item, property, document, next)?;
                }
            }
            Ok(changed)
        }
        Value::Array(items) if types.contains(&"array") => {
            let list = at(&path);
            for (i, item) in items.iter_mut().enumerate() {
                changed |= shape(item, &schema["items"], document, format!("{list}[{i}]"))?;
            }
            Ok(changed)
        }
        Value::Object(_) | Value::Array(_) => Err(ApiError::invalid(
            at(&path),
            "type",
            format!("has the wrong type: expected {expected}"),
        )),
        _ => Ok(changed),
    }
}

/// Refuses text holding a NUL character (`\u0000`): no record has a use for it, and
/// PostgreSQL cannot store it in text.
fn refuse_nul(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let mut at = None;
    find_nul(&value, String::new(), &mut at);
    match at {
        Some(field) => Err(ApiError::invalid(
            field,
            "no_nul",
            "text must not contain the NUL character",
        )),
        None => Ok(()),
    }
}

fn find_nul(value: &serde_json::Value, path: String, found: &mut Option<String>) {
    if found.is_some() {
        return;
    }
    match value {
        serde_json::Value::String(text) if text.contains('\0') => *found = Some(path),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nul(item, format!("{path}[{i}]"), found);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let next = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                find_nul(item, next, found);
            }
        }
        _ => {}
    }
}

/// Deserializes and validates a query string.
pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    if query.to_ascii_lowercase().contains("%00") {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: "a query parameter holds the NUL character".into(),
            field: None,
        });
    }
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    let value: T = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        match data_error(path, &message) {
            ApiError::Invalid(mut fields) if fields.len() == 1 => {
                let field = fields.remove(0);
                ApiError::BadRequest {
                    code: "invalid_query",
                    message: format!("query parameter {}: {}", field.field, field.message),
                    field: Some(field),
                }
            }
            other => other,
        }
    })?;
    value.validate()?;
    Ok(value)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            let v = v.trim().to_ascii_lowercase();
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

/// Reads a whole body up to `limit` bytes.
pub async fn read_body(payload: &mut Payload, limit: usize) -> Result<Bytes, ApiError> {
    let mut body = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest {
            code: "unreadable_body",
            message: format!("the body could not be read: {e}"),
            field: None,
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge(format!("the body is larger than {limit} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

impl<T: DeserializeOwned + Validate + utoipa::ToSchema + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::BadRequest {
                    code: "unsupported_content_type",
                    message: "send the body as JSON, with the header Content-Type: application/json".into(),
                    field: None,
                });
            }
            if declared.is_some_and(|n| n > JSON_LIMIT) {
                return Err(ApiError::TooLarge(format!(
                    "the body is larger than {JSON_LIMIT} bytes"
                )));
            }
            let bytes = read_body(&mut payload, JSON_LIMIT).await?;
            parse_api_json(&bytes).map(ValidJson)
        })
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidQuery))
    }
}

/// Runs blocking storage work off the async threads.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    // The work runs on another thread; what it logs still names the request.
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(work)).await.map_err(|e| {
        super::error::log_error("blocking task failed", &e.to_string());
        ApiError::Internal
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[pcmh_core::checks::checked]
    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct Form {
        #[check(min_length = 1)]
        name: String,
        count: Option<u32>,
    }

    fn invalid_field(result: Result<Form, ApiError>) -> (String, String) {
        invalid(result)
    }

    fn invalid<T: std::fmt::Debug>(result: Result<T, ApiError>) -> (String, String) {
        match result {
            Err(ApiError::Invalid(fields)) => (fields[0].field.clone(), fields[0].rule.clone()),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_named() {
        assert_eq!(invalid_field(parse_json(b"{}")), ("name".into(), "required".into()));
    }

    #[test]
    fn a_wrong_type_is_named() {
        assert_eq!(
            invalid_field(parse_json(br#"{"name": "a", "count": "x"}"#)),
            ("count".into(), "type".into())
        );
        assert_eq!(
            invalid_field(parse_json(br#"{"name": "a", "count": -1}"#)),
            ("count".into(), "type".into())
        );
    }

    #[test]
    fn an_unknown_field_is_named() {
        assert_eq!(
            invalid_field(parse_json(br#"{"name": "a", "nmae": "b"}"#)),
            ("nmae".into(), "unknown_field".into())
        );
    }

    #[test]
    fn a_rule_broken_is_named() {
        assert_eq!(
            invalid_field(parse_json(br#"{"name": ""}"#)),
            ("name".into(), "length".into())
        );
    }

    #[test]
    fn malformed_json_and_bad_utf8_are_bad_requests() {
        for body in [
            &b"{"[..],
            b"not json",
            b"{\"name\": \"\xff\"}",
            b"",
            b"{\"name\": \"a\"} x",
        ] {
            assert!(
                matches!(parse_json::<Form>(body), Err(ApiError::BadRequest { .. })),
                "{body:?}"
            );
        }
    }

    #[derive(Debug, serde::Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    struct WithRole {
        #[allow(dead_code, reason = "only its deserialization is tested")]
        role: Color,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Color {
        Red,
    }

    #[test]
    fn a_word_that_is_not_a_string_is_a_wrong_type() {
        for body in [
            &br#"{"role": 1}"#[..],
            br#"{"role": null}"#,
            br#"{"role": ["red"]}"#,
            br#"{"role": true}"#,
        ] {
            match parse_json::<WithRole>(body) {
                Err(ApiError::Invalid(fields)) => {
                    assert_eq!((fields[0].field.as_str(), fields[0].rule.as_str()), ("role", "type"))
                }
                other => panic!("{body:?}: {other:?}"),
            }
        }
        assert!(parse_json::<WithRole>(br#"{"role": "red"}"#).is_ok());
    }

    #[test]
    fn a_nul_character_is_refused_naming_the_field() {
        assert_eq!(
            invalid_field(parse_json(br#"{"name": "a\u0000b"}"#)),
            ("name".into(), "no_nul".into())
        );
    }

    #[test]
    fn a_list_where_the_document_has_an_object_is_refused() {
        use pcmh_core::store::meetings::NewMeeting;
        use pcmh_core::store::practices::PracticeUpdate;
        // serde alone would read `[null, null]` as a PracticeUpdate of two absent fields.
        assert_eq!(
            invalid(parse_api_json::<PracticeUpdate>(b"[null, null]")),
            ("body".into(), "type".into())
        );
        assert!(parse_api_json::<PracticeUpdate>(br#"{"time_zone": "America/Detroit"}"#).is_ok());
        let meeting = |attendee: &str| {
            format!(
                r#"{{"held_on": "2026-03-02", "kind": "case_conference", "attendees": [{attendee}],
                    "patients_reviewed": 3, "documented_in_chart": true}}"#
            )
        };
        assert_eq!(
            invalid(parse_api_json::<NewMeeting>(meeting(r#"["nurse", null]"#).as_bytes())),
            ("attendees[0]".into(), "type".into())
        );
        assert!(parse_api_json::<NewMeeting>(meeting(r#"{"role": "nurse"}"#).as_bytes()).is_ok());
        assert_eq!(
            invalid(parse_api_json::<NewMeeting>(br#"{"attendees": {"role": "nurse"}}"#)),
            ("attendees".into(), "type".into())
        );
    }

    #[test]
    fn a_whole_number_with_a_fraction_is_an_integer() {
        use pcmh_core::store::meetings::NewMeeting;
        let meeting = |reviewed: &str, staff: &str| {
            format!(
                r#"{{"held_on": "2026-03-02", "kind": "case_conference", "attendees": [{{"role": "nurse", "staff_id": {staff}}}],
                    "patients_reviewed": {reviewed}, "documented_in_chart": true}}"#
            )
        };
        let read = parse_api_json::<NewMeeting>(meeting("30.0", "7.0").as_bytes()).expect("30.0 is 30");
        assert_eq!(read.patients_reviewed, 30);
        assert_eq!(read.attendees[0].staff_id.map(|s| s.0), Some(7));
        assert_eq!(
            invalid(parse_api_json::<NewMeeting>(meeting("30.5", "null").as_bytes())),
            ("patients_reviewed".into(), "type".into())
        );
    }

    #[test]
    fn query_strings_are_decoded() {
        let form: Form = parse_query("name=a%20b+c&count=3").unwrap();
        assert_eq!((form.name.as_str(), form.count), ("a b c", Some(3)));
        assert!(matches!(
            parse_query::<Form>("name=a&count=x"),
            Err(ApiError::BadRequest { .. })
        ));
    }
}
