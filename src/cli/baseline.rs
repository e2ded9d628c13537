//! Loading a baseline (an earlier results.json or SARIF file) as a diff snapshot.

use std::path::Path;

use anyhow::{Context, Result};

use annexa::diff::Snapshot;

pub fn load_snapshot(path: &Path) -> Result<Snapshot> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read the baseline", path.display()))?;
    let origin = path.display().to_string();
    Ok(Snapshot::from_result(&annexa::report::json::parse(&text, &origin)?))
}
