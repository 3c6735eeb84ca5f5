//! `pcmh catalog`: validate, show and compare catalog files, print the format's JSON Schema,
//! and export a catalog as NIST OSCAL.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use pcmh_core::catalog::{self, Catalog, CatalogDiff, CatalogSet, Population, Scope};

use super::{CatalogCommand, DiffFormat, ExportFormat, Outcome, ShowFormat};

/// Runs one `pcmh catalog` subcommand.
pub fn run(command: &CatalogCommand) -> Outcome {
    match command {
        CatalogCommand::Validate { paths } => validate(paths),
        CatalogCommand::Show { path, format } => show(path, *format),
        CatalogCommand::Diff { old, new, format, all } => diff(old, new, *format, *all),
        CatalogCommand::Schema => to_json(&catalog::json_schema()),
        CatalogCommand::Export { path, format } => export(path, *format),
    }
}

/// A catalog file in another standard's format.
fn export(path: &Path, format: ExportFormat) -> Outcome {
    let catalog = catalog::load_file(path).map_err(|e| e.to_string())?;
    match format {
        ExportFormat::Oscal => {
            let bytes = pcmh_core::standards::oscal::to_json(&pcmh_core::standards::oscal::catalog(&catalog));
            String::from_utf8(bytes).map_err(|e| format!("cannot write JSON: {e}"))
        }
    }
}

/// What one command-line path stands for.
enum Target {
    /// A catalog file, or the files of one catalog's folder, checked with all the others.
    Files(Vec<PathBuf>),
    /// A catalog root folder (`<catalog>/<version>.yaml` below it), checked on its own.
    Root(PathBuf),
}

fn validate(paths: &[PathBuf]) -> Outcome {
    let mut targets = Vec::new();
    for path in paths {
        if path.is_dir() {
            match yaml_files_in(path) {
                Some(files) => targets.push(Target::Files(files)),
                None => targets.push(Target::Root(path.clone())),
            }
        } else {
            targets.push(Target::Files(vec![path.clone()]));
        }
    }

    let mut problems = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for target in &targets {
        if let Target::Files(list) = target {
            for file in list {
                if !files.contains(file) {
                    files.push(file.clone());
                }
            }
        }
    }
    let file_set = if files.is_empty() {
        CatalogSet::default()
    } else {
        CatalogSet::from_files(&files).unwrap_or_else(|e| {
            problems.extend(e.problems);
            CatalogSet::default()
        })
    };
    let mut roots = Vec::new();
    for target in &targets {
        if let Target::Root(dir) = target {
            match CatalogSet::load_dir(dir) {
                Ok(set) => roots.push(set),
                Err(e) => problems.extend(e.problems),
            }
        }
    }
    if !problems.is_empty() {
        return Err(lines(problems.iter().map(ToString::to_string)));
    }

    // One line per file, in the order given, each file once.
    let mut checked: Vec<(&Path, &Catalog)> = Vec::new();
    let mut roots = roots.iter();
    for target in &targets {
        let found: Vec<(&Path, &Catalog)> = match target {
            Target::Files(list) => list
                .iter()
                .filter_map(|file| file_set.iter().find(|(path, _)| path == file))
                .collect(),
            Target::Root(_) => roots.next().map(|set| set.iter().collect()).unwrap_or_default(),
        };
        for (path, catalog) in found {
            if !checked.iter().any(|(p, _)| *p == path) {
                checked.push((path, catalog));
            }
        }
    }
    let width = checked
        .iter()
        .map(|(p, _)| p.display().to_string().chars().count())
        .max()
        .unwrap_or(0);
    Ok(lines(checked.iter().map(|(path, catalog)| {
        let practice = catalog.criteria.iter().filter(|c| c.scope == Scope::Practice).count();
        let po = catalog.criteria.len() - practice;
        let count = catalog.criteria.len();
        let noun = if count == 1 { "criterion" } else { "criteria" };
        format!(
            "ok  {:<width$}  {} {}  {count} {noun} ({practice} practice, {po} PO-level)",
            path.display().to_string(),
            catalog.id,
            catalog.version,
        )
    })))
}

/// The `*.yaml` files directly in `dir`, sorted, when it is one catalog's folder.
fn yaml_files_in(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    (!files.is_empty()).then_some(files)
}

fn show(path: &Path, format: ShowFormat) -> Outcome {
    let catalog = catalog::load_file(path).map_err(|e| e.to_string())?;
    match format {
        ShowFormat::Json => to_json(&catalog),
        ShowFormat::Table => Ok(table(&catalog)),
    }
}

fn scope_name(scope: Scope) -> &'static str {
    match scope {
        Scope::Practice => "practice",
        Scope::PhysicianOrganization => "PO",
    }
}

fn population_name(population: Population) -> &'static str {
    match population {
        Population::InitialFocus => "initial_focus",
        Population::AllPatients => "all_patients",
    }
}

