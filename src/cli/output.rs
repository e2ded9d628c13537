//! Where results go: formats, output directory, the saved inventory, and the CI gate that turns a
//! result into an exit code.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use annexa::config::Config;
use annexa::diff::Snapshot;
use annexa::gate::{self, FailOn, Gate};
use annexa::model::ScanResult;
use annexa::report::console::{self, ConsoleOptions};
use annexa::report::{OutputFile, ReportError, Reporter, Sink, WriteContent};

use super::setup::Prepared;
use super::{exit, formats, Format};

#[derive(Debug, Clone, Args, Default)]
pub struct OutputArgs {
    /// Output formats, comma-separated [default: console,json].
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        global = true,
        env = "ANNEXA_FORMAT"
    )]
    pub format: Vec<Format>,
    /// Directory for results.json, results.sarif, report.html, statement-of-applicability.* [default: annexa-results].
    #[arg(long, value_name = "DIR", global = true, env = "ANNEXA_OUTPUT_DIR")]
    pub output_dir: Option<PathBuf>,
    /// Also write exactly what was evaluated as an inventory (`.jsonl`, or `.jsonl.zst` compressed).
    #[arg(
        long,
        value_name = "FILE",
        global = true,
        env = "ANNEXA_SAVE_INVENTORY"
    )]
    pub save_inventory: Option<PathBuf>,
    /// Exit 1 when an unaccepted failing finding is at or above this severity: critical, high, medium, low, none [default: high].
    #[arg(long, value_name = "SEVERITY", global = true, env = "ANNEXA_FAIL_ON")]
    pub fail_on: Option<String>,
    /// Exit 1 when any of these controls fails (`A.8.24,A.5.15`).
    #[arg(
        long,
        value_name = "IDS",
        value_delimiter = ',',
        global = true,
        env = "ANNEXA_FAIL_ON_CONTROL"
    )]
    pub fail_on_control: Vec<String>,
    /// Only findings that are new since --baseline count for the gates.
    #[arg(long, global = true, env = "ANNEXA_FAIL_ON_NEW")]
    pub fail_on_new: bool,
    /// An earlier results.json (or SARIF): marks findings new / unchanged / absent.
    #[arg(long, value_name = "FILE", global = true, env = "ANNEXA_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// SARIF `automationDetails.id` category, one per account or subscription upload.
    #[arg(
        long,
        value_name = "NAME",
        global = true,
        env = "ANNEXA_SARIF_CATEGORY"
    )]
    pub sarif_category: Option<String>,
    /// SARIF profile: github (accepted risks left out) or full (included as suppressed results).
    #[arg(
        long,
        value_name = "PROFILE",
        global = true,
        env = "ANNEXA_SARIF_PROFILE"
    )]
    pub sarif_profile: Option<String>,
    /// No console summary and no progress; errors still go to stderr.
    #[arg(long, short, global = true, env = "ANNEXA_QUIET")]
    pub quiet: bool,
}

pub struct Outputs {
    pub formats: Vec<Format>,
    pub dir: PathBuf,
    pub save_inventory: Option<PathBuf>,
    pub gate: Gate,
    pub baseline: Option<PathBuf>,
    pub sarif_category: Option<String>,
    pub sarif_profile: Option<String>,
    pub quiet: bool,
}

impl Outputs {
    /// Flags (and ANNEXA_* variables) first, then annexa.toml, then defaults.
    pub fn resolve(args: &OutputArgs, config: &Config) -> Result<Outputs> {
        let s = &config.scan;
        let formats = if !args.format.is_empty() {
            args.format.clone()
        } else if let Some(names) = &s.format {
            names
                .iter()
                .map(|n| <Format as clap::ValueEnum>::from_str(n, true).map_err(|_| anyhow::anyhow!("annexa.toml [scan] format: unknown format '{n}' (console, json, sarif, html, soa)")))
                .collect::<Result<Vec<_>>>()?
        } else {
            vec![Format::Console, Format::Json]
        };
        let fail_on = match args.fail_on.as_deref().or(s.fail_on.as_deref()) {
            Some(v) => v.parse::<FailOn>().map_err(anyhow::Error::msg)?,
            None => FailOn::DEFAULT,
        };
        let controls = if args.fail_on_control.is_empty() {
            s.fail_on_control.clone().unwrap_or_default()
        } else {
            args.fail_on_control.clone()
        };
        Ok(Outputs {
            formats,
            dir: args
                .output_dir
                .clone()
                .or_else(|| s.output_dir.clone())
                .unwrap_or_else(|| PathBuf::from("annexa-results")),
            save_inventory: args.save_inventory.clone(),
            gate: Gate {
                fail_on,
                controls,
                only_new: args.fail_on_new || s.fail_on_new.unwrap_or(false),
            },
            baseline: args.baseline.clone().or_else(|| s.baseline.clone()),
            sarif_category: args
                .sarif_category
                .clone()
                .or_else(|| s.sarif_category.clone()),
            sarif_profile: args
                .sarif_profile
                .clone()
                .or_else(|| s.sarif_profile.clone()),
            quiet: args.quiet,
        })
    }

