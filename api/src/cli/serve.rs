//! `pcmh serve`: for now it loads the catalogs and reports; the HTTP API comes in a later issue.

use std::fmt::Write as _;

use pcmh_core::catalog::CatalogSet;

use super::{Outcome, ServeArgs};

/// Loads every catalog of the catalog folder and says what a server would run with.
pub fn run(args: &ServeArgs) -> Outcome {
    let dir = args.catalog_dir.display();
    let catalogs = CatalogSet::load_dir(&args.catalog_dir)
        .map_err(|e| format!("{e}\npcmh serve: the catalogs in {dir} did not load; nothing was started"))?;
    let mut out = format!("pcmh {}\n", env!("CARGO_PKG_VERSION"));
    let names: Vec<String> = catalogs
        .iter()
        .map(|(_, c)| format!("{} {}", c.id, c.version))
        .collect();
    let noun = if catalogs.len() == 1 { "catalog" } else { "catalogs" };
    let _ = writeln!(out, "loaded {} {noun} from {dir}: {}", catalogs.len(), names.join(", "));
    let database = args.database_url.as_deref().map_or_else(
        || format!("SQLite in {} (default)", args.data_dir.display()),
        redact_password,
    );
    let _ = writeln!(
        out,
        "bind {}, database {database}, data dir {}, demo {}",
        args.bind,
        args.data_dir.display(),
        if args.demo { "on" } else { "off" }
    );
    out.push_str("the HTTP API is not built yet: nothing was started\n");
    Ok(out)
}

/// The database URL with its password, if it has one, replaced by `***`.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    let authority = &url[scheme_end..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &url[scheme_end + at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_in_database_urls_are_not_printed() {
        assert_eq!(
            redact_password("postgres://pcmh:s3cr@t@db.example:5432/pcmh?sslmode=require"),
            "postgres://pcmh:***@db.example:5432/pcmh?sslmode=require"
        );
        assert_eq!(redact_password("postgres://pcmh@db/pcmh"), "postgres://pcmh@db/pcmh");
        assert_eq!(
            redact_password("sqlite://data/pcmh.sqlite"),
            "sqlite://data/pcmh.sqlite"
        );
        assert_eq!(redact_password("data/pcmh.sqlite"), "data/pcmh.sqlite");
    }
}
