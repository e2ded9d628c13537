//! Tests that need no emulator or browser: one binary (see HELPER-BRIEF).

mod checks_meta;
mod engine;
