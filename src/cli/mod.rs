//! Command-line interface: clap definitions and dispatch. The only code that prints.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod checks;
mod controls;
mod scan;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;

/// Exit codes; the README's table is generated from the same numbers.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FINDINGS: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INCOMPLETE: i32 = 3;
}

#[derive(Debug, Parser)]
#[command(
    name = "annexa",
    version,
    about = "Scan AWS and Azure configuration against ISO/IEC 27001:2022 Annex A baselines",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect (or read saved inventories), evaluate the checks, assess controls, report.
    Scan(scan::ScanArgs),
    /// List, show and test checks.
    #[command(subcommand)]
    Checks(checks::ChecksCommand),
    /// List the framework's controls and the checks mapped to them.
    #[command(subcommand)]
    Controls(controls::ControlsCommand),
}

/// Output formats, chosen with `--format a,b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Format {
    /// Summary on stdout.
    Console,
    /// results.json: the whole ScanResult.
    Json,
    /// results.sarif for code-scanning dashboards.
    Sarif,
    /// report.html: self-contained report.
    Html,
    /// Statement of Applicability: statement-of-applicability.xlsx and .csv.
    Soa,
}

/// Options shared by every command that loads checks.
#[derive(Debug, Clone, Args, Default)]
pub struct CheckArgs {
    /// A directory of your own check files, loaded beside the built-in ones (repeatable).
    #[arg(long = "checks", value_name = "DIR", global = true)]
    pub check_dirs: Vec<PathBuf>,
    /// Configuration file (default: ./annexa.toml when present).
    #[arg(long, value_name = "FILE", global = true, env = "ANNEXA_CONFIG")]
    pub config: Option<PathBuf>,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    let outcome = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Checks(cmd) => checks::run(cmd),
        Command::Controls(cmd) => controls::run(cmd),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::USAGE
        }
    }
}
