//! `--subscriptions`, `--management-group`, `--cloud` and the other Azure collection flags.

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};

use annexa::collect::azure::{AzureCloud, AzureOptions, CredentialEnv};

/// Azure's own cloud names, as `az cloud list` spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[allow(clippy::enum_variant_names)]
pub enum CloudArg {
    #[value(name = "AzureCloud")]
    AzureCloud,
    #[value(name = "AzureUSGovernment")]
    AzureUsGovernment,
    #[value(name = "AzureChinaCloud")]
    AzureChinaCloud,
}

/// Azure collection options. Credentials come from the environment, as Azure tools expect:
/// AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH, a PEM
/// file with the private key and the certificate), or AZURE_FEDERATED_TOKEN_FILE
/// (workload identity), a managed identity, or the Azure CLI login (`az login`).
#[derive(Debug, Clone, Args)]
pub struct AzureArgs {
    /// Subscriptions to scan (comma-separated ids); default: every subscription the principal can see.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "ID,ID",
        env = "ANNEXA_AZURE_SUBSCRIPTIONS"
    )]
    pub subscriptions: Vec<String>,
    /// Scan every subscription under this management group.
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "subscriptions",
        env = "ANNEXA_AZURE_MANAGEMENT_GROUP"
    )]
    pub management_group: Option<String>,
    /// The Azure cloud (sets the Resource Manager and sign-in hosts).
    #[arg(long, value_enum, default_value = "AzureCloud", env = "AZURE_CLOUD")]
    pub cloud: CloudArg,
    /// Resource Manager endpoint override (sovereign clouds, proxies, tests).
    #[arg(long, value_name = "URL", env = "ANNEXA_AZURE_ARM_ENDPOINT")]
    pub arm_endpoint: Option<String>,
    /// Entra ID authority host override.
    #[arg(long, value_name = "URL", env = "AZURE_AUTHORITY_HOST")]
    pub authority_host: Option<String>,
    /// Parallel Resource Manager requests.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 8,
        env = "ANNEXA_AZURE_MAX_CONCURRENCY"
    )]
    pub max_concurrency: usize,
}

impl AzureArgs {
    /// annexa.toml `[azure]` fills what neither a flag nor an environment variable set.
    pub fn apply_config(&mut self, c: &annexa::config::AzureSection) -> anyhow::Result<()> {
        if self.subscriptions.is_empty() && self.management_group.is_none() {
            self.subscriptions = c.subscriptions.clone().unwrap_or_default();
            self.management_group = c.management_group.clone();
        }
        if let Some(cloud) = &c.cloud {
            if self.cloud == CloudArg::AzureCloud {
                self.cloud = <CloudArg as clap::ValueEnum>::from_str(cloud, true).map_err(|_| {
                    anyhow::anyhow!("annexa.toml [azure] cloud: unknown cloud '{cloud}' (AzureCloud, AzureUSGovernment, AzureChinaCloud)")
                })?;
            }
        }
        Ok(())
    }

    pub fn options(&self) -> anyhow::Result<AzureOptions> {
        let cloud = match self.cloud {
            CloudArg::AzureCloud => AzureCloud::AzureCloud,
            CloudArg::AzureUsGovernment => AzureCloud::AzureUSGovernment,
            CloudArg::AzureChinaCloud => AzureCloud::AzureChinaCloud,
        };
        let mut opts = AzureOptions::new(cloud, CredentialEnv::from_process());
        for s in &self.subscriptions {
            let s = s.trim();
            if s.is_empty() {
                continue;
            }
            if !is_guid(s) {
                bail!("--subscriptions: '{s}' is not a subscription id (expected a GUID such as 00000000-0000-0000-0000-000000000000)");
            }
            opts.subscriptions.push(s.to_ascii_lowercase());
        }
        opts.management_group = self.management_group.clone();
        if let Some(e) = &self.arm_endpoint {
            opts.arm_endpoint = endpoint("--arm-endpoint", e)?;
        }
        if let Some(a) = &self.authority_host {
            opts.authority_host = endpoint("--authority-host", a)?;
        }
        if self.max_concurrency == 0 {
            bail!("--max-concurrency must be at least 1");
        }
        opts.max_concurrency = self.max_concurrency;
        Ok(opts)
    }
}

fn endpoint(flag: &str, value: &str) -> anyhow::Result<String> {
    let v = value.trim().trim_end_matches('/');
    let scheme_ok = v.starts_with("https://")
        || v.starts_with("http://127.0.0.1")
        || v.starts_with("http://localhost");
    if !scheme_ok {
        bail!("{flag}: '{value}' must be an https:// URL (plain http only for 127.0.0.1 or localhost)");
    }
    url_host(v).with_context(|| format!("{flag}: '{value}' has no host"))?;
    Ok(v.to_string())
}

fn url_host(v: &str) -> Option<&str> {
    v.split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .filter(|h| !h.is_empty())
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        a: AzureArgs,
    }

    #[test]
    fn parses_flags() {
        let t = T::parse_from([
            "t",
            "--subscriptions",
            "AAAAAAAA-0000-0000-0000-000000000000,bbbbbbbb-0000-0000-0000-000000000000",
            "--cloud",
            "AzureUSGovernment",
            "--arm-endpoint",
            "http://127.0.0.1:9/",
            "--max-concurrency",
            "3",
        ]);
        let o = t.a.options().unwrap();
        assert_eq!(o.subscriptions[0], "aaaaaaaa-0000-0000-0000-000000000000");
        assert_eq!(o.cloud, AzureCloud::AzureUSGovernment);
        assert_eq!(o.arm_endpoint, "http://127.0.0.1:9");
        assert_eq!(o.authority_host, "https://login.microsoftonline.us");
        assert_eq!(o.max_concurrency, 3);
        let bad = T::parse_from(["t", "--subscriptions", "nope"]);
        assert!(bad
            .a
            .options()
            .unwrap_err()
            .to_string()
            .contains("not a subscription id"));
        let http = T::parse_from(["t", "--arm-endpoint", "http://example.org"]);
        assert!(http.a.options().is_err());
    }
}
