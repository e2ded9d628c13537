//! Loading a baseline (an earlier results.json or SARIF file) for gates, diffs and SARIF
//! `baselineState`. Identity and file-kind detection live in `annexa::report::baseline`.

use std::path::Path;

use anyhow::{Context, Result};

use annexa::diff::Snapshot;
use annexa::report::baseline::{self, Baseline, Kind};

/// A results.json gives the richer snapshot (checks run, control statuses); SARIF only findings.
/// The file is read once and never held as a whole JSON document.
pub fn load_snapshot(path: &Path) -> Result<Snapshot> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(match Baseline::detect(&bytes, path)? {
        Kind::Results => Snapshot::from_result(&baseline::parse_results(&bytes, path)?),
        Kind::Sarif => Snapshot::from_baseline(&Baseline::from_sarif_bytes(&bytes, path)?),
    })
}
