//! `--format` values to reporters. Console is printed, not written, so it has none.

use anyhow::Result;

use annexa::model::ScanResult;
use annexa::report::json::JsonReporter;
use annexa::report::{html, soa, OutputFile, ReportError, Reporter};

use super::output::Outputs;
use super::Format;

struct HtmlReporter;

impl Reporter for HtmlReporter {
    fn name(&self) -> &'static str {
        "html"
    }
    fn render(&self, result: &ScanResult) -> Result<Vec<OutputFile>, ReportError> {
        let page = html::render(result).map_err(|e| ReportError { format: "html", message: e.to_string() })?;
        Ok(vec![OutputFile { name: "report.html".into(), bytes: page.into_bytes(), note: None }])
    }
}

struct SoaReporter;

impl Reporter for SoaReporter {
    fn name(&self) -> &'static str {
        "soa"
    }
    fn render(&self, result: &ScanResult) -> Result<Vec<OutputFile>, ReportError> {
        let err = |e: soa::SoaError| ReportError { format: "soa", message: e.to_string() };
        Ok(vec![
            OutputFile { name: "statement-of-applicability.xlsx".into(), bytes: soa::render_xlsx(result).map_err(err)?, note: None },
            OutputFile { name: "statement-of-applicability.csv".into(), bytes: soa::render_csv(result).map_err(err)?, note: None },
        ])
    }
}

pub fn reporters(outputs: &Outputs) -> Result<Vec<Box<dyn Reporter>>> {
    let mut out: Vec<Box<dyn Reporter>> = Vec::new();
    for f in &outputs.formats {
        match f {
            Format::Console => {}
            Format::Json => out.push(Box::new(JsonReporter)),
            Format::Html => out.push(Box::new(HtmlReporter)),
            Format::Soa => out.push(Box::new(SoaReporter)),
            Format::Sarif => anyhow::bail!("--format sarif is not available in this build"),
        }
    }
    Ok(out)
}
