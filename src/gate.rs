//! CI gates: which findings and controls fail a run. The exit code mapping lives in the binary;
//! this module decides, purely, what trips.

use std::collections::BTreeSet;

use crate::diff::Snapshot;
use crate::model::{canonical_resource_id, ControlStatus, Finding, ScanResult, Severity};

/// `--fail-on`: the lowest severity that fails a run, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    AtLeast(Severity),
    Never,
}

impl FailOn {
    /// The documented default: high and critical findings fail a run.
    pub const DEFAULT: FailOn = FailOn::AtLeast(Severity::High);
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(FailOn::Never),
            "info" => Err(
                "--fail-on info is not offered: info findings never fail a run (use low)".into(),
            ),
            other => other.parse::<Severity>().map(FailOn::AtLeast).map_err(|_| {
                format!(
                    "unknown --fail-on '{other}' (expected critical, high, medium, low or none)"
                )
            }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: FailOn,
    /// Control ids (`A.8.24`) that fail the run when they fail.
    pub controls: Vec<String>,
    /// Count only findings that are new since the baseline.
    pub only_new: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Open failing findings at or above the gate (new ones only with `only_new`).
    pub failing: usize,
    /// Controls named by the gate that fail (with `only_new`: that have a new failing finding).
    pub failed_controls: Vec<String>,
    /// Collection left gaps.
    pub incomplete: bool,
}

impl Verdict {
    pub fn tripped(&self) -> bool {
        self.failing > 0 || !self.failed_controls.is_empty()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GateError {
    #[error("--fail-on-new needs --baseline OLD (an earlier results.json or SARIF file)")]
    NoBaseline,
    #[error("the baseline covers {baseline} but this scan covers {current}: no account in common, so every finding would look new. Use a baseline from a scan of the same accounts")]
    BaselineScope { baseline: String, current: String },
    #[error("--fail-on-control names {0}, which is not a control of framework {1}")]
    UnknownControl(String, String),
}

/// Judge a result. With `only_new`, `baseline` must be given.
pub fn judge(
    result: &ScanResult,
    gate: &Gate,
    baseline: Option<&Snapshot>,
) -> Result<Verdict, GateError> {
    if gate.only_new && baseline.is_none() {
        return Err(GateError::NoBaseline);
    }
    if let (true, Some(b)) = (gate.only_new, baseline) {
        let current: BTreeSet<String> = result.scope.accounts.keys().cloned().collect();
        if !b.accounts.is_empty() && !current.is_empty() && b.accounts.is_disjoint(&current) {
            let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(", ");
            return Err(GateError::BaselineScope {
                baseline: join(&b.accounts),
                current: join(&current),
            });
        }
    }
    let known: BTreeSet<&str> = result.controls.iter().map(|c| c.id.as_str()).collect();
    for c in &gate.controls {
        if !known.contains(c.as_str()) {
            return Err(GateError::UnknownControl(
                c.clone(),
                result.framework.clone(),
            ));
        }
    }
    let counts = |f: &Finding| -> bool {
        f.is_open_failure()
            && match (gate.only_new, baseline) {
                (true, Some(b)) => b.is_new(
                    &f.check_id,
                    &canonical_resource_id(f.provider, &f.resource_id),
                ),
                _ => true,
            }
    };
    let failing = match gate.fail_on {
        FailOn::Never => 0,
        FailOn::AtLeast(min) => result
            .findings
            .iter_without_evidence()
            .filter(|f| f.severity >= min && counts(f))
            .count(),
    };
    let mut failed_controls = Vec::new();
    for id in &gate.controls {
        let control = result
            .controls
            .iter()
            .find(|c| &c.id == id)
            .expect("checked above");
        if control.status != ControlStatus::Fail {
            continue;
        }
        let checks: BTreeSet<&str> = control.checks.iter().map(|c| c.check_id.as_str()).collect();
        if !gate.only_new
            || result
                .findings
                .iter_without_evidence()
                .any(|f| checks.contains(f.check_id.as_str()) && counts(&f))
        {
            failed_controls.push(id.clone());
        }
    }
    Ok(Verdict {
        failing,
        failed_controls,
        incomplete: result.is_incomplete(),
    })
}
