//! What an AWS collection covers and how it talks to AWS. Built by the CLI (`cli::aws`) or by
//! tests; no SDK types, so it can be constructed and compared anywhere.

/// How `--regions` was given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Regions {
    /// The region of the credentials' profile or environment (`AWS_REGION`).
    #[default]
    Default,
    /// `--regions all`: every region enabled for the account. Regions that answer as not
    /// opted in are left out (and said so in progress), not reported as gaps.
    All,
    /// An explicit list; a region that cannot be read is a gap.
    List(Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    #[default]
    Standard,
    /// Client-side rate limiting on top of standard retries: for large organisations.
    Adaptive,
}

/// A role to assume in one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub external_id: Option<String>,
}

/// Static keys, for emulators and tests; a real run uses the standard credential chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub regions: Regions,
    /// Roles to assume, one per account; empty: scan the credentials' own account.
    pub roles: Vec<AssumeRole>,
    pub session_name: String,
    /// Read the organisation through this AWS Config aggregator instead of account by account.
    pub aggregator: Option<String>,
    /// Region the aggregator lives in (default: the first region).
    pub aggregator_region: Option<String>,
    pub endpoint_url: Option<String>,
    pub max_concurrency: usize,
    pub retry_mode: RetryMode,
    pub max_attempts: u32,
    pub credentials: Option<StaticCredentials>,
    /// Upper bound for the IAM credential report to be generated.
    pub credential_report_timeout: std::time::Duration,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            regions: Regions::Default,
            roles: Vec::new(),
            session_name: "annexa".to_string(),
            aggregator: None,
            aggregator_region: None,
            endpoint_url: None,
            max_concurrency: 8,
            retry_mode: RetryMode::Standard,
            // Throttling must not fail a scan that can finish: more attempts than the SDK's 3.
            max_attempts: 10,
            credentials: None,
            credential_report_timeout: std::time::Duration::from_secs(120),
        }
    }
}

/// Commercial regions AWS publishes; `--regions all` tries each and leaves out the ones the
/// account has not opted in to (no EC2 SDK is linked just to call DescribeRegions).
pub const ALL_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

/// Parse an accounts file: one role ARN per line, optionally followed by whitespace and an
/// external id; `#` starts a comment. Errors name the line.
pub fn parse_accounts_file(text: &str) -> Result<Vec<AssumeRole>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let arn = parts.next().unwrap_or_default();
        if !arn.starts_with("arn:") || !arn.contains(":role/") {
            return Err(format!(
                "line {}: '{arn}' is not a role ARN (expected arn:aws:iam::<account>:role/<name> [external-id])",
                i + 1
            ));
        }
        out.push(AssumeRole {
            role_arn: arn.to_string(),
            external_id: parts.next().map(str::to_string),
        });
    }
    Ok(out)
}

/// The account id inside a role ARN.
pub fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_file_lines() {
        let roles = parse_accounts_file(
            "# org\narn:aws:iam::111111111111:role/Audit ext-1\n\narn:aws:iam::222222222222:role/Audit # prod\n",
        )
        .unwrap();
        assert_eq!(roles.len(), 2);
        assert_eq!(roles[0].external_id.as_deref(), Some("ext-1"));
        assert_eq!(roles[1].external_id, None);
        assert_eq!(account_of_arn(&roles[1].role_arn), Some("222222222222"));
        let err = parse_accounts_file("ok\n").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
    }
}
