use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{CollectionError, Finding, Findings, Provider, Severity, Source};

/// `format` field of results.json; the schema lives in `schemas/results.v1.schema.json`.
pub const RESULTS_FORMAT: &str = "annexa-results";
/// Bumped on any incompatible change of ScanResult.
pub const RESULTS_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "annexa".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// What was scanned, when, and from which data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub sources: Vec<Source>,
    /// RFC 3339 times.
    pub started_at: String,
    pub finished_at: String,
    /// When the evaluated inventory was collected (earliest, if merged).
    #[serde(default)]
    pub collected_at: Option<String>,
    /// `sha256:` digest of the evaluated resources in canonical order (see inventory module).
    pub inventory_digest: String,
    pub resource_count: u64,
    /// Resources whose type no selected check reads, by type: counted, not an error.
    #[serde(default)]
    pub unchecked_types: BTreeMap<String, u64>,
    /// The same facts per account (`aws/123456789012`, `azure/<subscription>`), so that sharded
    /// scans merge without double counting: `annexa merge` keeps the newest scan of each account.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountScope>,
}

/// What one scan saw of one account.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountScope {
    /// When the scan that produced this account's data finished (RFC 3339).
    pub finished_at: String,
    /// Digest of the inventory that scan evaluated.
    pub inventory_digest: String,
    pub resource_count: u64,
    #[serde(default)]
    pub unchecked_types: BTreeMap<String, u64>,
    /// Per-check counts for this account.
    #[serde(default)]
    pub stats: BTreeMap<String, CheckStats>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Remediation {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
}

/// What a report needs to know about a check, carried in the result so that reports can be
/// rendered again from results.json without the check files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInfo {
    pub id: String,
    pub provider: Provider,
    pub service: String,
    /// Describes the passing state.
    pub title: String,
    pub severity: Severity,
    pub resource_types: Vec<String>,
    pub description: String,
    pub risk: String,
    pub remediation: Remediation,
    /// Annex A control ids this check is mapped to (from the mapping, never the check file).
    #[serde(default)]
    pub controls: Vec<String>,
    /// Effective parameter values used in this scan.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, serde_json::Value>,
}

/// Per-check counts over the whole scan (pass and not_applicable findings are counted here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckStats {
    pub pass: u64,
    pub fail: u64,
    pub error: u64,
    pub not_applicable: u64,
    /// Failing findings accepted by a suppression (also counted in `fail`).
    pub accepted: u64,
}

impl CheckStats {
    pub fn add(&mut self, other: &CheckStats) {
        self.pass += other.pass;
        self.fail += other.fail;
        self.error += other.error;
        self.not_applicable += other.not_applicable;
        self.accepted += other.accepted;
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Organizational,
    People,
    Physical,
    Technological,
}

impl Theme {
    pub const ALL: [Theme; 4] = [
        Theme::Organizational,
        Theme::People,
        Theme::Physical,
        Theme::Technological,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Organizational => "organizational",
            Theme::People => "people",
            Theme::Physical => "physical",
            Theme::Technological => "technological",
        }
    }
    /// Annex A clause number: 5 organizational, 6 people, 7 physical, 8 technological.
    pub fn clause(self) -> u8 {
        match self {
            Theme::Organizational => 5,
            Theme::People => 6,
            Theme::Physical => 7,
            Theme::Technological => 8,
        }
    }
}

/// How far a control can be judged from cloud configuration.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Automation {
    /// Cloud configuration shows whether the control is met.
    Automated,
    /// Configuration shows part of it; people and process do the rest.
    Partial,
    /// Nothing in cloud configuration shows it.
    Manual,
    /// The cloud provider carries it (shared responsibility), e.g. physical security.
    Provider,
}

impl Automation {
    pub fn as_str(self) -> &'static str {
        match self {
            Automation::Automated => "automated",
            Automation::Partial => "partial",
            Automation::Manual => "manual",
            Automation::Provider => "provider",
        }
    }
}

/// How strongly a check shows that a control is met.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Strength {
    Direct,
    Partial,
    Supporting,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    Fail,
    Error,
    Pass,
    NoResources,
    Manual,
}

impl ControlStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ControlStatus::Fail => "fail",
            ControlStatus::Error => "error",
            ControlStatus::Pass => "pass",
            ControlStatus::NoResources => "no_resources",
            ControlStatus::Manual => "manual",
        }
    }
}

/// One mapped check as seen from a control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlCheck {
    pub check_id: String,
    pub strength: Strength,
    pub reason: String,
    /// False when the check is mapped but was not selected or loaded in this scan.
    pub evaluated: bool,
    pub stats: CheckStats,
}

/// The assessment of one Annex A control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlResult {
    /// `A.5.15`
    pub id: String,
    pub title: String,
    pub theme: Theme,
    pub automation: Automation,
    pub rationale: String,
    pub status: ControlStatus,
    pub checks: Vec<ControlCheck>,
    pub stats: CheckStats,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionState {
    /// In force and matched at least one failing finding.
    Active,
    /// Past its expiry date: it no longer suppresses.
    Expired,
    /// In force but matched no finding in this scan.
    Stale,
}

/// An accepted-risk entry as applied in this scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionReport {
    pub id: String,
    pub check: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: String,
    pub state: SuppressionState,
    pub matched: u64,
    /// Controls whose checks this entry accepted failures of.
    #[serde(default)]
    pub controls: Vec<String>,
}

/// Everything a scan produced; reporters are pure functions of it. Serialised as results.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanResult {
    /// Always `annexa-results`.
    pub format: String,
    /// Always 1 for this layout.
    pub version: u32,
    pub tool: ToolInfo,
    /// The framework the controls were assessed against (`iso27001-2022`).
    pub framework: String,
    pub scope: Scope,
    /// The checks that were evaluated, sorted by id.
    pub checks: Vec<CheckInfo>,
    /// Per-check counts over the whole scan, keyed by check id (the sum over `scope.accounts`).
    pub stats: BTreeMap<String, CheckStats>,
    /// Failing and erroring findings (and passing ones with `--include-passing`), sorted by
    /// check id then resource id. Passing and not-applicable verdicts are always counted in `stats`.
    // Held compressed in memory (see `Findings`); serialised as a plain array.
    #[schemars(with = "Vec<Finding>")]
    pub findings: Findings,
    /// One result per control of the framework, in the framework's order.
    pub controls: Vec<ControlResult>,
    pub errors: Vec<CollectionError>,
    #[serde(default)]
    pub suppressions: Vec<SuppressionReport>,
}

impl ScanResult {
    pub fn check(&self, id: &str) -> Option<&CheckInfo> {
        self.checks
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.checks[i])
    }

    /// True when collection left gaps.
    pub fn is_incomplete(&self) -> bool {
        !self.errors.is_empty()
    }
}
