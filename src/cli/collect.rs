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
    /// The inventory file (`.jsonl`, or `.jsonl.zst` compressed).
    #[arg(short, long, value_name = "FILE", global = true)]
    pub output: PathBuf,
    /// No progress display.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

pub fn run(args: CollectArgs) -> Result<i32> {
    let save = super::save::SaveInventory::create(&args.output, chrono::Utc::now())?;
    let mut progress = progress::Progress::new(args.quiet);
    // Every type the collector knows: an inventory is for any later selection of checks.
    let events = super::collectors::spawn(&args.target, None)?;
    let (summary, incomplete) = save.consume(events, &mut |p| progress.update(p))?;
    progress.finish();
    eprintln!("{summary}");
    Ok(if incomplete { exit::INCOMPLETE } else { exit::OK })
}
