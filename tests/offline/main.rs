//! One test binary for everything that needs no emulator. Each part declares its module here.

/// ScanResult builders for the report tests (also used by tests/browser.rs).
#[path = "../common/scan_results.rs"]
mod scan_results;

mod html;
mod soa;
