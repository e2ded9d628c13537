//! ScanResult values for report tests: the hostile fixture and a large generated estate.
//! Shared by `tests/offline` and `tests/browser.rs` through `#[path]`.
#![allow(dead_code)]

use std::path::PathBuf;

use annexa::model::{
    CheckStats, ControlStatus, Evidence, Finding, FindingStatus, ScanResult, Severity,
};

pub const HOSTILE: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</script><script>",
];

pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `fixtures/results/hostile.json`: every cloud string carries markup and script.
pub fn hostile() -> ScanResult {
    let path = fixture_path("fixtures/results/hostile.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The hostile fixture's checks and controls with `n` generated failing findings spread over
/// three accounts, four regions and every check, with stats and control statuses recomputed.
pub fn big(n: usize) -> ScanResult {
    let mut result = hostile();
    let accounts = [
        "111122223333",
        "444455556666",
        "00000000-0000-0000-0000-0000000000aa",
    ];
    let regions = ["eu-west-1", "eu-central-1", "us-east-1", "westeurope"];
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];
    let checks = result.checks.clone();
    let mut findings: Vec<Finding> = (0..n)
        .map(|i| {
            let check = &checks[i % checks.len()];
            let account = accounts[i % accounts.len()].to_string();
            let region = regions[(i / 7) % regions.len()].to_string();
            let name = format!("{}-{:05}", check.service, i);
            let id = match check.provider {
                annexa::model::Provider::Aws => format!(
                    "arn:aws:{}:{region}:{account}:resource/{name}",
                    check.service
                ),
                annexa::model::Provider::Azure => format!(
                    "/subscriptions/{account}/resourcegroups/rg-{}/providers/{}/{name}",
                    i % 40,
                    check.resource_types[0]
                ),
            };
            Finding {
                check_id: check.id.clone(),
                status: FindingStatus::Fail,
                severity: severities[(i / 3) % severities.len()],
                provider: check.provider,
                account,
                region,
                resource_type: check.resource_types[0].clone(),
                resource_id: id,
                resource_name: name.clone(),
                message: format!("{name} does not meet '{}'", check.title),
                evidence: vec![Evidence {
                    path: "config.properties.setting".into(),
                    value: serde_json::Value::Bool(false),
                }],
                accepted: None,
            }
        })
        .collect();
    findings.sort_by(|a, b| {
        a.check_id
            .cmp(&b.check_id)
            .then(a.resource_id.cmp(&b.resource_id))
    });
    result.stats = checks
        .iter()
        .map(|c| {
            let fail = findings.iter().filter(|f| f.check_id == c.id).count() as u64;
            (
                c.id.clone(),
                CheckStats {
                    fail,
                    ..CheckStats::default()
                },
            )
        })
        .collect();
    for control in &mut result.controls {
        let mut total = CheckStats::default();
        for cc in &mut control.checks {
            cc.stats = result.stats.get(&cc.check_id).copied().unwrap_or_default();
            total.add(&cc.stats);
        }
        control.stats = total;
        if total.fail > 0 {
            control.status = ControlStatus::Fail;
        }
    }
    result.findings = findings.into();
    result.suppressions.clear();
    result.scope.resource_count = n as u64;
    result
}