    pub fn open_save_inventory(
        &self,
        prepared: &Prepared,
    ) -> Result<Option<super::save::SaveInventory>> {
        match &self.save_inventory {
            None => Ok(None),
            Some(path) => Ok(Some(super::save::SaveInventory::create(
                path,
                prepared.now,
            )?)),
        }
    }

    /// Write the files, print the summary, judge the gate; returns the exit code.
    pub fn emit(&self, result: &ScanResult, _prepared: &Prepared) -> Result<i32> {
        let baseline = match &self.baseline {
            Some(p) => Some(super::baseline::load_snapshot(p)?),
            None => None,
        };
        self.write_files(result, baseline.as_ref())?;
        let verdict = gate::judge(result, &self.gate, baseline.as_ref())?;
        if !self.quiet && self.formats.contains(&Format::Console) {
            print!("{}", console::render(result, &ConsoleOptions::default()));
            if let (Some(b), Some(p)) = (&baseline, &self.baseline) {
                let d = annexa::diff::diff(b, &Snapshot::from_result(result));
                println!("\nSince {}:", p.display());
                print!("{}", annexa::diff::render_text(&d));
            }
        }
        Ok(code(&verdict))
    }

    pub fn write_files(&self, result: &ScanResult, _baseline: Option<&Snapshot>) -> Result<()> {
        let reporters = formats::reporters(self)?;
        if reporters.is_empty() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating output directory {}", self.dir.display()))?;
        for reporter in reporters {
            // Files an earlier run of this format left (SARIF parts) go first; if the format
            // then fails half-way, what it wrote goes too, so nothing partial is uploaded.
            remove_replaced(&self.dir, reporter.as_ref())?;
            let mut sink = DirSink {
                dir: &self.dir,
                format: reporter.name(),
                quiet: self.quiet,
            };
            if let Err(e) = reporter.write(result, &mut sink) {
                remove_replaced(&self.dir, reporter.as_ref())?;
                return Err(e.into());
            }
        }
        Ok(())
    }
}

/// Writes each file a reporter hands over into the output directory, atomically, and says so.
struct DirSink<'a> {
    dir: &'a Path,
    format: &'static str,
    quiet: bool,
}

impl DirSink<'_> {
    fn wrote(&self, path: &Path, note: Option<&str>) {
        if !self.quiet {
            eprintln!("wrote {}", path.display());
            if let Some(note) = note {
                eprintln!("  {note}");
            }
        }
    }

    fn error(&self, e: anyhow::Error) -> ReportError {
        ReportError {
            format: self.format,
            message: format!("{e:#}"),
        }
    }
}

impl Sink for DirSink<'_> {
    fn file(&mut self, file: OutputFile) -> Result<(), ReportError> {
        let path = self.dir.join(&file.name);
        write_atomic(&path, &file.bytes).map_err(|e| self.error(e))?;
        self.wrote(&path, file.note.as_deref());
        Ok(())
    }

    fn stream(&mut self, name: &str, write: &mut WriteContent<'_>) -> Result<(), ReportError> {
        let path = self.dir.join(name);
        write_streamed_atomic(&path, write).map_err(|e| self.error(e))?;
        self.wrote(&path, None);
        Ok(())
    }
}

/// Remove the files in `dir` that `reporter` replaces.
fn remove_replaced(dir: &Path, reporter: &dyn Reporter) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if reporter.replaces(&name) {
            std::fs::remove_file(dir.join(&name))
                .with_context(|| format!("removing stale {name}"))?;
        }
    }
    Ok(())
}

/// Exit code of a judged result: 1 gate tripped, 3 incomplete and nothing else failed, 0 clean.
pub fn code(v: &gate::Verdict) -> i32 {
    if v.tripped() {
        exit::FINDINGS
    } else if v.incomplete {
        exit::INCOMPLETE
    } else {
        exit::OK
    }
}

/// Stream a results.json beside `path` and rename it into place.
pub fn write_results_atomic(path: &Path, result: &ScanResult) -> Result<()> {
    write_streamed_atomic(path, &mut |w| annexa::report::json::write(result, w))
}

/// Write through `write` into a file beside `path`, then rename it into place.
fn write_streamed_atomic(path: &Path, write: &mut WriteContent<'_>) -> Result<()> {
    let tmp = beside(path);
    let file = std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    let mut w = std::io::BufWriter::new(file);
    write(&mut w)?;
    std::io::Write::flush(&mut w).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Write beside the target and rename, so a reader never sees half a report.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = beside(path);
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// The temporary file a write goes to before it is renamed over `path`: `report.html.tmp`.
fn beside(path: &Path) -> std::path::PathBuf {
    path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("out")
    ))
}
