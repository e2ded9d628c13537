//! `annexa checks list|show|test`.

use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::{Subcommand, ValueEnum};

use annexa::engine::{run_examples, Catalog};
use annexa::mappings;
use annexa::model::{CheckInfo, FindingStatus, Provider};

use super::exit;
use super::setup::{load_catalog, parse_now, EvalArgs};

#[derive(Debug, Subcommand)]
pub enum ChecksCommand {
    /// List the checks (built-in and from --checks DIR).
    List {
        /// Only this provider's checks.
        #[arg(long)]
        provider: Option<Provider>,
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Show one check: metadata, parameters with defaults, mapped controls, examples.
    Show {
        id: String,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Run the pass/fail examples of the checks in DIR and report each.
    Test { dir: PathBuf },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Markdown,
}

/// Every check's report-facing metadata with its mapped controls.
fn infos(catalog: &Catalog) -> Result<Vec<CheckInfo>> {
    let fw = mappings::builtin()?;
    Ok(catalog
        .checks()
        .iter()
        .map(|c| c.info(mappings::controls_of(&fw, &c.id)))
        .collect())
}

pub fn run(cmd: ChecksCommand) -> Result<i32> {
    match cmd {
        ChecksCommand::List {
            provider,
            format,
            eval,
        } => {
            let config = annexa::config::Config::discover(
                eval.config.as_deref(),
                &std::env::current_dir()?,
            )?;
            let (catalog, _) = load_catalog(&eval, &config)?;
            let infos: Vec<CheckInfo> = infos(&catalog)?
                .into_iter()
                .filter(|c| provider.is_none_or(|p| c.provider == p))
                .collect();
            print!("{}", render_list(&infos, format));
            Ok(exit::OK)
        }
        ChecksCommand::Show { id, eval } => {
            let config = annexa::config::Config::discover(
                eval.config.as_deref(),
                &std::env::current_dir()?,
            )?;
            let (mut catalog, _) = load_catalog(&eval, &config)?;
            for (check, values) in &config.params {
                catalog.set_params(check, values, annexa::config::FILE_NAME)?;
            }
            let Some(check) = catalog.get(&id) else {
                bail!("no check has the id '{id}'; `annexa checks list` shows them all");
            };
            let fw = mappings::builtin()?;
            let info = check.info(mappings::controls_of(&fw, &id));
            println!("{}  [{}]  {}", info.id, info.severity, info.title);
            println!("file: {}", check.origin);
            println!("reads: {}", info.resource_types.join(", "));
            println!(
                "\n{}\n\nRisk: {}\n",
                info.description.trim(),
                info.risk.trim()
            );
            println!("Remediation: {}", info.remediation.text.trim());
            if let Some(cli) = &info.remediation.cli {
                println!("  $ {}", cli.trim());
            }
            for l in &info.remediation.links {
                println!("  {l}");
            }
            println!("\nControls:");
            for c in fw
                .controls
                .iter()
                .filter(|c| c.checks.iter().any(|m| m.id == id))
            {
                let link = c.checks.iter().find(|m| m.id == id).expect("filtered");
                println!(
                    "  {} {} ({:?}): {}",
                    c.id, c.title, link.strength, link.reason
                );
            }
            if !info.params.is_empty() {
                println!("\nParameters (override in annexa.toml [params.\"{id}\"]):");
                for (k, v) in &info.params {
                    println!("  {k} = {v}");
                }
            }
            println!("\nExamples:");
            for o in run_examples(check, parse_now(eval.now.as_deref())?) {
                println!(
                    "  expect {:<15} got {:<15} {}",
                    o.expected.as_str(),
                    o.got.as_str(),
                    o.name
                );
            }
            Ok(exit::OK)
        }
        ChecksCommand::Test { dir } => {
            let catalog = Catalog::load_dir(&dir)?;
            let now = chrono::Utc::now();
            let mut failed = 0usize;
            let mut ran = 0usize;
            for check in catalog.checks() {
                let outcomes = run_examples(check, now);
                for want in [FindingStatus::Pass, FindingStatus::Fail] {
                    if !outcomes.iter().any(|o| o.expected == want) {
                        println!(
                            "FAIL  {}  has no `{}` example ({})",
                            check.id,
                            want.as_str(),
                            check.origin
                        );
                        failed += 1;
                    }
                }
                for o in outcomes {
                    ran += 1;
                    if o.got == o.expected {
                        println!("ok    {}  {} ({})", o.check_id, o.name, o.got.as_str());
                    } else {
                        failed += 1;
                        println!(
                            "FAIL  {}  {}: expected {}, got {}: {}",
                            o.check_id,
                            o.name,
                            o.expected.as_str(),
                            o.got.as_str(),
                            o.message
                        );
                    }
                }
            }
            println!(
                "{} checks, {ran} examples: {} passed, {failed} failed",
                catalog.checks().len(),
                ran.saturating_sub(failed)
            );
            Ok(if failed == 0 {
                exit::OK
            } else {
                exit::FINDINGS
            })
        }
    }
}

/// The list in the chosen format; markdown is docs/checks.md.
pub fn render_list(infos: &[CheckInfo], format: ListFormat) -> String {
    match format {
        ListFormat::Json => {
            let rows: Vec<serde_json::Value> = infos
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id, "provider": c.provider, "service": c.service, "severity": c.severity,
                        "title": c.title, "resource_types": c.resource_types, "controls": c.controls,
                    })
                })
                .collect();
            serde_json::to_string_pretty(&rows).expect("serialisable") + "\n"
        }
        ListFormat::Table => {
            let mut out = String::new();
            for c in infos {
                out.push_str(&format!(
                    "{:<55} {:<9} {:<22} {}\n",
                    c.id,
                    c.severity.as_str(),
                    c.controls.join(","),
                    c.title
                ));
            }
            out.push_str(&format!("{} checks\n", infos.len()));
            out
        }
        ListFormat::Markdown => {
            let mut out = String::from("# Built-in checks\n\nGenerated by `annexa checks list --format markdown > docs/checks.md`; a test fails when it is out of date.\n");
            for provider in [Provider::Aws, Provider::Azure] {
                let mine: Vec<_> = infos.iter().filter(|c| c.provider == provider).collect();
                if mine.is_empty() {
                    continue;
                }
                out.push_str(&format!("\n## {} ({} checks)\n\n| id | severity | title | Annex A |\n|---|---|---|---|\n", provider.as_str().to_uppercase(), mine.len()));
                for c in mine {
                    out.push_str(&format!(
                        "| `{}` | {} | {} | {} |\n",
                        c.id,
                        c.severity,
                        c.title.replace('|', "\\|"),
                        c.controls.join(", ")
                    ));
                }
            }
            out
        }
    }
}
