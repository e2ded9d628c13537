//! Reporters: pure functions of a `ScanResult`, one module per format.
pub mod baseline;
pub mod sarif;
