//! Command-line interface: clap definitions and dispatch. The only code that prints.

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

mod baseline;
mod checks;
mod collect;
mod collectors;
mod controls;
mod formats;
mod output;
mod progress;
mod results;
mod save;
mod scan;
mod setup;
mod suppressions;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;

/// Exit codes; the README's table lists the same numbers and a test keeps them honest.
pub mod exit {
    /// No unaccepted failing finding at or above `--fail-on`, no failing gated control, complete data.
    pub const OK: i32 = 0;
    /// Failing findings at or above `--fail-on` (or a gated control fails).
    pub const FINDINGS: i32 = 1;
    /// Usage, configuration or input error.
    pub const USAGE: i32 = 2;
    /// The scan is incomplete (collection errors) and nothing else failed it.
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
    /// Log format on stderr: text or json (for CI log processors).
    #[arg(
        long,
        value_enum,
        default_value = "text",
        global = true,
        env = "ANNEXA_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect (or read saved inventories, or the demo estate), evaluate, assess controls, report.
    Scan(Box<scan::ScanArgs>),
    /// Collect an inventory and save it, for `annexa scan --inventory` later.
    Collect(collect::CollectArgs),
    /// Render reports again from a saved results.json.
    Report(results::ReportArgs),
    /// Compare two scans: new, fixed and unchanged findings, control changes.
    Diff(results::DiffArgs),
    /// Merge sharded scans (results.json files) into one result.
    Merge(results::MergeArgs),
    /// List, show and test checks.
    #[command(subcommand)]
    Checks(checks::ChecksCommand),
    /// List the framework's controls and the checks mapped to them.
    #[command(subcommand)]
    Controls(controls::ControlsCommand),
    /// Accepted risks: list those in force, expired or stale.
    #[command(subcommand)]
    Suppressions(SuppressionsCommand),
    /// Write a commented starter annexa.toml.
    Init {
        /// Where to write it.
        #[arg(default_value = "annexa.toml")]
        path: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Subcommand)]
pub enum SuppressionsCommand {
    /// List the accepted-risk entries and their state.
    List(suppressions::ListArgs),
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

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ANNEXA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
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
    init_logs(cli.log_format);
    let outcome = match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Collect(args) => collect::run(args),
        Command::Report(args) => results::report(args),
        Command::Diff(args) => results::diff(args),
        Command::Merge(args) => results::merge(args),
        Command::Checks(cmd) => checks::run(cmd),
        Command::Controls(cmd) => controls::run(cmd),
        Command::Suppressions(SuppressionsCommand::List(args)) => suppressions::list(args),
        Command::Init { path, force } => init(&path, force),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "annexa", &mut std::io::stdout());
            Ok(exit::OK)
        }
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map(|_| exit::OK)
            .map_err(Into::into),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::USAGE
        }
    }
}

fn init(path: &std::path::Path, force: bool) -> anyhow::Result<i32> {
    if path.exists() && !force {
        anyhow::bail!("{} exists; pass --force to replace it", path.display());
    }
    std::fs::write(path, annexa::config::STARTER)?;
    eprintln!("wrote {}", path.display());
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

#[cfg(all(test, feature = "aws", feature = "azure"))]
mod config_tests {
    use clap::Parser;

    use super::scan::Target;
    use super::{Cli, Command};

    fn target(args: &[&str]) -> Target {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Scan(scan) = cli.command else {
            panic!("not a scan")
        };
        scan.target.unwrap()
    }

    #[test]
    fn annexa_toml_fills_collection_settings_that_flags_left_unset() {
        let config = annexa::config::Config::parse(
            "[aws]\nregions = ['us-east-1']\naggregator = 'org'\n[azure]\nsubscriptions = ['sub-a']\ncloud = 'AzureChinaCloud'\n",
            "annexa.toml",
        )
        .unwrap();
        let Target::Aws(a) = target(&["annexa", "scan", "aws", "--regions", "eu-west-1"])
            .with_config(&config)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(a.regions, ["eu-west-1"], "a flag wins over the file");
        assert_eq!(a.aggregator.as_deref(), Some("org"));
        let Target::Aws(a) = target(&["annexa", "scan", "aws"])
            .with_config(&config)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(a.regions, ["us-east-1"]);
        let Target::Azure(z) = target(&["annexa", "scan", "azure"])
            .with_config(&config)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(z.subscriptions, ["sub-a"]);
        assert_eq!(z.cloud, super::azure::CloudArg::AzureChinaCloud);
        let Target::Azure(z) = target(&["annexa", "scan", "azure", "--management-group", "mg"])
            .with_config(&config)
            .unwrap()
        else {
            panic!()
        };
        assert!(
            z.subscriptions.is_empty(),
            "an explicit scope is not widened by the file"
        );
    }
}
