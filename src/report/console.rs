//! The console summary: controls by status per Annex A theme, failing findings by severity, the
//! worst findings with their resources, and every gap in the collected data.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::FirstN;
use crate::model::{
    ControlStatus, Finding, FindingStatus, ScanResult, Severity, SuppressionState, Theme,
};

#[derive(Debug, Clone, Copy)]
pub struct ConsoleOptions {
    /// How many failing findings to list.
    pub worst: usize,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        ConsoleOptions { worst: 15 }
    }
}

const STATUSES: [ControlStatus; 5] = [
    ControlStatus::Fail,
    ControlStatus::Error,
    ControlStatus::Pass,
    ControlStatus::NoResources,
    ControlStatus::Manual,
];

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn render(result: &ScanResult, opts: &ConsoleOptions) -> String {
    let mut out = String::new();
    let accounts: Vec<String> = result
        .scope
        .sources
        .iter()
        .map(|s| format!("{} {}", s.provider, s.account))
        .collect();
    let _ = writeln!(
        out,
        "annexa {} · {} · {} resources in {} · {}",
        result.tool.version,
        result.framework,
        result.scope.resource_count,
        if accounts.is_empty() {
            "no account".to_string()
        } else {
            accounts.join(", ")
        },
        result
            .scope
            .inventory_digest
            .get(..19)
            .unwrap_or(&result.scope.inventory_digest),
    );
    let _ = writeln!(out);

    // Controls by status per theme.
    let _ = writeln!(out, "Annex A controls by theme");
    let _ = writeln!(
        out,
        "  {:<16}{:>6}{:>7}{:>6}{:>14}{:>8}{:>7}",
        "theme", "fail", "error", "pass", "no resources", "manual", "total"
    );
    let mut totals = [0usize; 5];
    for theme in Theme::ALL {
        let mut counts = [0usize; 5];
        for c in result.controls.iter().filter(|c| c.theme == theme) {
            let i = STATUSES.iter().position(|s| *s == c.status).unwrap_or(4);
            counts[i] += 1;
        }
        for i in 0..5 {
            totals[i] += counts[i];
        }
        let label = format!("{} {}", theme.clause(), theme.as_str());
        let _ = writeln!(
            out,
            "  {:<16}{:>6}{:>7}{:>6}{:>14}{:>8}{:>7}",
            label,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            counts.iter().sum::<usize>()
        );
    }
    let _ = writeln!(
        out,
        "  {:<16}{:>6}{:>7}{:>6}{:>14}{:>8}{:>7}",
        "all",
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals.iter().sum::<usize>()
    );
    let failing_controls: Vec<&str> = result
        .controls
        .iter()
        .filter(|c| c.status == ControlStatus::Fail)
        .map(|c| c.id.as_str())
        .collect();
    if !failing_controls.is_empty() {
        let _ = writeln!(out, "  failing: {}", failing_controls.join(" "));
    }
    let _ = writeln!(out);

    // Findings by severity, and the worst open ones (one pass; only the few shown are kept).
    let worst_first = |a: &Finding, b: &Finding| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.check_id.cmp(&b.check_id))
            .then_with(|| a.resource_id.cmp(&b.resource_id))
    };
    let mut by_sev: BTreeMap<Severity, (usize, usize)> = BTreeMap::new();
    let mut errors = 0usize;
    let mut open = FirstN::new(opts.worst, worst_first);
    let mut open_count = 0usize;
    for f in result.findings.iter_without_evidence() {
        match f.status {
            FindingStatus::Fail => {
                let e = by_sev.entry(f.severity).or_default();
                if f.accepted.is_some() {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                    open_count += 1;
                    open.push(f);
                }
            }
            FindingStatus::Error => errors += 1,
            _ => {}
        }
    }
    let open = open.into_sorted();
    let passed: u64 = result.stats.values().map(|s| s.pass).sum();
    let _ = writeln!(out, "Failing findings by severity");
    let line: Vec<String> = Severity::ALL
        .iter()
        .map(|s| format!("{} {}", s, by_sev.get(s).map(|c| c.0).unwrap_or(0)))
        .collect();
    let accepted: usize = by_sev.values().map(|c| c.1).sum();
    let _ = writeln!(out, "  {}", line.join("   "));
    let _ = writeln!(
        out,
        "  accepted {accepted}   errors {errors}   passed {passed}"
    );
    let _ = writeln!(out);

    if !open.is_empty() {
        let _ = writeln!(out, "Worst findings ({} of {})", open.len(), open_count);
        for f in open.iter().take(opts.worst) {
            let _ = writeln!(
                out,
                "  {:<9}{}  {}\n           {}",
                f.severity.as_str().to_uppercase(),
                f.check_id,
                truncate(&f.resource_id, 90),
                truncate(&f.message, 110)
            );
        }
        let _ = writeln!(out);
    }

    // Accepted risks that need attention.
    let attention: Vec<_> = result
        .suppressions
        .iter()
        .filter(|s| s.state != SuppressionState::Active)
        .collect();
    if !attention.is_empty() {
        let _ = writeln!(out, "Accepted risks needing attention");
        for s in attention {
            let what = match s.state {
                SuppressionState::Expired => {
                    format!("expired {} ({} findings fail again)", s.expires, s.matched)
                }
                SuppressionState::Stale => "stale: matches no finding".to_string(),
                SuppressionState::Active => unreachable!(),
            };
            let _ = writeln!(
                out,
                "  {:<10}{}  {}  owner {}",
                s.id, s.check, what, s.owner
            );
        }
        let _ = writeln!(out);
    }

    // Gaps.
    if result.errors.is_empty() {
        let _ = writeln!(out, "Collection complete: no gaps.");
    } else {
        let _ = writeln!(
            out,
            "INCOMPLETE: {} gap(s) in the collected data; affected checks report error, never pass",
            result.errors.len()
        );
        for e in &result.errors {
            let _ = writeln!(
                out,
                "  {}: {}: {}",
                e.location(),
                e.kind.as_str(),
                truncate(&e.message, 160)
            );
        }
    }
    out
}
