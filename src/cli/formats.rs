//! `--format` values to reporters. Console is printed, not written, so it has none.

use anyhow::Result;

use annexa::model::ScanResult;
use annexa::report::baseline::Baseline;
use annexa::report::json::JsonReporter;
use annexa::report::sarif::{self, SarifOptions, SarifProfile};
use annexa::report::{html, soa, OutputFile, ReportError, Reporter, Sink};

use super::output::Outputs;
use super::Format;

struct HtmlReporter;

impl Reporter for HtmlReporter {
    fn name(&self) -> &'static str {
        "html"
    }
    fn write(&self, result: &ScanResult, sink: &mut dyn Sink) -> Result<(), ReportError> {
        let page = html::render(result).map_err(|e| ReportError {
            format: "html",
            message: e.to_string(),
        })?;
        sink.file(OutputFile {
            name: "report.html".into(),
            bytes: page.into_bytes(),
            note: None,
        })
    }
}

struct SoaReporter;

impl Reporter for SoaReporter {
    fn name(&self) -> &'static str {
        "soa"
    }
    fn write(&self, result: &ScanResult, sink: &mut dyn Sink) -> Result<(), ReportError> {
        let err = |e: soa::SoaError| ReportError {
            format: "soa",
            message: e.to_string(),
        };
        sink.file(OutputFile {
            name: "statement-of-applicability.xlsx".into(),
            bytes: soa::render_xlsx(result).map_err(err)?,
            note: None,
        })?;
        sink.file(OutputFile {
            name: "statement-of-applicability.csv".into(),
            bytes: soa::render_csv(result).map_err(err)?,
            note: None,
        })
    }
}

struct SarifReporter(SarifOptions);

impl Reporter for SarifReporter {
    fn name(&self) -> &'static str {
        "sarif"
    }
    /// Each part is written as soon as it is rendered.
    fn write(&self, result: &ScanResult, sink: &mut dyn Sink) -> Result<(), ReportError> {
        sarif::write(result, &self.0, &mut |f| {
            let note = (f.parts > 1).then(|| {
                format!(
                    "split at GitHub's upload limits: part of {} files, {} results, category {}",
                    f.parts,
                    f.results,
                    f.category.as_deref().unwrap_or("-")
                )
            });
            sink.file(OutputFile {
                name: f.name,
                bytes: f.bytes,
                note,
            })
            .map_err(|e| sarif::SarifError::Write(e.message))
        })
        .map_err(|e| ReportError {
            format: "sarif",
            message: e.to_string(),
        })
    }
    fn replaces(&self, name: &str) -> bool {
        sarif::is_output_name(name)
    }
}

fn sarif_options(outputs: &Outputs) -> Result<SarifOptions> {
    let profile = match &outputs.sarif_profile {
        Some(p) => p.parse::<SarifProfile>().map_err(anyhow::Error::msg)?,
        None => SarifProfile::default(),
    };
    let baseline = match &outputs.baseline {
        Some(p) => Some(Baseline::load(p)?),
        None => None,
    };
    Ok(SarifOptions {
        profile,
        category: outputs.sarif_category.clone(),
        baseline,
    })
}

pub fn reporters(outputs: &Outputs) -> Result<Vec<Box<dyn Reporter>>> {
    let mut out: Vec<Box<dyn Reporter>> = Vec::new();
    for f in &outputs.formats {
        match f {
            Format::Console => {}
            Format::Json => out.push(Box::new(JsonReporter)),
            Format::Html => out.push(Box::new(HtmlReporter)),
            Format::Soa => out.push(Box::new(SoaReporter)),
            Format::Sarif => out.push(Box::new(SarifReporter(sarif_options(outputs)?))),
        }
    }
    Ok(out)
}
