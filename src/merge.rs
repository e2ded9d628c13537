//! Merging sharded scans (one CI job per account group or subscription) into one `ScanResult`.
//!
//! Each account is taken whole from the newest scan that covered it (latest `finished_at`, then
//! the larger inventory digest, so the choice is a total order): its findings, counts, errors and
//! source. Counts are therefore never doubled, and merging is associative, commutative and
//! idempotent. Control results are assessed again from the merged counts.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest as _, Sha256};

use crate::model::{
    account_key, AccountScope, CheckInfo, CheckStats, ControlResult, Finding, Findings,
    FindingsBuilder, ScanResult, Scope, Source, SuppressionReport, SuppressionState, ToolInfo,
};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge: give at least one results file")]
    Empty,
    #[error("{0} was assessed against framework '{1}' but the others against '{2}'; merge results of one framework")]
    Framework(String, String, String),
}

/// A framework's control assessment: per-check counts and the checks evaluated -> controls.
pub type Assess<'a> =
    dyn Fn(&BTreeMap<String, CheckStats>, &BTreeSet<String>) -> Vec<ControlResult> + 'a;

/// `inputs` are (origin, result) pairs; `assess` is the framework's control assessment.
pub fn merge(
    inputs: &[(String, ScanResult)],
    assess: &Assess<'_>,
) -> Result<ScanResult, MergeError> {
    let (first_origin, first) = inputs.first().ok_or(MergeError::Empty)?;
    for (origin, r) in inputs {
        if r.framework != first.framework {
            return Err(MergeError::Framework(
                origin.clone(),
                r.framework.clone(),
                first.framework.clone(),
            ));
        }
    }
    let _ = first_origin;

    // The newest scan of each account wins.
    let mut chosen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (_, r)) in inputs.iter().enumerate() {
        for (key, a) in &r.scope.accounts {
            let better = match chosen.get(key) {
                None => true,
                Some(&j) => {
                    let b = &inputs[j].1.scope.accounts[key];
                    (&a.finished_at, &a.inventory_digest) > (&b.finished_at, &b.inventory_digest)
                }
            };
            if better {
                chosen.insert(key.clone(), i);
            }
        }
    }

    let mut accounts: BTreeMap<String, AccountScope> = BTreeMap::new();
    let mut sources: Vec<Source> = Vec::new();
    let mut findings = FindingsBuilder::new();
    let mut errors = Vec::new();
    for (key, &i) in &chosen {
        let r = &inputs[i].1;
        accounts.insert(key.clone(), r.scope.accounts[key].clone());
        sources.extend(
            r.scope
                .sources
                .iter()
                .filter(|s| &account_key(s.provider, &s.account) == key)
                .cloned(),
        );
        errors.extend(
            r.errors
                .iter()
                .filter(|e| &account_key(e.provider, &e.account) == key)
                .cloned(),
        );
    }
    // Each input's findings in one pass (they are decoded on every pass): those of the accounts
    // it was chosen for.
    for (i, (_, r)) in inputs.iter().enumerate() {
        if !chosen.values().any(|&c| c == i) {
            continue;
        }
        for f in r.findings.iter() {
            if chosen.get(&f.account_key()) == Some(&i) {
                findings.push(f);
            }
        }
    }
    sources.sort();
    sources.dedup();
    let findings = dedup(findings.finish());
    errors.sort();
    errors.dedup();

    // Check metadata: union by id, the newest scan's version of each.
    let mut order: Vec<usize> = (0..inputs.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&inputs[a].1.scope, &inputs[b].1.scope);
        (&x.finished_at, &x.inventory_digest).cmp(&(&y.finished_at, &y.inventory_digest))
    });
    let mut checks: BTreeMap<String, CheckInfo> = BTreeMap::new();
    for &i in &order {
        for c in &inputs[i].1.checks {
            checks.insert(c.id.clone(), c.clone());
        }
    }

    let mut stats: BTreeMap<String, CheckStats> = checks
        .keys()
        .map(|k| (k.clone(), CheckStats::default()))
        .collect();
    let mut unchecked_types: BTreeMap<String, u64> = BTreeMap::new();
    for a in accounts.values() {
        for (check, s) in &a.stats {
            stats.entry(check.clone()).or_default().add(s);
        }
        for (t, n) in &a.unchecked_types {
            *unchecked_types.entry(t.clone()).or_default() += n;
        }
    }
    let evaluated: BTreeSet<String> = checks.keys().cloned().collect();
    let controls = assess(&stats, &evaluated);

    let digests: BTreeSet<&str> = accounts
        .values()
        .map(|a| a.inventory_digest.as_str())
        .collect();
    let mut h = Sha256::new();
    for d in &digests {
        h.update(d.as_bytes());
        h.update(b"\n");
    }
    let scope = Scope {
        sources,
        started_at: inputs
            .iter()
            .map(|(_, r)| r.scope.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: inputs
            .iter()
            .map(|(_, r)| r.scope.finished_at.clone())
            .max()
            .unwrap_or_default(),
        collected_at: inputs
            .iter()
            .filter_map(|(_, r)| r.scope.collected_at.clone())
            .min(),
        inventory_digest: if digests.len() == 1 {
            digests.iter().next().unwrap().to_string()
        } else {
            format!("sha256:{}", hex::encode(h.finalize()))
        },
        resource_count: accounts.values().map(|a| a.resource_count).sum(),
        unchecked_types,
        accounts,
    };

    Ok(ScanResult {
        format: first.format.clone(),
        version: first.version,
        tool: ToolInfo::default(),
        framework: first.framework.clone(),
        scope,
        checks: checks.into_values().collect(),
        stats,
        suppressions: merge_suppressions(inputs, &findings),
        findings,
        controls,
        errors,
    })
}

/// Sorted findings without repeats (a finding that stands twice in a row), still sorted.
fn dedup(sorted: Findings) -> Findings {
    let mut last: Option<Finding> = None;
    Findings::from_sorted(sorted.iter().filter(|f| {
        let repeat = last.as_ref() == Some(f);
        if !repeat {
            last = Some(f.clone());
        }
        !repeat
    }))
}

fn merge_suppressions(
    inputs: &[(String, ScanResult)],
    findings: &Findings,
) -> Vec<SuppressionReport> {
    let mut accepted_by_id: BTreeMap<String, u64> = BTreeMap::new();
    for f in findings.iter_without_evidence() {
        if let Some(a) = f.accepted {
            *accepted_by_id.entry(a.id).or_default() += 1;
        }
    }
    let mut by_id: BTreeMap<String, SuppressionReport> = BTreeMap::new();
    for (_, r) in inputs {
        for s in &r.suppressions {
            let e = by_id.entry(s.id.clone()).or_insert_with(|| s.clone());
            if s.state == SuppressionState::Expired {
                e.state = SuppressionState::Expired;
            }
            e.matched = e.matched.max(s.matched);
            let mut controls: BTreeSet<String> = e.controls.iter().cloned().collect();
            controls.extend(s.controls.iter().cloned());
            e.controls = controls.into_iter().collect();
        }
    }
    for s in by_id.values_mut() {
        if s.state == SuppressionState::Expired {
            continue;
        }
        let accepted = accepted_by_id.get(&s.id).copied().unwrap_or(0);
        s.matched = accepted;
        s.state = if accepted > 0 {
            SuppressionState::Active
        } else {
            SuppressionState::Stale
        };
    }
    by_id.into_values().collect()
}
