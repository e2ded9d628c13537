//! The check file as written on disk (docs/check-format.md). Unknown keys are errors; CEL
//! fields keep their byte spans so that expression errors point into the TOML file.

use serde::Deserialize;
use toml::Spanned;

use crate::model::{FindingStatus, Remediation, Severity};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckFile {
    pub title: String,
    pub severity: Severity,
    pub resource_types: Vec<String>,
    #[serde(default)]
    pub scope: CheckScope,
    pub description: String,
    pub risk: String,
    /// The annexa version the check arrived in; a user's own checks may leave it out.
    #[serde(default = "unreleased")]
    pub since: String,
    #[serde(default)]
    pub status: CheckStatus,
    #[serde(default)]
    pub when: Option<Spanned<String>>,
    pub assert: Spanned<String>,
    pub message: Spanned<String>,
    #[serde(default)]
    pub evidence: Vec<String>,
    pub remediation: Remediation,
    #[serde(default)]
    pub params: toml::Table,
    #[serde(default)]
    pub examples: Vec<ExampleFile>,
}

/// Resource checks see one resource; account checks see the account's resources as a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckScope {
    #[default]
    Resource,
    Account,
}

/// A check's lifecycle (as in ruff and clippy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    #[default]
    Stable,
    Preview,
    Deprecated,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Stable => "stable",
            CheckStatus::Preview => "preview",
            CheckStatus::Deprecated => "deprecated",
        }
    }
}

/// One `[[examples]]` entry. Resource scope: `config` (a JSON string or a TOML table) is the
/// resource's `config`; the other resource fields have defaults. Account scope: `resources`
/// is a JSON list of `{type, name, region, tags, config}` objects.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleFile {
    pub name: String,
    pub expect: FindingStatus,
    #[serde(default)]
    pub config: Option<toml::Value>,
    #[serde(default)]
    pub resource_type: Option<String>,
    #[serde(default)]
    pub resource_name: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub tags: Option<toml::Table>,
    #[serde(default)]
    pub resources: Option<toml::Value>,
    /// Parameter overrides for this example only.
    #[serde(default)]
    pub params: Option<toml::Table>,
}

/// TOML value -> JSON (TOML datetimes become their RFC 3339 string).
pub fn toml_to_json(v: &toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => J::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(a) => J::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => J::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

fn unreleased() -> String {
    "unreleased".to_string()
}
