//! results.json: the whole `ScanResult`, versioned (`format`, `version`), with a JSON Schema in
//! `schemas/results.v1.schema.json` generated from the model.

use super::{ReportError, Reporter, Sink};
use crate::model::{ScanResult, RESULTS_FORMAT, RESULTS_VERSION};

pub const FILE_NAME: &str = "results.json";

pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn name(&self) -> &'static str {
        "json"
    }

    /// Streamed: results.json of a large estate is hundreds of MB.
    fn write(&self, result: &ScanResult, sink: &mut dyn Sink) -> Result<(), ReportError> {
        sink.stream(FILE_NAME, &mut |w| write(result, w))
    }
}

/// Stream results.json into `w` (a large scan's JSON never sits in memory whole).
pub fn write(result: &ScanResult, w: &mut dyn std::io::Write) -> Result<(), ReportError> {
    let err = |e: &dyn std::fmt::Display| ReportError {
        format: "json",
        message: e.to_string(),
    };
    serde_json::to_writer_pretty(&mut *w, result).map_err(|e| err(&e))?;
    w.write_all(b"\n").map_err(|e| err(&e))
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("{origin}: not an annexa results file ({reason}); pass the results.json a scan wrote")]
    NotResults { origin: String, reason: String },
    #[error("{origin}: results format version {found} is not supported by this annexa (reads version {RESULTS_VERSION}); re-run the scan or use a matching annexa release")]
    Version { origin: String, found: u64 },
    #[error("{origin}:{line}:{column}: {reason}")]
    Invalid {
        origin: String,
        line: usize,
        column: usize,
        reason: String,
    },
}

/// Parse a results.json written by `JsonReporter`, checking its format and version first so that
/// another version gets a clear message instead of a field error.
pub fn parse(text: &str, origin: &str) -> Result<ScanResult, ResultsError> {
    #[derive(serde::Deserialize)]
    struct Probe {
        format: Option<String>,
        version: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| ResultsError::Invalid {
        origin: origin.into(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    match probe.format.as_deref() {
        Some(RESULTS_FORMAT) => {}
        Some(other) => {
            return Err(ResultsError::NotResults {
                origin: origin.into(),
                reason: format!("format is '{other}'"),
            })
        }
        None => {
            return Err(ResultsError::NotResults {
                origin: origin.into(),
                reason: "no 'format' field".into(),
            })
        }
    }
    match probe.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(RESULTS_VERSION) => {}
        Some(v) => {
            return Err(ResultsError::Version {
                origin: origin.into(),
                found: v,
            })
        }
        None => {
            return Err(ResultsError::NotResults {
                origin: origin.into(),
                reason: "no numeric 'version'".into(),
            })
        }
    }
    serde_json::from_str(text).map_err(|e| ResultsError::Invalid {
        origin: origin.into(),
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })
}

/// The JSON Schema of results.json, generated from the model types.
pub fn schema() -> serde_json::Value {
    let schema = schemars::schema_for!(ScanResult);
    serde_json::to_value(schema).expect("a schema serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_json_is_the_pretty_result_and_parses_back() {
        let result = crate::model::ScanResult {
            format: RESULTS_FORMAT.into(),
            version: RESULTS_VERSION,
            tool: Default::default(),
            framework: "iso27001-2022".into(),
            scope: Default::default(),
            checks: vec![],
            stats: Default::default(),
            findings: Default::default(),
            controls: vec![],
            errors: vec![],
            suppressions: vec![],
        };
        let rendered = JsonReporter.render(&result).unwrap().remove(0);
        assert_eq!(rendered.name, FILE_NAME);
        let streamed = rendered.bytes;
        let mut pretty = serde_json::to_vec_pretty(&result).unwrap();
        pretty.push(b'\n');
        assert_eq!(streamed, pretty);
        assert_eq!(
            parse(std::str::from_utf8(&streamed).unwrap(), "r.json").unwrap(),
            result
        );
    }
}
