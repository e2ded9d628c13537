//! annexa: scans AWS and Azure configuration against baselines mapped to ISO/IEC 27001:2022
//! Annex A and reports SARIF, HTML and JSON.
//!
//! Pipeline (see DESIGN.md): `collect` -> `inventory` -> `engine` (evaluate) -> `mappings`
//! (assess controls) -> `report`. `scan` joins the pure stages. Only `collect` does network I/O,
//! and only the binary's `cli` prints.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod collect;
pub mod config;
pub mod diff;
pub mod gate;
pub mod merge;
pub mod demo;
pub mod engine;
pub mod inventory;
pub mod mappings;
pub mod model;
pub mod report;
pub mod scan;
pub mod suppress;
