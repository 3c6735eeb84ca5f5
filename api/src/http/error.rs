//! The one error shape every 4xx and 5xx response has.
//!
//! ```json
//! {"error": {"code": "validation_failed", "message": "...", "fields": [{"field": "name", "rule": "not_blank", "message": "must not be empty"}]}}
//! ```
//!
//! `code` is stable and machine-readable; `fields` is present when particular fields are at
//! fault. A 500 never carries details: they go to the log, without request bodies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use pcmh_core::store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// One field that broke one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a path into the request (`attendees[0].role`, `as_of`).
    pub field: String,
    /// The rule's short name (`required`, `type`, `length`, `date_range`, ...).
    pub rule: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code.
    pub code: String,
    /// A message for people.
    pub message: String,
    /// The fields at fault, when there are some.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// An error answered to a client.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The request could not be read at all (malformed JSON, wrong content type, bad query).
    #[error("{message}")]
    BadRequest {
        /// The code.
        code: &'static str,
        /// What is wrong.
        message: String,
        /// The field, when one is at fault.
        field: Option<FieldError>,
    },
    /// The request was read but breaks rules.
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    /// No token, or one that is unknown, revoked or expired.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role may not take this action here.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing there (or nothing the caller may know about).
    #[error("{0}")]
    NotFound(String),
    /// The path exists but not with this method; `allow` lists the methods it has.
    #[error("{method} is not a method of this path; it has {allow}")]
    MethodNotAllowed {
        /// The method asked.
        method: String,
        /// The methods the path has, as an `Allow` header says them.
        allow: String,
    },
    /// The write conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// The body is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// The caller made more requests than its rate limit allows; it may retry after so many seconds.
    #[error("too many requests: try again in {retry_after} s")]
    TooManyRequests {
        /// Whole seconds until the next request is allowed (the `Retry-After` header).
        retry_after: u64,
    },
    /// The server's disk is full: nothing was stored.
    #[error("the server's storage is full: nothing was stored; free space on the server (or ask its administrator), then try again")]
    InsufficientStorage,
    /// As many PO-wide views as the server computes at once are being computed; ask again after
    /// so many seconds.
    #[error("the server is computing as many PO-wide views as it does at once: try again in {retry_after} s")]
    Busy {
        /// Whole seconds to wait (the `Retry-After` header).
        retry_after: u64,
    },
    /// The database is not reachable now; nothing was done, and the request may be sent again.
    #[error("the database is not reachable; nothing was done: try again in a few seconds")]
    Unavailable,
    /// A fault of the server; the details are logged, not answered.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// One field at fault.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }])
    }

    fn code(&self) -> &str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Invalid(_) => "validation_failed",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::InsufficientStorage => "insufficient_storage",
            ApiError::Busy { .. } => "busy",
            ApiError::Unavailable => "database_unavailable",
            ApiError::Internal => "internal_error",
        }
    }

    /// The JSON body clients see.
    pub fn body(&self) -> ErrorBody {
        let fields = match self {
            ApiError::Invalid(fields) => fields.clone(),
            ApiError::BadRequest { field: Some(f), .. } => vec![f.clone()],
            _ => Vec::new(),
        };
        let message = match self {
            ApiError::Invalid(fields) => match fields.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid", fields.len()),
            },
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                fields,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Busy { .. } | ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::MethodNotAllowed { allow, .. } = self {
            response.insert_header((actix_web::http::header::ALLOW, allow.as_str()));
        }
        if matches!(self, ApiError::Unavailable) {
            response.insert_header((actix_web::http::header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER));
        }
        if let ApiError::TooManyRequests { retry_after } | ApiError::Busy { retry_after } = self {
            response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after.to_string()));
        }
        response.json(self.body())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, id } => ApiError::NotFound(format!("{what} {id} was not found")),
            StoreError::Conflict { message } => ApiError::Conflict(message),
            StoreError::Invalid { field, rule, message } => ApiError::invalid(field, rule, message),
            StoreError::Forbidden(message) => ApiError::Forbidden(message),
            StoreError::Unavailable(detail) => {
                log_error("database unavailable", &detail);
                ApiError::Unavailable
            }
            StoreError::StorageFull(detail) => {
                log_error("storage full", &detail);
                ApiError::InsufficientStorage
            }
            // Nobody waits for this answer any more; it is only logged with its status.
            StoreError::Abandoned => ApiError::Busy { retry_after: 5 },
            other => {
                log_error("storage failure", &other.to_string());
                ApiError::Internal
            }
        }
    }
}

impl From<pcmh_core::catalog::CatalogNotLoaded> for ApiError {
    fn from(error: pcmh_core::catalog::CatalogNotLoaded) -> Self {
        log_error("catalog missing", &error.to_string());
        ApiError::Internal
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields = Vec::new();
        flatten(&errors, "", &mut fields);
        // One message per field and rule (NaN breaks a range twice: its bounds and `finite`).
        let mut seen = std::collections::HashSet::new();
        fields.retain(|f| seen.insert((f.field.clone(), f.rule.clone())));
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Invalid(fields)
    }
}

fn flatten(errors: &validator::ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message = e.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| describe(e));
                    out.push(FieldError {
                        field: path.clone(),
                        rule: e.code.to_string(),
                        message,
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A message for validator's built-in rules, which carry parameters but no words.
fn describe(error: &validator::ValidationError) -> String {
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must have {min} to {max} characters or items"),
            (Some(min), None) => format!("must have at least {min} characters or items"),
            (None, Some(max)) => format!("must have at most {max} characters or items"),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("exclusive_min").or(param("min")), param("max")) {
            (Some(min), Some(max)) if error.params.contains_key("exclusive_min") => {
                format!("must be more than {min} and at most {max}")
            }
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        other => format!("breaks the rule {other}"),
    }
}

/// The seconds a client is told to wait (`Retry-After`) when the database is not reachable.
pub const UNAVAILABLE_RETRY_AFTER: &str = "5";

/// Logs a server-side failure (within the request's span, so with its request id). Never given
/// request bodies, tokens or patient references.
pub fn log_error(what: &str, detail: &str) {
    tracing::error!(target: "pcmh", "{what}: {detail}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_clients_see_is_stable() {
        let body = serde_json::to_value(ApiError::invalid("name", "not_blank", "must not be empty").body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "code": "validation_failed",
                "message": "name: must not be empty",
                "fields": [{"field": "name", "rule": "not_blank", "message": "must not be empty"}]
            }})
        );
        let body = serde_json::to_value(ApiError::NotFound("practice 9 was not found".into()).body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {"code": "not_found", "message": "practice 9 was not found"}})
        );
    }

    #[test]
    fn an_internal_error_says_nothing_of_its_cause() {
        let error = ApiError::from(StoreError::Migration("secret detail".into()));
        assert_eq!(error.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!serde_json::to_string(&error.body()).unwrap().contains("secret"));
    }
}
