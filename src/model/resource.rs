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
