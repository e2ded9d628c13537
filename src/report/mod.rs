//! Reporters: pure functions of a `ScanResult`, one module per format.
pub mod html;
pub mod soa;
