//! annexa.toml: scan defaults, check selection, parameter overrides and accepted risks.
//!
//! Precedence, highest first: command-line flag, `ANNEXA_*` environment variable, annexa.toml,
//! built-in default. Clap resolves the first two; `Config` supplies the third. The file is found
//! in the working directory or given with `--config`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::suppress::{self, RawSuppression, Suppression, SuppressionError};

pub const FILE_NAME: &str = "annexa.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}\n(see `annexa init` for a commented example of every setting)")]
    Parse { path: String, message: String },
    #[error(transparent)]
    Suppression(#[from] SuppressionError),
}

/// `[scan]`: defaults for `annexa scan` flags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    pub format: Option<Vec<String>>,
    pub output_dir: Option<PathBuf>,
    pub fail_on: Option<String>,
    pub fail_on_control: Option<Vec<String>>,
    pub fail_on_new: Option<bool>,
    pub baseline: Option<PathBuf>,
    /// Check id patterns to run (`aws.s3.*`); all when empty.
    pub checks: Option<Vec<String>>,
    /// Check id patterns to leave out.
    pub exclude: Option<Vec<String>>,
    /// Directories of your own checks.
    pub check_dirs: Option<Vec<PathBuf>>,
    pub include_passing: Option<bool>,
    pub sarif_category: Option<String>,
    pub sarif_profile: Option<String>,
    /// A separate accepted-risks file with `[[suppressions]]` entries.
    pub suppressions_file: Option<PathBuf>,
}

/// `[aws]`: collection defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSection {
    pub regions: Option<Vec<String>>,
    pub profile: Option<String>,
    pub role_arns: Option<Vec<String>>,
    pub external_id: Option<String>,
    pub aggregator: Option<String>,
    pub aggregator_region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// `[azure]`: collection defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureSection {
    pub subscriptions: Option<Vec<String>>,
    pub management_group: Option<String>,
    pub cloud: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    scan: ScanSection,
    #[serde(default)]
    aws: AwsSection,
    #[serde(default)]
    azure: AzureSection,
    #[serde(default)]
    params: BTreeMap<String, toml::Table>,
    #[serde(default)]
    suppressions: Vec<RawSuppression>,
}

/// A loaded, validated configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it came from (None: no file, built-in defaults).
    pub path: Option<PathBuf>,
    pub scan: ScanSection,
    pub aws: AwsSection,
    pub azure: AzureSection,
    /// `[params."<check id>"]` overrides.
    pub params: BTreeMap<String, toml::Table>,
    pub suppressions: Vec<Suppression>,
}

impl Config {
    /// `explicit` (from `--config` / `ANNEXA_CONFIG`) must exist; otherwise `./annexa.toml` is
    /// used when present.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
        match explicit {
            Some(p) => Config::load(p),
            None => {
                let p = cwd.join(FILE_NAME);
                if p.is_file() {
                    Config::load(&p)
                } else {
                    Ok(Config::default())
                }
            }
        }
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let mut config = Config::parse(&text, &shown)?;
        config.path = Some(path.to_path_buf());
        // A separate suppressions file is relative to the config file.
        if let Some(file) = config.scan.suppressions_file.clone() {
            let file = path.parent().unwrap_or(Path::new(".")).join(file);
            config.suppressions.extend(load_suppressions(&file)?);
        }
        Ok(config)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        let suppressions = suppress::validate(&raw.suppressions, text, origin)?;
        Ok(Config {
            path: None,
            scan: raw.scan,
            aws: raw.aws,
            azure: raw.azure,
            params: raw.params,
            suppressions,
        })
    }
}

/// Read a standalone accepted-risks file.
pub fn load_suppressions(path: &Path) -> Result<Vec<Suppression>, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    Ok(suppress::parse_file(&text, &shown)?)
}

/// The commented starter file `annexa init` writes. Kept parseable by a test.
pub const STARTER: &str = r#"# annexa.toml: settings for `annexa scan`, read from the working directory (or --config FILE).
# Precedence: command-line flag > ANNEXA_* environment variable > this file > built-in default.

