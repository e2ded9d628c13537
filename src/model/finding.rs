use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Provider;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub's `security-severity` score; None for info (GitHub wants it omitted).
    pub fn security_severity(self) -> Option<&'static str> {
        match self {
            Severity::Critical => Some("9.5"),
            Severity::High => Some("8.0"),
            Severity::Medium => Some("5.5"),
            Severity::Low => Some("2.0"),
            Severity::Info => None,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            "low" => Ok(Severity::Low),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity '{other}' (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// The outcome of one check on one resource (or one account, for account-scope checks).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Pass,
    Fail,
    /// The data the check needs was not collected or could not be read. Never a pass.
    Error,
    NotApplicable,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Pass => "pass",
            FindingStatus::Fail => "fail",
            FindingStatus::Error => "error",
            FindingStatus::NotApplicable => "not_applicable",
        }
    }
}

/// A configuration value behind a verdict: where it is and what it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// Dotted path into the resource, e.g. `config.supplementaryConfiguration.PublicAccessBlockConfiguration`.
    pub path: String,
    /// The value found there; null when the path is absent.
    pub value: serde_json::Value,
}

/// An accepted risk applied to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptedRisk {
    /// The suppression entry's id (its position or name in the suppressions file).
    pub id: String,
    pub reason: String,
    pub owner: String,
    /// ISO date (YYYY-MM-DD) after which the acceptance ends.
    pub expires: String,
}

/// One check's verdict on one resource. Findings are sorted by check id, then resource id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub check_id: String,
    pub status: FindingStatus,
    pub severity: Severity,
    pub provider: Provider,
    pub account: String,
    pub region: String,
    pub resource_type: String,
    /// ARN / Azure id; for account-scope checks and data gaps a scope id such as
    /// `aws/123456789012` or `aws/123456789012/eu-west-1/AWS::S3::Bucket`.
    pub resource_id: String,
    pub resource_name: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
    /// Set when an unexpired suppression accepts this failing finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted: Option<AcceptedRisk>,
}

impl Finding {
    /// Failing and not accepted: what gates and dashboards count.
    pub fn is_open_failure(&self) -> bool {
        self.status == FindingStatus::Fail && self.accepted.is_none()
    }

    /// The identity of a finding across scans: check and canonical resource id.
    pub fn key(&self) -> (String, String) {
        (
            self.check_id.clone(),
            canonical_resource_id(self.provider, &self.resource_id),
        )
    }
}

/// Azure ids are case-insensitive: compare and fingerprint them lower-cased.
pub fn canonical_resource_id(provider: Provider, id: &str) -> String {
    match provider {
        Provider::Azure => id.to_ascii_lowercase(),
        Provider::Aws => id.to_string(),
    }
}
