//! `annexa controls list`: the framework's controls, the checks mapped to each, and coverage.

use anyhow::Result;
use clap::{Subcommand, ValueEnum};

use annexa::engine::Catalog;
use annexa::mappings;

use super::exit;

#[derive(Debug, Subcommand)]
pub enum ControlsCommand {
    /// List the controls with theme, automation level and mapped checks.
    List {
        /// The framework (only iso27001-2022 today).
        #[arg(long, default_value = "iso27001-2022")]
        framework: String,
        #[arg(long, value_enum, default_value = "table")]
        format: ControlsFormat,
        /// Print the coverage table per provider and theme instead.
        #[arg(long)]
        coverage: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ControlsFormat {
    Table,
    Json,
}

pub fn run(cmd: ControlsCommand) -> Result<i32> {
    let ControlsCommand::List { framework, format, coverage } = cmd;
    let fw = mappings::builtin()?;
    if framework != fw.id {
        anyhow::bail!("unknown framework '{framework}'; available: {}", fw.id);
    }
    if coverage {
        let catalog = Catalog::builtin()?;
        let checks: Vec<_> = catalog.checks().iter().map(|c| (c.id.clone(), c.provider)).collect();
        print!("{}", mappings::coverage_table(&mappings::coverage(&fw, &checks)));
        return Ok(exit::OK);
    }
    match format {
        ControlsFormat::Json => {
            let rows: Vec<serde_json::Value> = fw
                .controls
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id, "title": c.title, "theme": c.theme, "automation": c.automation,
                        "rationale": c.rationale,
                        "checks": c.checks.iter().map(|m| serde_json::json!({"id": m.id, "strength": m.strength, "reason": m.reason})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        ControlsFormat::Table => {
            for c in &fw.controls {
                println!("{:<8}{:<15}{:<11}{} ({} checks)", c.id, c.theme.as_str(), c.automation.as_str(), c.title, c.checks.len());
            }
            println!("{} controls", fw.controls.len());
        }
    }
    Ok(exit::OK)
}
