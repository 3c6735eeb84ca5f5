//! `pcmh serve` and `pcmh migrate`.

use std::sync::Arc;

use pcmh_core::catalog::CatalogSet;
use pcmh_core::store::Store;

use super::{DatabaseArgs, Outcome, ServeArgs};
use crate::http::{self, AppState};

/// Opens the database and applies pending migrations; says what it did.
fn open(args: &DatabaseArgs) -> Result<(Store, usize), String> {
    let store = Store::open(&args.url()).map_err(|e| format!("pcmh: {e}"))?;
    let applied = store
        .migrate()
        .map_err(|e| format!("pcmh: {} : {e}", store.describe()))?;
    Ok((store, applied))
}

/// `pcmh migrate`: applies the migrations not yet applied.
pub fn migrate(args: &DatabaseArgs) -> Outcome {
    let (store, applied) = open(args)?;
    Ok(format!("{}: {applied} migration(s) applied", store.describe()))
}

/// `pcmh serve`: loads the catalogs, opens and migrates the database, and serves the API.
pub fn run(args: &ServeArgs) -> Outcome {
    let dir = args.catalog_dir.display();
    let catalogs = CatalogSet::load_dir(&args.catalog_dir)
        .map_err(|e| format!("{e}\npcmh serve: the catalogs in {dir} did not load; nothing was started"))?;
    std::fs::create_dir_all(&args.database.data_dir).map_err(|e| {
        format!(
            "pcmh serve: cannot create the data folder {}: {e}",
            args.database.data_dir.display()
        )
    })?;
    let (store, applied) = open(&args.database)?;
    let names: Vec<String> = catalogs
        .iter()
        .map(|(_, c)| format!("{} {}", c.id, c.version))
        .collect();
    println!("pcmh {}: catalogs {}", env!("CARGO_PKG_VERSION"), names.join(", "));
    println!("database {} ({applied} migration(s) applied)", store.describe());
    let state = AppState {
        store,
        catalogs: Arc::new(catalogs),
        data_dir: args.database.data_dir.clone(),
    };
    if args.demo {
        match crate::demo::seed(&state) {
            Ok(summary) => println!("{summary}"),
            Err(e) => return Err(format!("pcmh serve: the demo data could not be loaded: {e}")),
        }
    }
    actix_web::rt::System::new()
        .block_on(http::serve(state, &args.bind))
        .map_err(|e| format!("pcmh serve: cannot serve on {}: {e}", args.bind))?;
    Ok(String::new())
}
