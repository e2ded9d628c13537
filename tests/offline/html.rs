//! report.html from the hostile fixture and from a large result: escaping, structure, policy.

use std::time::Instant;

use annexa::model::Severity;
use annexa::report::html;
use regex::Regex;

/// ScanResult builders shared with `soa.rs` and `tests/browser.rs`.
#[path = "../common/scan_results.rs"]
pub(crate) mod scan_results;
use scan_results::{big, hostile, HOSTILE};

/// The text of every element named `tag` that has no attributes: `<tag>...</tag>`.
fn inline_elements<'a>(page: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    page.match_indices(&open)
        .map(|(i, _)| {
            let start = i + open.len();
            let end = page[start..]
                .find(&close)
                .map(|e| start + e)
                .expect("element is closed");
            &page[start..end]
        })
        .collect()
}

/// Rows of the table with the given id (counts `<tr` inside its `<tbody>`).
fn body_rows(page: &str, table_id: &str) -> usize {
    let start = page
        .find(&format!("id=\"{table_id}\""))
        .unwrap_or_else(|| panic!("table {table_id} missing"));
    let rest = &page[start..];
    let body = &rest[rest.find("<tbody>").expect("tbody")..rest.find("</tbody>").expect("/tbody")];
    body.matches("<tr").count()
}

#[test]
fn hostile_strings_are_shown_as_text_only() {
    let page = html::render(&hostile()).expect("render");
    for raw in HOSTILE {
        assert!(
            !page.contains(raw),
            "raw hostile string {raw:?} reached the page unescaped"
        );
    }
    assert!(
        !page.contains("<script>alert"),
        "a script element from data"
    );
    assert!(!page.contains("<img"), "an img element from data");
    assert!(
        !page.contains("onerror=alert(1)>"),
        "unescaped attribute injection"
    );
    // Our one script and one style element, nothing else that could run.
    assert_eq!(
        page.matches("<script").count(),
        1,
        "exactly one script element"
    );
    assert_eq!(page.matches("</script>").count(), 1);
    assert_eq!(page.matches("<style").count(), 1);
    assert!(
        !Regex::new(r"(?i)\son[a-z]+\s*=")
            .unwrap()
            .is_match(&strip_text(&page)),
        "an inline event handler attribute"
    );
    // ...and the data is still there, as text.
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped hostile resource name missing"
    );
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;"));
    // The script carries no data: it is our asset, byte for byte.
    let script = inline_elements(&page, "script");
    assert_eq!(script.len(), 1);
    assert!(
        !script[0].contains("alert"),
        "data inside the script element"
    );
}

/// Markup without the text between tags, so escaped text like `onerror=` in data cannot match.
fn strip_text(page: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    // From <body> to our script: the script's text is not markup.
    let body = &page[page.find("<body").expect("body")..page.find("<script>").expect("script")];
    for ch in body.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push('>');
            }
            _ if in_tag => out.push(ch),
            _ => {}
        }
    }
    out
}

#[test]
fn report_has_every_section_and_all_controls() {
    let result = hostile();
    let page = html::render(&result).expect("render");
    assert!(page.starts_with("<!DOCTYPE html>"));
    for id in [
        "scope",
        "annex-a",
        "controls",
        "findings",
        "risks",
        "gaps",
        "control-table",
        "findings-table",
        "chart-severity",
        "chart-provider",
    ] {
        assert!(
            page.contains(&format!("id=\"{id}\"")),
            "element #{id} missing"
        );
    }
    assert_eq!(body_rows(&page, "control-table"), 93);
    assert_eq!(
        page.matches("<article class=\"control\"").count(),
        93,
        "one detail per control"
    );
    assert_eq!(
        page.matches("class=\"cell st-").count(),
        93,
        "one grid cell per control"
    );
    assert_eq!(body_rows(&page, "findings-table"), result.findings.len());
    assert_eq!(body_rows(&page, "risk-table"), 2);
    assert_eq!(
        page.matches("<tr class=\"expired\">").count(),
        1,
        "the expired acceptance is highlighted"
    );
    assert_eq!(body_rows(&page, "gap-table"), result.errors.len());
    // Every grid cell links to an existing control detail.
    for c in &result.controls {
        assert!(page.contains(&format!("href=\"#c-{}\"", c.id)));
        assert!(page.contains(&format!("id=\"c-{}\"", c.id)));
    }
    // Scope facts.
    assert!(page.contains(&result.scope.inventory_digest));
    assert!(page.contains("111122223333"));
    assert!(page.contains("00000000-0000-0000-0000-0000000000aa"));
    // Print stylesheet with page breaks.
    let css = inline_elements(&page, "style");
    assert!(css[0].contains("@media print") && css[0].contains("break-before:page"));
}

