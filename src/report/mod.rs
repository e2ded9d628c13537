//! Reporters: pure functions of a `ScanResult`, one module per format. Each format implements
//! `Reporter`; the CLI picks them by `--format` and writes the files they return.

pub mod baseline;
pub mod console;
pub mod html;
pub mod json;
pub mod sarif;
pub mod soa;

use crate::model::ScanResult;

/// A file a reporter produced, named relative to the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Something the user should read about this file (e.g. a SARIF split into parts).
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{format} report: {message}")]
pub struct ReportError {
    pub format: &'static str,
    pub message: String,
}

pub trait Reporter {
    /// The format's name as given to `--format`.
    fn name(&self) -> &'static str;
    fn render(&self, result: &ScanResult) -> Result<Vec<OutputFile>, ReportError>;
}
