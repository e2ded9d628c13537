//! Reporters: pure functions of a `ScanResult`, one module per format.
