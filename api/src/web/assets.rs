//! The stylesheet and scripts, embedded in the binary and served under a URL that carries a
//! hash of their content, so that browsers keep them for a year and fetch a new one the moment
//! it changes. Nothing is fetched from anywhere else.

use std::collections::HashMap;
use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{get, web, HttpResponse};

/// Every asset: its name, content type and bytes.
const ASSETS: [(&str, &str, &[u8]); 3] = [
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/app.js"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/htmx.min.js"),
    ),
];

/// Each asset's content hash (the first 16 hex digits of its SHA-256).
fn hashes() -> &'static HashMap<&'static str, String> {
    static HASHES: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(name, _, bytes)| (*name, pcmh_core::hash::sha256_hex(bytes)[..16].to_owned()))
            .collect()
    })
}

/// The URL of the asset `name`, which changes when its content does.
pub fn url(name: &str) -> String {
    let hash = hashes().get(name).map_or("0", String::as_str);
    format!("/assets/{hash}/{name}")
}

/// Serves an asset with a year-long cache lifetime (its URL changes with its content).
#[get("/assets/{hash}/{name}")]
async fn asset(path: web::Path<(String, String)>) -> HttpResponse {
    let (hash, name) = path.into_inner();
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) if hashes().get(name.as_str()) == Some(&hash) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(*bytes),
        // An old hash: the current content, not cached for long.
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

/// Registers the asset route.
pub fn configure(config: &mut web::ServiceConfig) {
    config.service(asset);
}
