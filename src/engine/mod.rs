//! Checks: load and validate check files, compile CEL once, the Rust function library, and pure
//! evaluation of resources (see DESIGN.md, Checks and Statuses).
//!
//! - `file`: the TOML format as written; `load`: discovery, ids, compilation, validation;
//! - `functions`: annexa's CEL functions; `value`: JSON <-> CEL; `template`: messages;
//! - `eval`: findings from resources; `examples`: a check's pass/fail examples.

mod eval;
mod examples;
mod file;
pub mod functions;
mod load;
mod template;
pub mod value;

pub use eval::Evaluator;
pub use examples::{run_examples, ExampleOutcome};
pub use file::{CheckScope, CheckStatus};
pub use load::{Catalog, Check, Example, Expression, LoadError};
