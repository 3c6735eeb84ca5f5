//! (being written) auditor packets and the signing key.

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the routes of this module.
pub fn configure(_config: &mut ServiceConfig) {}
