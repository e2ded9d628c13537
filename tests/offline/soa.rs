//! Statement of Applicability: CSV columns and rows; the xlsx read back with openpyxl.

use std::path::PathBuf;
use std::process::Command;

use annexa::report::soa;

use crate::html::scan_results::hostile;

fn test_python() -> PathBuf {
    let tools = std::env::var_os("ANNEXA_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/annexa-test-tools")
        });
    let python = tools.join("venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test-env.sh (it creates the venv with openpyxl)",
        python.display()
    );
    python
}

#[test]
fn csv_has_one_row_per_control_with_the_documented_columns() {
    let result = hostile();
    let bytes = soa::render_csv(&result).expect("csv");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, soa::COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 93);
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(
        ids,
        result
            .controls
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>()
    );
    assert!(
        rows.iter().all(|r| &r[3] == "Yes" && r[12].is_empty()),
        "applicable defaults to Yes, justification empty"
    );
    let a515 = rows.iter().find(|r| &r[0] == "A.5.15").unwrap();
    assert_eq!(&a515[2], "Organizational");
    assert_eq!(&a515[5], "fail");
    assert_eq!(
        &a515[6],
        "aws.s3.bucket-public-access-blocked; azure.storage.public-blob-access-disabled"
    );
    assert_eq!(
        (&a515[7], &a515[8], &a515[9], &a515[10]),
        ("2", "2", "0", "1")
    );
    assert!(
        a515[11].contains("web-team") && a515[11].contains("until 2099-12-31"),
        "{}",
        &a515[11]
    );
    let a824 = rows.iter().find(|r| &r[0] == "A.8.24").unwrap();
    assert!(
        a824[11].contains("old-exception") && a824[11].contains("EXPIRED"),
        "{}",
        &a824[11]
    );
    let a71 = rows.iter().find(|r| &r[0] == "A.7.1").unwrap();
    assert_eq!((&a71[4], &a71[5], &a71[6]), ("provider", "manual", ""));
}

#[test]
fn soa_refuses_a_result_without_controls() {
    let mut result = hostile();
    result.controls.clear();
    assert!(matches!(
        soa::render_csv(&result),
        Err(soa::SoaError::NoControls)
    ));
    assert!(matches!(
        soa::render_xlsx(&result),
        Err(soa::SoaError::NoControls)
    ));
}

const READ_XLSX: &str = r#"
import json, sys
from openpyxl import load_workbook
wb = load_workbook(sys.argv[1])
ws = wb.worksheets[0]
rows = [[c.value for c in r] for r in ws.iter_rows()]
print(json.dumps({
  "title": ws.title,
  "header": rows[0],
  "rows": rows[1:],
  "freeze": ws.freeze_panes,
  "filter": ws.auto_filter.ref,
  "validations": [str(v.sqref) for v in ws.data_validations.dataValidation],
  "fills": {r[0].value: r[5].fill.fgColor.rgb for r in ws.iter_rows(min_row=2)},
  "widths": {k: v.width for k, v in ws.column_dimensions.items()},
  "created": wb.properties.created.isoformat(),
}))
"#;

#[test]
fn xlsx_reads_back_with_93_rows_frozen_header_filter_and_colours() {
    let result = hostile();
    let bytes = soa::render_xlsx(&result).expect("xlsx");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("statement-of-applicability.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new(test_python())
        .arg("-c")
        .arg(READ_XLSX)
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "openpyxl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json from python");
    assert_eq!(v["title"], "Statement of Applicability");
    let header: Vec<&str> = v["header"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert_eq!(header, soa::COLUMNS.iter().map(|c| c.0).collect::<Vec<_>>());
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 93);
    assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 13));
    assert_eq!(rows[0][0], "A.5.1");
    assert_eq!(rows[92][0], "A.8.34");
    let a515 = rows.iter().find(|r| r[0] == "A.5.15").unwrap();
    assert_eq!(a515[5], "fail");
    assert_eq!(a515[8], 2, "fail count is a number");
    assert_eq!(a515[3], "Yes");
    assert_eq!(v["freeze"], "B2");
    assert_eq!(v["filter"], "A1:M94");
    assert_eq!(v["validations"], serde_json::json!(["D2:D94"]));
    assert_eq!(v["fills"]["A.5.15"], "FFFFC7CE", "fail is red");
    assert_eq!(v["fills"]["A.5.1"], "FFDDE3F6", "manual is blue-grey");
    assert!(
        v["widths"]["B"].as_f64().unwrap() > 30.0,
        "title column is wide"
    );
}
