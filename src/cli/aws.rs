//! `--regions`, `--role-arn`, `--aggregator` and the other AWS collection flags.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use annexa::collect::aws::{options, AssumeRole, AwsOptions, Regions, RetryMode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RetryModeArg {
    Standard,
    Adaptive,
}

#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// Named profile from the AWS config files (default: the standard credential chain).
    #[arg(long, value_name = "NAME", env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Regions to read: a comma-separated list, or `all` for every region enabled for the account
    /// (default: the profile's or AWS_REGION's region).
    #[arg(
        long,
        value_name = "LIST|all",
        value_delimiter = ',',
        env = "ANNEXA_AWS_REGIONS"
    )]
    pub regions: Vec<String>,
    /// Assume this role in an account and scan it (repeatable: one per account).
    #[arg(
        long = "role-arn",
        value_name = "ARN",
        value_delimiter = ',',
        env = "ANNEXA_AWS_ROLE_ARN"
    )]
    pub role_arn: Vec<String>,
    /// File with one role ARN per line (optionally followed by an external id); `#` comments.
    #[arg(
        long = "accounts-file",
        value_name = "FILE",
        env = "ANNEXA_AWS_ACCOUNTS_FILE"
    )]
    pub accounts_file: Option<PathBuf>,
    /// External id for --role-arn roles (lines of --accounts-file may carry their own).
    #[arg(
        long = "external-id",
        value_name = "ID",
        env = "ANNEXA_AWS_EXTERNAL_ID"
    )]
    pub external_id: Option<String>,
    /// Session name for assumed roles (shows in CloudTrail).
    #[arg(long = "session-name", value_name = "NAME", default_value = "annexa")]
    pub session_name: String,
    /// Read the whole organisation through this AWS Config aggregator.
    #[arg(long, value_name = "NAME", env = "ANNEXA_AWS_AGGREGATOR")]
    pub aggregator: Option<String>,
    /// Region of the aggregator (default: the first of --regions).
    #[arg(
        long = "aggregator-region",
        value_name = "REGION",
        env = "ANNEXA_AWS_AGGREGATOR_REGION"
    )]
    pub aggregator_region: Option<String>,
    /// Send every AWS call to this endpoint (emulators, private endpoints).
    #[arg(long = "endpoint-url", value_name = "URL", env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// At most this many AWS calls in flight.
    #[arg(
        long = "max-concurrency",
        value_name = "N",
        default_value_t = 8,
        env = "ANNEXA_AWS_MAX_CONCURRENCY"
    )]
    pub max_concurrency: usize,
    /// Retry policy for throttled and failed calls.
    #[arg(long = "retry-mode", value_enum, default_value = "standard")]
    pub retry_mode: RetryModeArg,
    /// Attempts per call, the first included.
    #[arg(long = "max-attempts", value_name = "N", default_value_t = 10)]
    pub max_attempts: u32,
}

impl AwsArgs {
    /// annexa.toml `[aws]` fills what neither a flag nor an environment variable set.
    pub fn apply_config(&mut self, c: &annexa::config::AwsSection) {
        if self.regions.is_empty() {
            self.regions = c.regions.clone().unwrap_or_default();
        }
        if self.role_arn.is_empty() {
            self.role_arn = c.role_arns.clone().unwrap_or_default();
        }
        self.profile = self.profile.take().or_else(|| c.profile.clone());
        self.external_id = self.external_id.take().or_else(|| c.external_id.clone());
        self.aggregator = self.aggregator.take().or_else(|| c.aggregator.clone());
        self.aggregator_region = self
            .aggregator_region
            .take()
            .or_else(|| c.aggregator_region.clone());
        self.endpoint_url = self.endpoint_url.take().or_else(|| c.endpoint_url.clone());
    }

    pub fn options(&self) -> anyhow::Result<AwsOptions> {
        let regions = match self.regions.as_slice() {
            [] => Regions::Default,
            [one] if one.eq_ignore_ascii_case("all") => Regions::All,
            list => {
                if list.iter().any(|r| r.eq_ignore_ascii_case("all")) {
                    anyhow::bail!("--regions: `all` cannot be combined with named regions");
                }
                for r in list {
                    let ok = !r.is_empty()
                        && r.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                    if !ok {
                        anyhow::bail!(
                            "--regions: '{r}' is not a region name (for example eu-west-1)"
                        );
                    }
                }
                Regions::List(list.to_vec())
            }
        };
        let mut roles: Vec<AssumeRole> = self
            .role_arn
            .iter()
            .map(|arn| {
                if !arn.starts_with("arn:") || !arn.contains(":role/") {
                    anyhow::bail!("--role-arn: '{arn}' is not a role ARN (arn:aws:iam::<account>:role/<name>)");
                }
                Ok(AssumeRole { role_arn: arn.clone(), external_id: self.external_id.clone() })
            })
            .collect::<anyhow::Result<_>>()?;
        if let Some(path) = &self.accounts_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading --accounts-file {}", path.display()))?;
            let mut from_file = options::parse_accounts_file(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            for r in &mut from_file {
                if r.external_id.is_none() {
                    r.external_id = self.external_id.clone();
                }
            }
            roles.extend(from_file);
        }
        if self.max_concurrency == 0 {
            anyhow::bail!("--max-concurrency must be at least 1");
        }
        if self.max_attempts == 0 {
            anyhow::bail!("--max-attempts must be at least 1");
        }
        if self.aggregator_region.is_some() && self.aggregator.is_none() {
            anyhow::bail!("--aggregator-region needs --aggregator NAME");
        }
        Ok(AwsOptions {
            profile: self.profile.clone(),
            regions,
            roles,
            session_name: self.session_name.clone(),
            aggregator: self.aggregator.clone(),
            aggregator_region: self.aggregator_region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            max_concurrency: self.max_concurrency,
            retry_mode: match self.retry_mode {
                RetryModeArg::Standard => RetryMode::Standard,
                RetryModeArg::Adaptive => RetryMode::Adaptive,
            },
            max_attempts: self.max_attempts,
            ..AwsOptions::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        aws: AwsArgs,
    }

    fn parse(args: &[&str]) -> anyhow::Result<AwsOptions> {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v)?.aws.options()
    }

    #[test]
    fn regions_and_roles() {
        let o = parse(&[
            "--regions",
            "us-east-1,eu-west-1",
            "--role-arn",
            "arn:aws:iam::1:role/A",
            "--external-id",
            "x",
        ])
        .unwrap();
        assert_eq!(
            o.regions,
            Regions::List(vec!["us-east-1".into(), "eu-west-1".into()])
        );
        assert_eq!(o.roles[0].external_id.as_deref(), Some("x"));
        assert_eq!(parse(&["--regions", "all"]).unwrap().regions, Regions::All);
        assert!(parse(&["--regions", "all,eu-west-1"]).is_err());
        assert!(parse(&["--role-arn", "nope"]).is_err());
        assert!(parse(&["--max-concurrency", "0"]).is_err());
        let o = parse(&["--retry-mode", "adaptive", "--max-attempts", "3"]).unwrap();
        assert_eq!((o.retry_mode, o.max_attempts), (RetryMode::Adaptive, 3));
    }
}
