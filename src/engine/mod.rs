//! Checks: load and validate check files, compile CEL once, the Rust function library, and pure
//! evaluation of resources (see DESIGN.md, Checks and Statuses).

pub mod functions;
pub mod value;