#[test]
fn page_requests_nothing_and_allows_only_its_own_inline_code() {
    let page = html::render(&hostile()).expect("render");
    let csp =
        Regex::new(r#"<meta http-equiv="Content-Security-Policy" content="([^"]+)">"#).unwrap();
    let policy = csp.captures(&page).expect("CSP meta tag")[1].replace("&#39;", "'");
    assert!(
        page.find("Content-Security-Policy").unwrap() < page.find("<style>").unwrap(),
        "CSP precedes the style"
    );
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    assert!(
        !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
        "{policy}"
    );
    assert!(
        policy.contains("script-src 'sha256-") && policy.contains("style-src 'sha256-"),
        "{policy}"
    );
    let remote =
        Regex::new(r#"(?i)\b(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:)?//"#).unwrap();
    assert!(
        remote.find(&page).is_none(),
        "remote reference: {:?}",
        remote.find(&page)
    );
    assert!(
        !page.contains("<link") && !page.contains("@import") && !page.contains("url("),
        "external style resources"
    );
    assert!(
        !Regex::new(r#"\bsrc\s*="#)
            .unwrap()
            .is_match(&strip_text(&page)),
        "an element with src"
    );
}

#[test]
fn rendering_is_deterministic() {
    let result = hostile();
    assert_eq!(
        html::render(&result).unwrap(),
        html::render(&result).unwrap()
    );
}

#[test]
fn ten_thousand_failing_findings_fit_in_five_megabytes() {
    let result = big(10_000);
    let t = Instant::now();
    let page = html::render(&result).expect("render");
    let elapsed = t.elapsed();
    assert_eq!(body_rows(&page, "findings-table"), 10_000);
    eprintln!(
        "report.html for 10,000 failing findings: {} bytes, rendered in {:?} (debug build)",
        page.len(),
        elapsed
    );
    assert!(
        page.len() <= 5 * 1024 * 1024,
        "report is {} bytes, over 5 MB",
        page.len()
    );
    assert!(
        !page.contains("id=\"findings-limit\""),
        "every finding is listed"
    );
}

#[test]
fn a_larger_estate_lists_the_most_urgent_findings_and_says_how_many_more() {
    let n = html::TABLE_LIMIT + 500;
    let result = big(n);
    let page = html::render(&result).expect("render");
    assert_eq!(body_rows(&page, "findings-table"), html::TABLE_LIMIT);
    assert!(
        page.contains(&format!(
            "The table lists the {} most urgent of {n} findings; 500 more are in results.json",
            html::TABLE_LIMIT
        )),
        "the page says the table is cut and where the rest are"
    );
    // Every finding above info severity is listed; the least urgent (info) fill the rest.
    let above_info = result
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Info)
        .count();
    assert!(above_info < html::TABLE_LIMIT && above_info > 0);
    let table = &page[page.find("id=\"findings-table\"").unwrap()..];
    let info_rows = table.matches("<td class=\"sev-info\">").count();
    assert_eq!(info_rows, html::TABLE_LIMIT - above_info);
}

#[test]
fn empty_sections_say_what_is_missing() {
    let mut result = hostile();
    result.findings = Default::default();
    result.errors.clear();
    result.suppressions.clear();
    let page = html::render(&result).expect("render");
    assert_eq!(body_rows(&page, "findings-table"), 0);
    assert!(page.contains("No findings were recorded."));
    assert!(page.contains("No risks were accepted in this scan."));
    assert!(page.contains("Everything the selected checks need was collected."));
    assert!(!page.contains("id=\"risk-table\"") && !page.contains("id=\"gap-table\""));
    assert_eq!(body_rows(&page, "control-table"), 93);
}
