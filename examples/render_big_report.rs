//! Benchmark: render report.html and the Statement of Applicability for a generated scan with
//! 10,000 failing findings, and print sizes and times.
//! `cargo run --release --no-default-features --example render_big_report [N]`

#![allow(clippy::print_stdout)]

use std::time::Instant;

#[path = "../tests/common/scan_results.rs"]
mod scan_results;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let result = scan_results::big(n);
    let out = std::env::temp_dir().join("annexa-big-report.html");

    let t = Instant::now();
    let page = annexa::report::html::render(&result).expect("render html");
    let html_time = t.elapsed();
    std::fs::write(&out, &page).expect("write report");

    let t = Instant::now();
    let xlsx = annexa::report::soa::render_xlsx(&result).expect("render xlsx");
    let xlsx_time = t.elapsed();
    let csv = annexa::report::soa::render_csv(&result).expect("render csv");

    println!("findings: {n}");
    println!(
        "report.html: {} bytes ({:.2} MB), rendered in {:?} -> {}",
        page.len(),
        page.len() as f64 / 1_048_576.0,
        html_time,
        out.display()
    );
    println!(
        "statement-of-applicability.xlsx: {} bytes in {:?}; csv {} bytes",
        xlsx.len(),
        xlsx_time,
        csv.len()
    );
}
