//! What changed between two scans: new, fixed and unchanged failing findings, and control status
//! changes. Findings are identified by (check id, canonical resource id), as in SARIF
//! fingerprints, so a changed message does not make a finding new.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{canonical_resource_id, ControlStatus, FindingStatus, ScanResult, Severity};

/// The facts of one scan a comparison needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Account keys the scan covered (`aws/123...`).
    pub accounts: BTreeSet<String>,
    /// Checks the scan evaluated; None when unknown (a SARIF file without rules).
    pub checks: Option<BTreeSet<String>>,
    /// Failing findings (accepted ones included) by identity.
    pub failing: BTreeMap<(String, String), Entry>,
    /// Control statuses; empty when unknown (SARIF).
    pub controls: BTreeMap<String, ControlStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub check_id: String,
    pub resource_id: String,
    pub account: String,
    pub severity: Severity,
    pub message: String,
    pub accepted: bool,
}

impl Snapshot {
    pub fn from_result(r: &ScanResult) -> Snapshot {
        let failing = r
            .findings
            .iter_without_evidence()
            .filter(|f| f.status == FindingStatus::Fail)
            .map(|f| {
                let id = canonical_resource_id(f.provider, &f.resource_id);
                (
                    (f.check_id.clone(), id.clone()),
                    Entry {
                        check_id: f.check_id.clone(),
                        resource_id: id,
                        account: f.account_key(),
                        severity: f.severity,
                        message: f.message.clone(),
                        accepted: f.accepted.is_some(),
                    },
                )
            })
            .collect();
        Snapshot {
            accounts: r.scope.accounts.keys().cloned().collect(),
            checks: Some(r.checks.iter().map(|c| c.id.clone()).collect()),
            failing,
            controls: r
                .controls
                .iter()
                .map(|c| (c.id.clone(), c.status))
                .collect(),
        }
    }

    /// From an earlier SARIF file (or any baseline): failing findings and accounts only; which
    /// checks ran and the control statuses are unknown.
    pub fn from_baseline(b: &crate::report::baseline::Baseline) -> Snapshot {
        let failing = b
            .entries()
            .iter()
            .map(|(key, e)| {
                (
                    key.clone(),
                    Entry {
                        check_id: e.check_id.clone(),
                        resource_id: key.1.clone(),
                        account: crate::model::account_key(e.provider, &e.account),
                        severity: e.severity,
                        message: e.message.clone(),
                        accepted: false,
                    },
                )
            })
            .collect();
        Snapshot {
            accounts: b.accounts().clone(),
            checks: None,
            failing,
            controls: BTreeMap::new(),
        }
    }