/// The catalog's criteria as an aligned table under a line naming the catalog.
fn table(catalog: &Catalog) -> String {
    let mut rows = vec![[
        "ID".to_owned(),
        "SCOPE".to_owned(),
        "POPULATION".to_owned(),
        "EVIDENCE".to_owned(),
        "TITLE".to_owned(),
    ]];
    for criterion in &catalog.criteria {
        let population = if criterion.population.is_empty() {
            "-".to_owned()
        } else {
            criterion
                .population
                .iter()
                .map(|p| population_name(*p))
                .collect::<Vec<_>>()
                .join(",")
        };
        rows.push([
            criterion.id.to_string(),
            scope_name(criterion.scope).to_owned(),
            population,
            criterion
                .evidence
                .iter()
                .map(|e| e.kind())
                .collect::<Vec<_>>()
                .join(","),
            criterion.title.clone(),
        ]);
    }
    let count = catalog.criteria.len();
    let mut out = format!(
        "{} {}  {}  (effective {}, {count} {})\n\n",
        catalog.id,
        catalog.version,
        catalog.title,
        catalog.effective,
        if count == 1 { "criterion" } else { "criteria" }
    );
    out.push_str(&aligned(&rows));
    out
}

/// Rows with every column but the last padded to its widest cell, two spaces apart.
fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    lines(rows.iter().map(|row| {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 < N {
                let _ = write!(line, "{cell:<0$}  ", widths[i]);
            } else {
                line.push_str(cell);
            }
        }
        line.trim_end().to_owned()
    }))
}

fn diff(old: &Path, new: &Path, format: DiffFormat, all: bool) -> Outcome {
    let set = CatalogSet::from_files(&[old.to_owned(), new.to_owned()]).map_err(|e| e.to_string())?;
    let find = |file: &Path| set.iter().find(|(path, _)| *path == file).map(|(_, c)| c);
    let (Some(old_catalog), Some(new_catalog)) = (find(old), find(new)) else {
        let missing = if find(old).is_none() { old } else { new };
        return Err(format!("{}: the catalog was not loaded", missing.display()));
    };
    if old_catalog.id != new_catalog.id {
        return Err(format!(
            "{}: catalog {} cannot be compared with catalog {} of {}: a diff compares two versions of one catalog",
            new.display(),
            new_catalog.id,
            old_catalog.id,
            old.display()
        ));
    }
    let changes = catalog::diff(old_catalog, new_catalog);
    match format {
        DiffFormat::Json => to_json(&changes),
        DiffFormat::Text => Ok(diff_text(
            &changes,
            new_catalog
                .upgrade_from
                .as_ref()
                .map(|m| m.version.to_string())
                .as_deref(),
            all,
        )),
    }
}

/// The diff for people: a header, one line per change, the unchanged criteria in one line.
///
/// `maps_from` is the version the new catalog declares a mapping from, if any.
fn diff_text(diff: &CatalogDiff, maps_from: Option<&str>, all: bool) -> String {
    let mapping = match maps_from {
        _ if diff.declared_mapping => format!("mapping declared in {}", diff.to_version),
        Some(other) => format!(
            "{} maps from {other}, not {}: criteria matched by id",
            diff.to_version, diff.from_version
        ),
        None => format!("no mapping declared in {}: criteria matched by id", diff.to_version),
    };
    let mut out = format!(
        "{} {} -> {} ({mapping})\n",
        diff.catalog, diff.from_version, diff.to_version
    );
    let mut unchanged = Vec::new();
    let mut rows = Vec::new();
    for change in &diff.changes {
        let from = change.from.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string);
        if change.change == pcmh_core::catalog::Change::Kept && change.differences.is_empty() && !all {
            unchanged.push(from);
            continue;
        }
        let to = if change.to.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = change.to.iter().map(ToString::to_string).collect();
            format!("-> {}", ids.join(", "))
        };
        let mut details = Vec::new();
        if !change.differences.is_empty() {
            details.push(format!("({})", change.differences.join(", ")));
        }
        if let Some(note) = &change.note {
            details.push(format!("note: {note}"));
        }
        rows.push([from, change.change.as_str().to_owned(), to, details.join("  ")]);
    }
    out.push_str(&aligned(&rows));
    if !all {
        match unchanged.len() {
            0 => out.push_str("no criterion kept unchanged\n"),
            1 => out.push_str(&format!("1 criterion kept unchanged: {}\n", unchanged[0])),
            n => out.push_str(&format!("{n} criteria kept unchanged: {}\n", unchanged.join(", "))),
        }
    }
    out
}

fn to_json(value: &impl serde::Serialize) -> Outcome {
    serde_json::to_string_pretty(value).map_err(|e| format!("cannot write JSON: {e}"))
}

/// Lines joined, each ending with a newline.
fn lines(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().fold(String::new(), |mut out, line| {
        out.push_str(&line);
        out.push('\n');
        out
    })
}
