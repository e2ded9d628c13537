//! `annexa scan`: collect (or read inventories / the demo estate), evaluate, assess, report, gate.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use annexa::model::ScanResult;
use annexa::scan;

use super::output::{OutputArgs, Outputs};
use super::progress;
use super::setup::{EvalArgs, Prepared};

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(subcommand)]
    pub target: Option<Target>,

    /// Scan the demo estate embedded in the binary (one AWS account, one Azure subscription).
    #[arg(long, conflicts_with = "inventory")]
    pub demo: bool,

    /// Evaluate saved inventories (JSON Lines, `.jsonl.zst` too); several merge into one scan.
    #[arg(long, value_name = "FILE")]
    pub inventory: Vec<PathBuf>,

    #[command(flatten)]
    pub eval: EvalArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Target {
    /// Collect from AWS (AWS Config, IAM) and evaluate as pages arrive.
    #[cfg(feature = "aws")]
    Aws(super::aws::AwsArgs),
    /// Collect from Azure (Resource Graph, Resource Manager) and evaluate as pages arrive.
    #[cfg(feature = "azure")]
    Azure(super::azure::AzureArgs),
}

impl Target {
    /// Settings from annexa.toml's `[aws]` / `[azure]` where flags and ANNEXA_* left them unset.
    #[cfg_attr(not(any(feature = "aws", feature = "azure")), allow(unreachable_code))]
    pub fn with_config(self, config: &annexa::config::Config) -> Result<Target> {
        let _ = config;
        Ok(match self {
            #[cfg(feature = "aws")]
            Target::Aws(mut a) => {
                a.apply_config(&config.aws);
                Target::Aws(a)
            }
            #[cfg(feature = "azure")]
            Target::Azure(mut a) => {
                a.apply_config(&config.azure)?;
                Target::Azure(a)
            }
        })
    }
}

#[cfg_attr(
    not(any(feature = "aws", feature = "azure")),
    allow(unreachable_code, unused_variables)
)]
pub fn run(args: ScanArgs) -> Result<i32> {
    let prepared = Prepared::new(&args.eval)?;
    let outputs = Outputs::resolve(&args.output, &prepared.config)?;
    let ctx = prepared.context();
    let mut save = outputs.open_save_inventory(&prepared)?;
    let mut on_progress = progress::Progress::new(outputs.quiet);

    let mut collected_at: Vec<String> = Vec::new();
    let mut result: ScanResult = match (&args.target, args.demo, args.inventory.is_empty()) {
        (None, true, _) => {
            let reader = annexa::demo::reader().context("reading the embedded demo estate")?;
            collected_at.push(reader.header().collected_at.clone());
            let events = scan::inventory_inputs(vec![reader]);
            scan::run(events, &ctx, save.as_mut().map(|s| s.writer()), &mut |p| on_progress.update(p))?
        }
        (None, false, false) => {
            let mut readers = Vec::new();
            for path in &args.inventory {
                let reader = annexa::inventory::open(path)?;
                collected_at.push(reader.header().collected_at.clone());
                readers.push(reader);
            }
            let events = scan::inventory_inputs(readers);
            scan::run(events, &ctx, save.as_mut().map(|s| s.writer()), &mut |p| on_progress.update(p))?
        }
        (None, false, true) => bail!(
            "nothing to scan: name a cloud (`annexa scan aws`, `annexa scan azure`), saved inventories (`--inventory FILE`) or the demo estate (`--demo`)"
        ),
        (Some(target), _, _) => {
            let types = prepared.type_filter();
            let target = target.clone().with_config(&prepared.config)?;
            let events = super::collectors::spawn(&target, types)?.map(|e| e.map(scan::Input::from));
            scan::run(events, &ctx, save.as_mut().map(|s| s.writer()), &mut |p| on_progress.update(p))?
        }
    };
    on_progress.finish();
    // Saved data was collected when its inventories say; a live scan collects as it runs.
    result.scope.collected_at =
        scan::earliest(collected_at).or_else(|| Some(result.scope.started_at.clone()));
    if let Some(s) = save.take() {
        s.finish(&result)?;
    }
    outputs.emit(&result, &prepared)
}
