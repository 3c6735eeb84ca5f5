//! `pcmh serve --demo`: a demo physician organization, loaded once into an empty database.

use crate::http::AppState;

/// Seeds the demo data if the database has none; says what it did.
pub fn seed(_state: &AppState) -> Result<String, String> {
    Ok("demo data: not available yet".into())
}
