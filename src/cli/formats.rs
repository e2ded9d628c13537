//! `--format` values to reporters. Console is printed, not written, so it has none.

use anyhow::Result;

use annexa::report::json::JsonReporter;
use annexa::report::Reporter;

use super::output::Outputs;
use super::Format;

pub fn reporters(outputs: &Outputs) -> Result<Vec<Box<dyn Reporter>>> {
    let mut out: Vec<Box<dyn Reporter>> = Vec::new();
    for f in &outputs.formats {
        match f {
            Format::Console => {}
            Format::Json => out.push(Box::new(JsonReporter)),
            Format::Sarif | Format::Html | Format::Soa => {
                anyhow::bail!("--format {f:?} is not available in this build")
            }
        }
    }
    Ok(out)
}