    /// Is this failing finding new compared with `self` as the baseline?
    pub fn is_new(&self, check_id: &str, canonical_id: &str) -> bool {
        !self
            .failing
            .contains_key(&(check_id.to_string(), canonical_id.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlChange {
    pub id: String,
    pub before: ControlStatus,
    pub after: ControlStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Failing now, not before.
    pub new: Vec<Entry>,
    /// Failing before; now scanned again (same account and check) and not failing.
    pub fixed: Vec<Entry>,
    /// Failing before and now (the message may have changed).
    pub unchanged: Vec<Entry>,
    /// Failing before in accounts or checks the new scan did not cover: neither fixed nor open.
    pub not_rescanned: Vec<Entry>,
    pub controls: Vec<ControlChange>,
    /// Accounts only in one of the scans; non-empty means the scopes differ.
    pub only_old_accounts: Vec<String>,
    pub only_new_accounts: Vec<String>,
}

impl Diff {
    pub fn scopes_differ(&self) -> bool {
        !self.only_old_accounts.is_empty() || !self.only_new_accounts.is_empty()
    }
}

pub fn diff(old: &Snapshot, new: &Snapshot) -> Diff {
    let mut d = Diff {
        new: vec![],
        fixed: vec![],
        unchanged: vec![],
        not_rescanned: vec![],
        controls: vec![],
        only_old_accounts: old.accounts.difference(&new.accounts).cloned().collect(),
        only_new_accounts: new.accounts.difference(&old.accounts).cloned().collect(),
    };
    for (key, e) in &new.failing {
        if old.failing.contains_key(key) {
            d.unchanged.push(e.clone());
        } else {
            d.new.push(e.clone());
        }
    }
    for (key, e) in &old.failing {
        if new.failing.contains_key(key) {
            continue;
        }
        let rescanned = new.accounts.contains(&e.account)
            && new.checks.as_ref().is_none_or(|c| c.contains(&e.check_id));
        if rescanned {
            d.fixed.push(e.clone());
        } else {
            d.not_rescanned.push(e.clone());
        }
    }
    for (id, after) in &new.controls {
        if let Some(before) = old.controls.get(id) {
            if before != after {
                d.controls.push(ControlChange {
                    id: id.clone(),
                    before: *before,
                    after: *after,
                });
            }
        }
    }
    d
}

/// Plain-text rendering for the console.
pub fn render_text(d: &Diff) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if d.scopes_differ() {
        let _ = writeln!(
            out,
            "The scans cover different accounts (only before: {}; only now: {}). Findings in accounts scanned only once are listed as not rescanned or new, not as fixed.",
            if d.only_old_accounts.is_empty() { "none".into() } else { d.only_old_accounts.join(", ") },
            if d.only_new_accounts.is_empty() { "none".into() } else { d.only_new_accounts.join(", ") },
        );
    }
    let _ = writeln!(
        out,
        "{} new, {} fixed, {} unchanged, {} not rescanned; {} control(s) changed status",
        d.new.len(),
        d.fixed.len(),
        d.unchanged.len(),
        d.not_rescanned.len(),
        d.controls.len()
    );
    for (label, list) in [("NEW", &d.new), ("FIXED", &d.fixed)] {
        for e in list {
            let _ = writeln!(
                out,
                "  {label:<6}{:<9}{}  {}",
                e.severity.as_str(),
                e.check_id,
                e.resource_id
            );
        }
    }
    for c in &d.controls {
        let _ = writeln!(
            out,
            "  CONTROL {} {} -> {}",
            c.id,
            c.before.as_str(),
            c.after.as_str()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(check: &str, id: &str, account: &str) -> ((String, String), Entry) {
        (
            (check.into(), id.into()),
            Entry {
                check_id: check.into(),
                resource_id: id.into(),
                account: account.into(),
                severity: Severity::High,
                message: "m".into(),
                accepted: false,
            },
        )
    }

    fn snap(accounts: &[&str], failing: Vec<((String, String), Entry)>) -> Snapshot {
        Snapshot {
            accounts: accounts.iter().map(|s| s.to_string()).collect(),
            checks: Some(["c1", "c2"].iter().map(|s| s.to_string()).collect()),
            failing: failing.into_iter().collect(),
            controls: BTreeMap::new(),
        }
    }

    #[test]
    fn new_fixed_unchanged_and_not_rescanned() {
        let old = snap(
            &["aws/1", "aws/2"],
            vec![
                entry("c1", "a", "aws/1"),
                entry("c1", "b", "aws/1"),
                entry("c2", "z", "aws/2"),
            ],
        );
        let new = snap(
            &["aws/1"],
            vec![entry("c1", "a", "aws/1"), entry("c2", "n", "aws/1")],
        );
        let d = diff(&old, &new);
        assert_eq!(
            d.new
                .iter()
                .map(|e| e.resource_id.as_str())
                .collect::<Vec<_>>(),
            ["n"]
        );
        assert_eq!(
            d.fixed
                .iter()
                .map(|e| e.resource_id.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert_eq!(d.unchanged.len(), 1);
        assert_eq!(
            d.not_rescanned
                .iter()
                .map(|e| e.resource_id.as_str())
                .collect::<Vec<_>>(),
            ["z"]
        );
        assert!(d.scopes_differ());
        assert!(render_text(&d).contains("cover different accounts"));
    }

    #[test]
    fn a_check_not_run_again_does_not_count_as_fixed() {
        let old = snap(&["aws/1"], vec![entry("c3", "a", "aws/1")]);
        let new = snap(&["aws/1"], vec![]);
        let d = diff(&old, &new);
        assert!(d.fixed.is_empty());
        assert_eq!(d.not_rescanned.len(), 1);
    }
}
