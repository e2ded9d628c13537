//! `annexa collect aws|azure -o FILE`: save an inventory for offline scans.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::scan::Target;
use super::{exit, progress};

#[derive(Debug, Args)]
pub struct CollectArgs {
    #[command(subcommand)]
    pub target: Target,
    /// The inventory file (`.jsonl`, or `.jsonl.zst` compressed). Required.
    #[arg(short, long, value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,
    /// No progress display.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[cfg_attr(
    not(any(feature = "aws", feature = "azure")),
    allow(unreachable_code, unused_variables, unused_mut)
)]
pub fn run(args: CollectArgs) -> Result<i32> {
    let Some(output) = &args.output else {
        anyhow::bail!("name the inventory file: `annexa collect aws -o inventory.jsonl.zst`");
    };
    let save = super::save::SaveInventory::create(output, chrono::Utc::now())?;
    let mut progress = progress::Progress::new(args.quiet);
    // Every type the collector knows: an inventory is for any later selection of checks.
    let config = annexa::config::Config::discover(None, &std::env::current_dir()?)?;
    let target = args.target.clone().with_config(&config)?;
    let events = super::collectors::spawn(&target, None)?;
    let (summary, incomplete) = save.consume(events, &mut |p| progress.update(p))?;
    progress.finish();
    eprintln!("{summary}");
    Ok(if incomplete {
        exit::INCOMPLETE
    } else {
        exit::OK
    })
}
