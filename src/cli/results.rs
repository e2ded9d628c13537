//! `annexa report`, `annexa diff`, `annexa merge`: commands over saved results files.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use annexa::diff::{self, Snapshot};
use annexa::model::ScanResult;

use super::baseline::load_snapshot;
use super::exit;
use super::output::{write_results_atomic, OutputArgs, Outputs};

pub fn read_results(path: &std::path::Path) -> Result<ScanResult> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(annexa::report::json::parse(
        &text,
        &path.display().to_string(),
    )?)
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A results.json written by `annexa scan` or `annexa merge`.
    #[arg(long, value_name = "FILE")]
    pub results: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Render a saved result again, without rescanning; the exit code follows the same gates.
pub fn report(args: ReportArgs) -> Result<i32> {
    let result = read_results(&args.results)?;
    let config = annexa::config::Config::discover(None, &std::env::current_dir()?)?;
    let outputs = Outputs::resolve(&args.output, &config)?;
    let baseline = match &outputs.baseline {
        Some(p) => Some(load_snapshot(p)?),
        None => None,
    };
    outputs.write_files(&result, baseline.as_ref())?;
    if !outputs.quiet && outputs.formats.contains(&super::Format::Console) {
        print!(
            "{}",
            annexa::report::console::render(&result, &Default::default())
        );
    }
    let verdict = annexa::gate::judge(&result, &outputs.gate, baseline.as_ref())?;
    Ok(super::output::code(&verdict))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier results.json (or SARIF).
    pub old: PathBuf,
    /// The later results.json (or SARIF).
    pub new: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
}

pub fn diff(args: DiffArgs) -> Result<i32> {
    let (old, new): (Snapshot, Snapshot) = (load_snapshot(&args.old)?, load_snapshot(&args.new)?);
    let d = diff::diff(&old, &new);
    match args.format {
        DiffFormat::Text => print!("{}", diff::render_text(&d)),
        DiffFormat::Json => println!("{}", serde_json::to_string_pretty(&d)?),
    }
    Ok(exit::OK)
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// results.json files of the shards.
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Where to write the merged results.json.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn merge(args: MergeArgs) -> Result<i32> {
    let mut inputs = Vec::new();
    for p in &args.results {
        inputs.push((p.display().to_string(), read_results(p)?));
    }
    let fw = annexa::mappings::builtin()?;
    let merged = annexa::merge::merge(&inputs, &|stats, evaluated| {
        annexa::mappings::assess(&fw, stats, evaluated)
    })?;
    write_results_atomic(&args.output, &merged)?;
    eprintln!(
        "merged {} results: {} accounts, {} findings, {} gaps -> {}",
        inputs.len(),
        merged.scope.accounts.len(),
        merged.findings.len(),
        merged.errors.len(),
        args.output.display()
    );
    Ok(exit::OK)
}
