//! The Statement of Applicability: one row per Annex A control, as `.xlsx` for people and
//! `.csv` for tools. The organisation edits "Applicable" and fills "Justification"; the rest
//! comes from this scan.

use std::collections::{BTreeMap, BTreeSet};

use rust_xlsxwriter::{
    Color, DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder,
    Workbook, XlsxError,
};

use crate::model::{AcceptedRisk, ControlResult, ControlStatus, ScanResult};

/// Column headers, shared by both formats, with the xlsx column widths (characters).
pub const COLUMNS: [(&str, f64); 13] = [
    ("Control", 9.0),
    ("Title", 42.0),
    ("Theme", 15.0),
    ("Applicable", 11.0),
    ("Automation", 12.0),
    ("Status", 13.0),
    ("Checks", 48.0),
    ("Pass", 7.0),
    ("Fail", 7.0),
    ("Error", 7.0),
    ("Accepted", 9.0),
    ("Accepted risks", 44.0),
    ("Justification", 48.0),
];

#[derive(Debug, thiserror::Error)]
pub enum SoaError {
    #[error("writing the Statement of Applicability spreadsheet failed: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("writing the Statement of Applicability CSV failed: {0}")]
    Csv(#[from] csv::Error),
    #[error("the scan result has no controls: the Statement of Applicability needs the framework's controls (was the result produced with a mapping?)")]
    NoControls,
}

/// One SoA row as text cells, in `COLUMNS` order (numbers as their decimal text).
struct Row {
    cells: Vec<String>,
    counts: [u64; 4],
    status: ControlStatus,
}

fn status_text(s: ControlStatus) -> &'static str {
    match s {
        ControlStatus::Fail => "fail",
        ControlStatus::Error => "error",
        ControlStatus::Pass => "pass",
        ControlStatus::NoResources => "no resources",
        ControlStatus::Manual => "manual",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Acceptances found on findings, by check id, each entry id once, in findings order: gathered in
/// one pass so that the rows do not go over the findings once per control.
type AcceptedByCheck = BTreeMap<String, Vec<AcceptedRisk>>;

fn accepted_by_check(result: &ScanResult) -> AcceptedByCheck {
    let mut by_check = AcceptedByCheck::new();
    for f in result.findings.iter_without_evidence() {
        if let Some(a) = f.accepted {
            let list = by_check.entry(f.check_id).or_default();
            if !list.iter().any(|seen| seen.id == a.id) {
                list.push(a);
            }
        }
    }
    by_check
}

/// Accepted risks against a control: suppression entries that list it, and acceptances found
/// on findings of its checks; `id (owner, until YYYY-MM-DD)`, expired ones marked.
fn accepted_risks(result: &ScanResult, control: &ControlResult, found: &AcceptedByCheck) -> String {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in &result.suppressions {
        if s.controls.iter().any(|c| c == &control.id) && seen.insert(s.id.clone()) {
            let expired = if s.state == crate::model::SuppressionState::Expired {
                ", EXPIRED"
            } else {
                ""
            };
            out.push(format!(
                "{} ({}, until {}{})",
                s.id, s.owner, s.expires, expired
            ));
        }
    }
    let checks: BTreeSet<&str> = control.checks.iter().map(|c| c.check_id.as_str()).collect();
    for (check, accepted) in found {
        if !checks.contains(check.as_str()) {
            continue;
        }
        for a in accepted {
            if seen.insert(a.id.clone()) {
                out.push(format!("{} ({}, until {})", a.id, a.owner, a.expires));
            }
        }
    }
    out.join("; ")
}

fn rows(result: &ScanResult) -> Result<Vec<Row>, SoaError> {
    if result.controls.is_empty() {
        return Err(SoaError::NoControls);
    }
    let found = accepted_by_check(result);
    Ok(result
        .controls
        .iter()
        .map(|c| {
            let checks = c
                .checks
                .iter()
                .map(|k| k.check_id.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let counts = [c.stats.pass, c.stats.fail, c.stats.error, c.stats.accepted];
            let mut cells = vec![
                c.id.clone(),
                c.title.clone(),
                capitalised(c.theme.as_str()),
                "Yes".to_string(),
                c.automation.as_str().to_string(),
                status_text(c.status).to_string(),
                checks,
            ];
            cells.extend(counts.iter().map(u64::to_string));
            cells.push(accepted_risks(result, c, &found));
            cells.push(String::new());
            Row {
                cells,
                counts,
                status: c.status,
            }
        })
        .collect())
}

/// Spreadsheet programs run cells that start with these as formulas: neutralise them in CSV.
fn csv_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// `statement-of-applicability.csv`: the same columns as the spreadsheet.
pub fn render_csv(result: &ScanResult) -> Result<Vec<u8>, SoaError> {
    let rows = rows(result)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS.iter().map(|c| c.0))?;
    for row in &rows {
        w.write_record(row.cells.iter().map(|c| csv_safe(c).into_owned()))?;
    }
    w.into_inner()
        .map_err(|e| SoaError::Csv(e.into_error().into()))
}

fn status_colour(s: ControlStatus) -> (Color, Color) {
    match s {
        ControlStatus::Fail => (Color::RGB(0xFFC7CE), Color::RGB(0x9C0006)),
        ControlStatus::Error => (Color::RGB(0xFFE0B2), Color::RGB(0x8A4B00)),
        ControlStatus::Pass => (Color::RGB(0xC6EFCE), Color::RGB(0x006100)),
        ControlStatus::NoResources => (Color::RGB(0xEDEDED), Color::RGB(0x404040)),
        ControlStatus::Manual => (Color::RGB(0xDDE3F6), Color::RGB(0x283593)),
    }
}

/// `statement-of-applicability.xlsx`: frozen header, autofilter, status colours, a Yes/No list
/// for "Applicable", wrapped long text.
pub fn render_xlsx(result: &ScanResult) -> Result<Vec<u8>, SoaError> {
    let rows = rows(result)?;
    let mut book = Workbook::new();
    // The scan's finish time, not the clock: the same result gives the same file.
    let created = match result
        .scope
        .finished_at
        .get(..19)
        .map(ExcelDateTime::parse_from_str)
    {
        Some(Ok(t)) => t,
        _ => ExcelDateTime::from_ymd(2000, 1, 1)?,
    };
    book.set_properties(
        &DocProperties::new()
            .set_title("Statement of Applicability")
            .set_subject(format!(
                "{} controls, assessed by {} {}",
                result.framework, result.tool.name, result.tool.version
            ))
            .set_creation_datetime(&created),
    );
    let sheet = book.add_worksheet();
    sheet.set_name("Statement of Applicability")?;

    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0x102A43))
        .set_font_color(Color::White)
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter);
    let text = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let number = Format::new()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let editable = text.clone().set_background_color(Color::RGB(0xFFF9E6));

    for (col, (name, width)) in COLUMNS.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, *name, &header)?;
        sheet.set_column_width(col, *width)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        let (bg, fg) = status_colour(row.status);
        let status = text
            .clone()
            .set_background_color(bg)
            .set_font_color(fg)
            .set_bold();
        for (col, cell) in row.cells.iter().enumerate() {
            let col = col as u16;
            match col {
                3 | 12 => sheet.write_string_with_format(r, col, cell, &editable)?,
                5 => sheet.write_string_with_format(r, col, cell, &status)?,
                7..=10 => sheet.write_number_with_format(
                    r,
                    col,
                    row.counts[col as usize - 7] as f64,
                    &number,
                )?,
                _ => sheet.write_string_with_format(r, col, cell, &text)?,
            };
        }
    }
    let last = rows.len() as u32;
    sheet.set_freeze_panes(1, 1)?;
    sheet.autofilter(0, 0, last, COLUMNS.len() as u16 - 1)?;
    let yes_no = DataValidation::new()
        .allow_list_strings(&["Yes", "No"])?
        .set_input_title("Applicable?")?
        .set_input_message("Yes or No. If No, say why in Justification.")?;
    sheet.add_data_validation(1, 3, last, 3, &yes_no)?;
    Ok(book.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        assert_eq!(csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("A.5.1"), "A.5.1");
    }
}
