use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The cloud a resource or error comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Azure,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Azure => "azure",
        }
    }

    /// The provider a check id belongs to (`aws.s3.x` -> Aws).
    pub fn of_check_id(id: &str) -> Option<Provider> {
        match id.split('.').next() {
            Some("aws") => Some(Provider::Aws),
            Some("azure") => Some(Provider::Azure),
            _ => None,
        }
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Provider {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "aws" => Ok(Provider::Aws),
            "azure" => Ok(Provider::Azure),
            other => Err(format!(
                "unknown provider '{other}' (expected aws or azure)"
            )),
        }
    }
}

/// One cloud resource as collected, normalised once at collection (see DESIGN.md, Resources).
///
/// AWS: `resource_type` is the AWS Config type (`AWS::S3::Bucket`), `id` the ARN (or the Config
/// resource id where none exists), `config` = `{configuration, supplementaryConfiguration}` with
/// JSON-in-a-string values decoded. Azure: `resource_type` is the lower-cased ARM type, `id` the
/// lower-cased ARM id, `config` = `{properties, sku, kind, identity}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub provider: Provider,
    /// AWS account id or Azure subscription id.
    pub account: String,
    /// AWS region (`global` for IAM), Azure location (`global` where none).
    pub region: String,
    pub resource_type: String,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub config: serde_json::Value,
}

/// The key of an account in per-account maps: `aws/123456789012`, `azure/<subscription>`.
/// Azure subscription ids are case-insensitive, so they are lower-cased.
pub fn account_key(provider: Provider, account: &str) -> String {
    match provider {
        Provider::Aws => format!("aws/{account}"),
        Provider::Azure => format!("azure/{}", account.to_ascii_lowercase()),
    }
}

/// What one collection covered: a provider account with its regions and the principal used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub provider: Provider,
    pub account: String,
    #[serde(default)]
    pub regions: Vec<String>,
    /// The credentials' principal (ARN, object id), or how they were obtained.
    #[serde(default)]
    pub principal: Option<String>,
}

/// Why data could not be read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    AccessDenied,
    Throttled,
    Unavailable,
    InvalidResponse,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::InvalidResponse => "invalid_response",
        }
    }
}

/// Types that belong to no region: IAM is global (its items say `global`) and the account's S3
/// public access block is one account-wide setting, so a gap in one region's data never hides
/// them.
pub fn is_global_type(provider: Provider, resource_type: &str) -> bool {
    provider == Provider::Aws
        && (resource_type.starts_with("AWS::IAM::")
            || resource_type == "AWS::S3::AccountPublicAccessBlock")
}

/// A gap in the collected data. Checks that read the affected resource types report `error`
/// for the affected account (and region), never `pass`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionError {
    pub provider: Provider,
    pub account: String,
    /// None: every region of the account is affected.
    #[serde(default)]
    pub region: Option<String>,
    /// The resource type that is missing, if the gap is limited to one type.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The API call that failed (`config:SelectResourceConfig`, `GET .../pricings`).
    #[serde(default)]
    pub api: Option<String>,
    pub kind: ErrorKind,
    pub message: String,
}

impl CollectionError {
    /// Does this gap hide resources of `resource_type` in `account` / `region`?
    /// An error without a resource type covers every type; without a region, every region.
    pub fn covers(
        &self,
        provider: Provider,
        account: &str,
        region: Option<&str>,
        resource_type: &str,
    ) -> bool {
        if self.region.is_some() && is_global_type(provider, resource_type) {
            return false;
        }
        // "Config is not set up in this region" was learned by reading the region's recorder
        // status, which the collector reports: the gap hides the recorded types, not the status.
        if self.kind == ErrorKind::Unavailable && resource_type == "AWS::Config::RecorderStatus" {
            return false;
        }
        self.provider == provider
            && self.account == account
            && match (&self.region, region) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => true,
            }
            && self
                .resource_type
                .as_deref()
                .is_none_or(|t| t.eq_ignore_ascii_case(resource_type))
    }

    /// One line for consoles and logs: where, what, why.
    pub fn location(&self) -> String {
        let mut s = format!("{}/{}", self.provider, self.account);
        if let Some(r) = &self.region {
            s.push('/');
            s.push_str(r);
        }
        if let Some(t) = &self.resource_type {
            s.push(' ');
            s.push_str(t);
        }
        if let Some(a) = &self.api {
            s.push_str(" (");
            s.push_str(a);
            s.push(')');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regional_gap_hides_regional_types_but_not_global_ones() {
        let e = CollectionError {
            provider: Provider::Aws,
            account: "1".into(),
            region: Some("eu-west-1".into()),
            resource_type: None,
            api: Some("config:DescribeConfigurationRecorders".into()),
            kind: ErrorKind::Unavailable,
            message: "not set up".into(),
        };
        assert!(e.covers(Provider::Aws, "1", Some("eu-west-1"), "AWS::S3::Bucket"));
        assert!(
            e.covers(Provider::Aws, "1", None, "AWS::CloudTrail::Trail"),
            "account-wide facts include the region"
        );
        assert!(!e.covers(Provider::Aws, "1", Some("us-east-1"), "AWS::S3::Bucket"));
        assert!(!e.covers(Provider::Aws, "1", None, "AWS::IAM::AccountSummary"));
        assert!(!e.covers(Provider::Aws, "2", None, "AWS::S3::Bucket"));
        assert!(!e.covers(
            Provider::Aws,
            "1",
            None,
            "AWS::S3::AccountPublicAccessBlock"
        ));
        assert!(
            !e.covers(
                Provider::Aws,
                "1",
                Some("eu-west-1"),
                "AWS::Config::RecorderStatus"
            ),
            "Config not set up is itself read"
        );
        let denied = CollectionError {
            kind: ErrorKind::AccessDenied,
            ..e.clone()
        };
        assert!(denied.covers(
            Provider::Aws,
            "1",
            Some("eu-west-1"),
            "AWS::Config::RecorderStatus"
        ));
        let everywhere = CollectionError { region: None, ..e };
        assert!(
            everywhere.covers(Provider::Aws, "1", None, "AWS::IAM::User"),
            "an account-wide gap hides IAM too"
        );
    }
}
