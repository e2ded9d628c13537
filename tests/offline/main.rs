//! Tests that need no emulator or browser: one binary for all of them (one module per part).

mod checks_meta;
mod cli;
mod demo;
mod engine;
mod html;
mod inventory;
mod mappings;
mod real_data;
mod sarif;
mod soa;
