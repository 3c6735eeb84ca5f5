//! `pcmh demo generate`: the command-line side of [`pcmh_core::generate`] (argument checks,
//! the catalog, the output). The generator itself lives in `pcmh-core`.

use std::path::PathBuf;

use chrono::Utc;
use pcmh_core::catalog::CatalogSet;
use pcmh_core::generate::{self, GenerateOptions};
use pcmh_core::store::files::FolderFiles;

use super::{DemoCommand, Outcome};

/// Runs a demo command.
pub fn run(command: &DemoCommand) -> Outcome {
    match command {
        DemoCommand::Generate {
            practices,
            years,
            evidence_files,
            database,
        } => run_generate(*practices, *years, *evidence_files, database),
    }
}

/// Where the catalogs are: `PCMH_CATALOG_DIR`, `./policy-catalog`, or the source tree's.
fn catalog_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PCMH_CATALOG_DIR") {
        return PathBuf::from(dir);
    }
    let here = PathBuf::from("policy-catalog");
    if here.is_dir() {
        return here;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../policy-catalog"))
}

fn run_generate(practices: u32, years: u32, evidence_files: u32, database: &super::DatabaseArgs) -> Outcome {
    if practices == 0 || !(1..=20).contains(&years) {
        return Err("pcmh demo generate: --practices must be at least 1 and --years between 1 and 20".into());
    }
    if evidence_files > 100_000 {
        return Err("pcmh demo generate: --evidence-files must be at most 100000".into());
    }
    let catalogs = CatalogSet::load_dir(&catalog_dir()).map_err(|e| format!("pcmh demo generate: {e}"))?;
    let today = Utc::now().date_naive();
    let catalog = catalogs
        .ids()
        .first()
        .and_then(|id| catalogs.in_force(id, today))
        .ok_or("pcmh demo generate: no catalog is in force today")?
        .clone();
    std::fs::create_dir_all(&database.data_dir).map_err(|e| format!("pcmh demo generate: {e}"))?;
    let (store, _) = super::serve::open(database)?;
    let files = FolderFiles::new(database.data_dir.join("evidence"));
    let options = GenerateOptions {
        practices,
        years,
        today,
        evidence_files,
    };
    let generated = generate::generate(&store, &files, &catalog, &options, &mut |p| {
        eprintln!(
            "pcmh demo generate: {} practices, {} records, {:.1} s",
            p.practices, p.records, p.seconds
        );
    })
    .map_err(|e| format!("pcmh demo generate: {e}"))?;
    let largest = if evidence_files > 0 {
        format!(
            "; practice {} has {evidence_files} extra scanned documents from {} to {today}",
            generated.first_practice,
            today.checked_sub_days(chrono::Days::new(364)).unwrap_or(today)
        )
    } else {
        String::new()
    };
    Ok(format!(
        "generated organization {}: {practices} practices (first {}), {years} year(s), {} records in {:.1} s \
         ({:.0} records/s); {} documents with {:.1} MB of evidence files{largest}",
        generated.organization,
        generated.first_practice,
        generated.records,
        generated.seconds,
        generated.records as f64 / generated.seconds.max(1e-9),
        generated.documents,
        generated.evidence_bytes as f64 / 1e6,
    ))
}
