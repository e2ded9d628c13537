//! Loading a baseline (an earlier results.json or SARIF file) for gates, diffs and SARIF
//! `baselineState`. Identity and file-kind detection live in `annexa::report::baseline`.

use std::path::Path;

use anyhow::Result;

use annexa::diff::Snapshot;
use annexa::report::baseline::Baseline;

/// A results.json gives the richer snapshot (checks run, control statuses); SARIF only findings.
pub fn load_snapshot(path: &Path) -> Result<Snapshot> {
    let baseline = Baseline::load(path)?;
    Ok(match baseline {
        Baseline::Results(_) => Snapshot::from_result(&super::results::read_results(path)?),
        Baseline::Sarif(_) => Snapshot::from_baseline(&baseline),
    })
}
