//! (Being built.)

use actix_web::web;

/// Registers the pages of this screen.
pub fn configure(_config: &mut web::ServiceConfig) {}