[scan]
# Output formats: console, json, sarif, html, soa.
format = ["console", "json", "sarif", "html"]
output_dir = "annexa-results"
# Exit 1 when an unaccepted failing finding is at or above this severity
# (critical, high, medium, low, none).
fail_on = "high"
# Exit 1 when any of these Annex A controls fails.
# fail_on_control = ["A.8.24", "A.5.15"]
# Only findings that are new since this earlier results.json (or SARIF) count for the gates above.
# baseline = "previous/results.json"
# fail_on_new = true
# Which checks run: id patterns (all when unset), and which to leave out.
# checks = ["aws.*", "azure.*"]
# exclude = ["aws.s3.bucket-versioning-enabled"]
# Your own check files, loaded beside the built-in ones.
# check_dirs = ["checks"]
# Keep passing findings in results.json (they are always counted).
# include_passing = false
# sarif_category = "aws-prod"
# sarif_profile = "github"   # or "full": accepted risks included as suppressed results
# suppressions_file = "accepted-risks.toml"

[aws]
# regions = ["us-east-1", "eu-west-1"]   # or ["all"]
# profile = "audit"
# role_arns = ["arn:aws:iam::111111111111:role/annexa-read"]
# aggregator = "org-aggregator"

[azure]
# subscriptions = ["00000000-0000-0000-0000-000000000000"]
# management_group = "contoso"
# cloud = "AzureCloud"

# Baselines: override a check's parameters (`annexa checks show ID` lists them).
# [params."aws.iam.password-policy-strong"]
# min_length = 16

# Accepted risks: every entry needs a reason, an owner and an expiry date (YYYY-MM-DD, the last
# day it holds). Expired entries stop suppressing; entries that match nothing are reported stale.
# [[suppressions]]
# id = "RISK-42"
# check = "aws.s3.bucket-public-access-blocked"
# resource = "arn:aws:s3:::www-example-*"
# account = "123456789012"
# reason = "Public static website; reviewed by the ISMS board"
# owner = "alice@example.com"
# expires = 2027-03-31
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_parses_and_every_commented_line_would_too() {
        let c = Config::parse(STARTER, "annexa.toml").unwrap();
        assert_eq!(c.scan.fail_on.as_deref(), Some("high"));
        // Uncomment everything: it must still be a valid file.
        let all: String = STARTER
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| r.contains(" = ") || r.starts_with('['))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = Config::parse(&all, "annexa.toml").unwrap();
        assert_eq!(c.suppressions.len(), 1);
        assert_eq!(
            c.params["aws.iam.password-policy-strong"]["min_length"].as_integer(),
            Some(16)
        );
        assert_eq!(c.aws.aggregator.as_deref(), Some("org-aggregator"));
    }

    #[test]
    fn unknown_field_names_file_and_line() {
        let e = Config::parse(
            "[scan]\nfail_on = 'high'\nfial_on_new = true\n",
            "annexa.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("annexa.toml: TOML parse error at line 3"),
            "{e}"
        );
        assert!(e.contains("fial_on_new"), "{e}");
    }

    #[test]
    fn bad_suppression_in_config_names_line() {
        let e = Config::parse(
            "[[suppressions]]\ncheck='a'\nresource='*'\nreason='r'\nowner='o'\nexpires='soon'\n",
            "annexa.toml",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "annexa.toml:6: suppression expires: 'soon' is not a date; write YYYY-MM-DD"
        );
    }

    #[test]
    fn discover_uses_cwd_file_only_when_present() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Config::discover(None, dir.path()).unwrap().path.is_none());
        std::fs::write(dir.path().join(FILE_NAME), "[scan]\nfail_on='low'\n").unwrap();
        let c = Config::discover(None, dir.path()).unwrap();
        assert_eq!(c.scan.fail_on.as_deref(), Some("low"));
        let e = Config::discover(Some(&dir.path().join("missing.toml")), dir.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("missing.toml: cannot read"), "{e}");
    }
}
