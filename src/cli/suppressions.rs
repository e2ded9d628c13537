//! `annexa suppressions list`: the accepted risks in force, expired or stale.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::Args;

use annexa::model::SuppressionState;

use super::exit;
use super::setup::parse_now;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Configuration file [default: ./annexa.toml].
    #[arg(long, value_name = "FILE", env = "ANNEXA_CONFIG")]
    pub config: Option<PathBuf>,
    /// An accepted-risks file besides annexa.toml's entries.
    #[arg(long, value_name = "FILE", env = "ANNEXA_SUPPRESSIONS")]
    pub suppressions: Option<PathBuf>,
    /// Only entries past their expiry date.
    #[arg(long, conflicts_with = "stale")]
    pub expired: bool,
    /// Only entries that matched no finding in the given results (needs --results).
    #[arg(long)]
    pub stale: bool,
    /// A results.json whose scan tells which entries matched (active) and which did not (stale).
    #[arg(long, value_name = "FILE")]
    pub results: Option<PathBuf>,
    #[arg(long, env = "ANNEXA_NOW", hide = true)]
    pub now: Option<String>,
}

pub fn list(args: ListArgs) -> Result<i32> {
    let config =
        annexa::config::Config::discover(args.config.as_deref(), &std::env::current_dir()?)?;
    let mut entries = config.suppressions.clone();
    if let Some(f) = &args.suppressions {
        entries.extend(annexa::config::load_suppressions(f)?);
    }
    let today = parse_now(args.now.as_deref())?.date_naive();
    let from_scan = match &args.results {
        Some(p) => Some(super::results::read_results(p)?.suppressions),
        None if args.stale => {
            bail!("--stale needs --results FILE: staleness is known only from a scan")
        }
        None => None,
    };
    let mut shown = 0;
    println!(
        "{:<10} {:<9} {:<11} {:<8} {:<22} {:<40} reason",
        "id", "state", "expires", "matched", "owner", "check / resource"
    );
    for e in &entries {
        let (state, matched) = match from_scan
            .as_ref()
            .and_then(|s| s.iter().find(|r| r.id == e.id))
        {
            Some(r) => (r.state, r.matched.to_string()),
            None => (e.state_by_date(today), "-".to_string()),
        };
        if (args.expired && state != SuppressionState::Expired)
            || (args.stale && state != SuppressionState::Stale)
        {
            continue;
        }
        shown += 1;
        let state = match state {
            SuppressionState::Active => "active",
            SuppressionState::Expired => "EXPIRED",
            SuppressionState::Stale => "stale",
        };
        println!(
            "{:<10} {:<9} {:<11} {:<8} {:<22} {:<40} {}",
            e.id,
            state,
            e.expires.format("%Y-%m-%d"),
            matched,
            e.owner,
            format!("{} {}", e.check, e.resource),
            e.reason
        );
    }
    println!("{shown} of {} entries", entries.len());
    Ok(exit::OK)
}
