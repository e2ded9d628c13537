//! What every evaluating command prepares: configuration, checks (built-in and the user's),
//! parameter overrides, selection, framework, accepted risks and the clock.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use globset::{Glob, GlobSet, GlobSetBuilder};

use annexa::collect::TypeFilter;
use annexa::config::{self, Config};
use annexa::engine::{Catalog, Evaluator};
use annexa::mappings::{self, Framework};
use annexa::scan::ScanContext;
use annexa::suppress::Suppression;

#[derive(Debug, Clone, Args, Default)]
pub struct EvalArgs {
    /// A directory of your own check files, loaded beside the built-in ones (repeatable).
    #[arg(
        long = "checks",
        value_name = "DIR",
        global = true,
        env = "ANNEXA_CHECKS",
        value_delimiter = ','
    )]
    pub check_dirs: Vec<PathBuf>,
    /// Configuration file [default: ./annexa.toml when present].
    #[arg(long, value_name = "FILE", global = true, env = "ANNEXA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Run only checks whose id matches one of these patterns (`aws.s3.*`; repeatable, or comma-separated).
    #[arg(
        long = "select",
        value_name = "PATTERN",
        global = true,
        env = "ANNEXA_SELECT",
        value_delimiter = ','
    )]
    pub select: Vec<String>,
    /// Leave out checks whose id matches one of these patterns.
    #[arg(
        long = "exclude",
        value_name = "PATTERN",
        global = true,
        env = "ANNEXA_EXCLUDE",
        value_delimiter = ','
    )]
    pub exclude: Vec<String>,
    /// An accepted-risks file with `[[suppressions]]` entries, besides those in annexa.toml.
    #[arg(long, value_name = "FILE", global = true, env = "ANNEXA_SUPPRESSIONS")]
    pub suppressions: Option<PathBuf>,
    /// Keep passing findings in results.json (they are always counted).
    #[arg(long, global = true, env = "ANNEXA_INCLUDE_PASSING")]
    pub include_passing: bool,
    /// The scan's clock (RFC 3339), for reproducible runs and tests [default: now].
    #[arg(
        long,
        value_name = "TIME",
        global = true,
        env = "ANNEXA_NOW",
        hide = true
    )]
    pub now: Option<String>,
}

pub struct Prepared {
    pub config: Config,
    pub catalog: Catalog,
    pub framework: Framework,
    pub suppressions: Vec<Suppression>,
    pub now: DateTime<Utc>,
    pub include_passing: bool,
}

fn globset(patterns: &[String], what: &str) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).with_context(|| format!("{what} pattern '{p}' is not a valid glob"))?);
    }
    Ok(b.build()?)
}

pub fn parse_now(now: Option<&str>) -> Result<DateTime<Utc>> {
    match now {
        None => Ok(Utc::now()),
        Some(s) => Ok(DateTime::parse_from_rfc3339(s)
            .with_context(|| {
                format!("--now '{s}' is not an RFC 3339 time such as 2026-11-23T12:00:00Z")
            })?
            .with_timezone(&Utc)),
    }
}

impl Prepared {
    /// Load config, checks and framework; validate them together.
    pub fn new(args: &EvalArgs) -> Result<Prepared> {
        let cwd = std::env::current_dir()?;
        let mut config = Config::discover(args.config.as_deref(), &cwd)?;
        let (mut catalog, builtin_ids) = load_catalog(args, &config)?;

        for (check, values) in &config.params {
            let origin = config
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| config::FILE_NAME.into());
            catalog.set_params(check, values, &origin)?;
        }

        let select: Vec<String> = if args.select.is_empty() {
            config.scan.checks.clone().unwrap_or_default()
        } else {
            args.select.clone()
        };
        let mut exclude = args.exclude.clone();
        exclude.extend(config.scan.exclude.clone().unwrap_or_default());
        let (sel, exc) = (
            globset(&select, "--select")?,
            globset(&exclude, "--exclude")?,
        );
        catalog.retain(|c| (select.is_empty() || sel.is_match(&c.id)) && !exc.is_match(&c.id));
        if catalog.checks().is_empty() {
            bail!(
                "no check is selected: --select {:?} / --exclude {:?} leave nothing to run",
                select,
                exclude
            );
        }

        let framework = mappings::builtin()?;
        if let Err(errors) = mappings::validate(&framework, &builtin_ids) {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            bail!("the built-in mapping is invalid:\n  {}", lines.join("\n  "));
        }

        let mut suppressions = std::mem::take(&mut config.suppressions);
        if let Some(file) = &args.suppressions {
            suppressions.extend(config::load_suppressions(file)?);
        }
        let now = parse_now(args.now.as_deref())?;
        let include_passing = args.include_passing || config.scan.include_passing.unwrap_or(false);
        Ok(Prepared {
            config,
            catalog,
            framework,
            suppressions,
            now,
            include_passing,
        })
    }

    pub fn context(&self) -> ScanContext<'_> {
        ScanContext {
            catalog: &self.catalog,
            framework: &self.framework,
            suppressions: &self.suppressions,
            now: self.now,
            include_passing: self.include_passing,
        }
    }

    /// The resource types the selected checks read: what collectors fetch.
    pub fn type_filter(&self) -> TypeFilter {
        Some(Evaluator::new(self.catalog.checks(), self.now).resource_types())
    }
}

/// Built-in checks plus every `--checks DIR` (and `check_dirs` from annexa.toml), one loader;
/// also the built-in ids, which the mapping is validated against.
pub fn load_catalog(args: &EvalArgs, config: &Config) -> Result<(Catalog, BTreeSet<String>)> {
    let mut catalog = Catalog::builtin()?;
    let builtin_ids: BTreeSet<String> = catalog.checks().iter().map(|c| c.id.clone()).collect();
    let mut dirs = args.check_dirs.clone();
    if let (Some(extra), Some(cfg)) = (&config.scan.check_dirs, &config.path) {
        let base = cfg.parent().map(PathBuf::from).unwrap_or_default();
        dirs.extend(extra.iter().map(|d| base.join(d)));
    }
    for dir in dirs {
        let user = Catalog::load_dir(&dir)?;
        catalog = catalog.merge(user)?;
    }
    Ok((catalog, builtin_ids))
}
